/**
 * Asks for a new password on the terminal, twice, without echoing it: the terminal is put in
 * raw mode and the bytes are read one line at a time. Backspace deletes a character, Ctrl-C
 * and Ctrl-D (on an empty line) cancel.
 *
 * @module
 */

/** Where the password is read and the prompts written: the terminal, or a test's stand-in. */
export interface Terminal {
  /** Reads bytes into `buffer`; `null` at the end of input. */
  read(buffer: Uint8Array): Promise<number | null>;
  /** Writes a prompt. */
  write(text: string): Promise<void>;
  /** Turns echo and line editing off (`true`) or back on. */
  setRaw(raw: boolean): void;
}

/**
 * The process's terminal: standard input in raw mode, prompts on standard error (standard
 * output stays for results).
 *
 * @returns The terminal.
 * @throws {TypeError} Standard input is not a terminal (a pipe, a file).
 * @example
 * ```ts ignore
 * import { askNewPassword, processTerminal } from "./password_prompt.ts";
 * const password = await askNewPassword(processTerminal(), "alice@localhost");
 * ```
 */
export function processTerminal(): Terminal {
  if (!Deno.stdin.isTerminal()) {
    throw new TypeError(
      "Cannot ask for the password: standard input is not a terminal (give the password after the JID)",
    );
  }
  const encoder = new TextEncoder();
  return {
    read: (buffer) => Deno.stdin.read(buffer),
    write: async (text) => {
      await Deno.stderr.write(encoder.encode(text));
    },
    setRaw: (raw) => Deno.stdin.setRaw(raw),
  };
}

const CR = 0x0D;
const LF = 0x0A;
const CTRL_C = 0x03;
const CTRL_D = 0x04;
const BACKSPACE = 0x08;
const DELETE = 0x7F;

/** Reads lines from a raw terminal; bytes after a line end wait for the next line. */
class LineReader {
  readonly #term: Terminal;
  #pending: number[] = [];
  #afterCr = false; // the last line ended with CR: a LF right after it belongs to it

  constructor(term: Terminal) {
    this.#term = term;
  }

  async line(): Promise<string> {
    const line: number[] = [];
    const buffer = new Uint8Array(256);
    for (;;) {
      while (this.#pending.length > 0) {
        const b = this.#pending.shift()!;
        const afterCr = this.#afterCr;
        this.#afterCr = b === CR;
        if (b === LF && afterCr) continue;
        if (b === CR || b === LF) return new TextDecoder().decode(new Uint8Array(line));
        if (b === CTRL_C || (b === CTRL_D && line.length === 0)) {
          throw new Error("Cannot read the password: cancelled");
        }
        if (b === DELETE || b === BACKSPACE) {
          // Drop one character: its UTF-8 continuation bytes, then its first byte.
          while (line.length > 0 && (line[line.length - 1] & 0xC0) === 0x80) line.pop();
          line.pop();
        } else if (b >= 0x20 || b === 0x09) {
          line.push(b);
        }
      }
      const n = await this.#term.read(buffer);
      if (n === null) throw new Error("Cannot read the password: end of input");
      this.#pending.push(...buffer.subarray(0, n));
    }
  }
}

/**
 * Asks for a new password twice without echoing it, and returns it when both match.
 *
 * @param term The terminal ({@linkcode processTerminal}, or a stand-in in tests).
 * @param what Whose password, for the prompt (`alice@localhost`).
 * @returns The password.
 * @throws {Error} The two differ, the password is empty, or the user cancelled.
 * @example
 * ```ts
 * import { askNewPassword, type Terminal } from "./password_prompt.ts";
 * const typed = new TextEncoder().encode("s3cret\rs3cret\r");
 * let done = false;
 * const term: Terminal = {
 *   read: (b) => {
 *     if (done) return Promise.resolve(null);
 *     done = true;
 *     b.set(typed);
 *     return Promise.resolve(typed.length);
 *   },
 *   write: () => Promise.resolve(),
 *   setRaw: () => {},
 * };
 * if (await askNewPassword(term, "alice@localhost") !== "s3cret") throw new Error();
 * ```
 */
export async function askNewPassword(term: Terminal, what: string): Promise<string> {
  const lines = new LineReader(term);
  const ask = async (prompt: string): Promise<string> => {
    await term.write(prompt);
    try {
      return await lines.line();
    } finally {
      await term.write("\n"); // raw mode echoes nothing, not even the line end
    }
  };
  term.setRaw(true);
  try {
    const first = await ask(`Password for ${what}: `);
    if (first === "") throw new Error("Cannot use an empty password");
    const second = await ask("Repeat the password: ");
    if (first !== second) throw new Error("Cannot set the password: the two entries differ");
    return first;
  } finally {
    term.setRaw(false);
  }
}

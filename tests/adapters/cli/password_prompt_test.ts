import assert from "node:assert/strict";
import { askNewPassword, type Terminal } from "../../../adapters/cli/password_prompt.ts";

/** A terminal that delivers `chunks` one read at a time and records what is written. */
function fakeTerminal(chunks: (string | number[])[]) {
  const encoder = new TextEncoder();
  const queue = chunks.map((c) => typeof c === "string" ? encoder.encode(c) : new Uint8Array(c));
  const written: string[] = [];
  const raw: boolean[] = [];
  const term: Terminal = {
    read(buffer) {
      const next = queue.shift();
      if (next === undefined) return Promise.resolve(null);
      buffer.set(next);
      return Promise.resolve(next.length);
    },
    write(text) {
      written.push(text);
      return Promise.resolve();
    },
    setRaw(on) {
      raw.push(on);
    },
  };
  return { term, written, raw };
}

const PROMPTS = ["Password for a@b: ", "\n", "Repeat the password: ", "\n"];

const ACCEPTED: [string, (string | number[])[], string][] = [
  ["two lines in one read", ["s3cret\rs3cret\r"], "s3cret"],
  ["byte by byte, with CRLF and LF line ends", [..."pw1\r\n", ..."pw1\n"], "pw1"],
  ["backspace and delete", ["s3crex\x7Ft\rs3cret\b\bet\r"], "s3cret"],
  [
    "UTF-8 split across reads, and a backspace over a two-byte character",
    // "p", "ä" (C3 A4) split, "ß" (C3 9F), DEL, "ss", CR; then "päss" CR.
    [[0x70, 0xC3], [0xA4, 0xC3, 0x9F, 0x7F, 0x73, 0x73, 0x0D], "päss\r"],
    "päss",
  ],
  ["spaces and tabs", ["a b\tc\ra b\tc\r"], "a b\tc"],
];

for (const [what, chunks, expected] of ACCEPTED) {
  Deno.test(`askNewPassword() reads ${what}, echoing nothing`, async () => {
    const { term, written, raw } = fakeTerminal(chunks);
    assert.equal(await askNewPassword(term, "a@b"), expected);
    assert.deepEqual(written, PROMPTS); // the prompts and line ends only, never the password
    assert.deepEqual(raw, [true, false]);
  });
}

const REFUSED: [string, string[], RegExp][] = [
  ["two different entries", ["one\rtwo\r"], /the two entries differ/],
  ["an empty password", ["\r"], /empty password/],
  ["Ctrl-C", ["sec\x03"], /cancelled/],
  ["Ctrl-D on an empty line", ["\x04"], /cancelled/],
  ["the end of input", ["secret"], /end of input/],
];

for (const [what, chunks, message] of REFUSED) {
  Deno.test(`askNewPassword() refuses ${what} and restores the terminal`, async () => {
    const { term, raw } = fakeTerminal(chunks);
    await assert.rejects(askNewPassword(term, "a@b"), message);
    assert.deepEqual(raw, [true, false]);
  });
}

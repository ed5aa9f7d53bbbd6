/**
 * What the comparison needs from a server under test, and process helpers for the peers.
 *
 * @module
 */
import type { RosterSeed } from "../load/scenarios.ts";

export type { RosterSeed };

/** A server the load generator drives. */
export interface ServerUnderTest {
  /** "parley", "prosody" or "ejabberd". */
  readonly name: string;
  /** Its version. */
  readonly version: string;
  /** Loopback c2s port (STARTTLS offered, not required). */
  readonly port: number;
  /** Loopback direct TLS port (XEP-0368), when the server has one. */
  readonly tlsPort?: number;
  /** The process whose VmRSS is the server's memory. */
  readonly pid: number;
  /** Stops the process; never throws, leaves nothing behind. */
  stop(): Promise<void>;
}

/** The certificate every server gets (the same key type for all), and the direct TLS port. */
export interface PeerTls {
  /** PEM certificate for `localhost`. */
  readonly certPath: string;
  /** Its PEM private key. */
  readonly keyPath: string;
  /** The direct TLS port. */
  readonly directPort: number;
}

/** A server that can be started again on the same accounts (memory is measured fresh). */
export interface PeerFactory {
  /** "parley", "prosody" or "ejabberd". */
  readonly name: string;
  /**
   * Starts a server with the accounts set up.
   *
   * @param seed Fanout rosters to set up; without it, rosters are empty (Parley, Prosody) or
   * left as a previous seeding made them (ejabberd: run fanout last).
   */
  start(seed?: RosterSeed): Promise<ServerUnderTest>;
  /** Removes temporary files. */
  cleanup(): Promise<void>;
}

/**
 * Whether a program is on the PATH.
 *
 * @param program The program.
 * @returns True when `which` finds it.
 */
export async function installed(program: string): Promise<boolean> {
  try {
    const { success } = await new Deno.Command("which", { args: [program], stdout: "null" })
      .output();
    return success;
  } catch {
    return false;
  }
}

/**
 * Runs a command to its end.
 *
 * @param cmd The program.
 * @param args Its arguments.
 * @returns Its stdout; throws with its stderr on failure.
 */
export async function run(cmd: string, args: string[]): Promise<string> {
  const out = await new Deno.Command(cmd, { args, stdout: "piped", stderr: "piped" }).output();
  const text = new TextDecoder().decode(out.stdout);
  if (!out.success) {
    throw new Error(
      `Cannot run ${cmd} ${args[0]}: ${new TextDecoder().decode(out.stderr).slice(-500)}`,
    );
  }
  return text;
}

/**
 * Waits until a TCP port accepts connections.
 *
 * @param port The port on 127.0.0.1.
 * @param timeoutMs How long to try.
 */
export async function waitForPort(port: number, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      const c = await Deno.connect({ hostname: "127.0.0.1", port });
      c.close();
      return;
    } catch {
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  throw new Error(`Nothing listens on port ${port} after ${timeoutMs} ms`);
}

/**
 * Whether a process is alive.
 *
 * @param pid The process id.
 * @returns True while /proc has it.
 */
export function alive(pid: number): boolean {
  try {
    Deno.statSync(`/proc/${pid}`);
    return true;
  } catch {
    return false;
  }
}

/**
 * Sends SIGTERM, then SIGKILL after `graceMs`.
 *
 * @param pid The process id.
 * @param graceMs The time allowed to exit.
 */
export async function terminate(pid: number, graceMs = 5000): Promise<void> {
  try {
    Deno.kill(pid, "SIGTERM");
  } catch {
    return;
  }
  const deadline = Date.now() + graceMs;
  while (alive(pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  if (alive(pid)) {
    try {
      Deno.kill(pid, "SIGKILL");
    } catch { /* gone */ }
  }
}

/**
 * Runs `fn` on `items` with at most `limit` at once.
 *
 * @param items The inputs.
 * @param limit The parallelism.
 * @param fn The work.
 */
export async function parallel<T>(items: T[], limit: number, fn: (t: T) => Promise<unknown>) {
  let next = 0;
  await Promise.all(
    Array.from({ length: limit }, async () => {
      while (next < items.length) await fn(items[next++]);
    }),
  );
}

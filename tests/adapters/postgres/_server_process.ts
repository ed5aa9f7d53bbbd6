// The standalone server and `deno task user` as child processes without DATABASE_URL, for crash
// and CLI tests.
import { denoRun, type ServerProcess, startProcess } from "../_server_process.ts";

export type { ServerProcess };

const USER = new URL("../../../adapters/cli/user_command.ts", import.meta.url).pathname;

/** Starts the server with free ports on loopback and waits until it serves. */
export function startServerProcess(args: string[]): Promise<ServerProcess> {
  return startProcess(args, { env: { DATABASE_URL: "" } });
}

/** Runs `deno task user …` and returns its exit code and output. */
export async function userCli(args: string[]): Promise<{ code: number; out: string }> {
  const out = await denoRun(USER, args, {
    env: { DATABASE_URL: "" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder();
  return { code: out.code, out: text.decode(out.stdout) + text.decode(out.stderr) };
}

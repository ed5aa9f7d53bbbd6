// The standalone server (adapters/cli/main.ts) as a child process, for crash and CLI tests.
import { withTimeout } from "../../scenarios/_harness.ts";

const MAIN = new URL("../../../adapters/cli/main.ts", import.meta.url).pathname;
const USER = new URL("../../../adapters/cli/user_command.ts", import.meta.url).pathname;
const PERMISSIONS = ["--allow-net", "--allow-read", "--allow-write", "--allow-env", "--allow-sys"];

export interface ServerProcess {
  child: Deno.ChildProcess;
  port: number;
  log: string[];
  /** SIGKILL, then wait for the exit. */
  kill(): Promise<void>;
}

/** Starts the server with free ports on loopback and waits until it serves. */
export async function startProcess(args: string[]): Promise<ServerProcess> {
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      ...PERMISSIONS,
      MAIN,
      "--c2s-port",
      "0",
      "--tls-port",
      "0",
      "--http-port",
      "0",
      "--hostname",
      "127.0.0.1",
      ...args,
    ],
    env: { DATABASE_URL: "" },
    stdout: "null",
    stderr: "piped",
  }).spawn();
  const log: string[] = [];
  let port = 0;
  const ready = Promise.withResolvers<void>();
  (async () => {
    let buffered = "";
    for await (const chunk of child.stderr.pipeThrough(new TextDecoderStream())) {
      buffered += chunk;
      const lines = buffered.split("\n");
      buffered = lines.pop()!;
      for (const line of lines) {
        log.push(line);
        const m = line.match(/Listening for clients \(STARTTLS\) port=(\d+)/);
        if (m) port = Number(m[1]);
        if (/Serving/.test(line)) ready.resolve();
      }
    }
    ready.reject(new Error(`Server exited before serving:\n${log.join("\n")}`));
  })();
  await withTimeout(ready.promise, "the server to start", 60_000);
  return {
    child,
    port,
    log,
    async kill() {
      try {
        child.kill("SIGKILL");
      } catch { /* exited */ }
      await child.status;
    },
  };
}

/** Runs `deno task user …` and returns its exit code and output. */
export async function userCli(args: string[]): Promise<{ code: number; out: string }> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", ...PERMISSIONS, USER, ...args],
    env: { DATABASE_URL: "" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder();
  return { code: out.code, out: text.decode(out.stdout) + text.decode(out.stderr) };
}

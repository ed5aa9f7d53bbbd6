// The standalone server (adapters/cli/main.ts) and its commands as child processes.
import { withTimeout } from "../scenarios/_harness.ts";

/** The standalone server's entry point. */
export const MAIN = new URL("../../adapters/cli/main.ts", import.meta.url).pathname;
const PERMISSIONS = ["--allow-net", "--allow-read", "--allow-write", "--allow-env", "--allow-sys"];
/** The config of `deno task start`, `user` and `db`: the server's packages only. */
const SERVER_CONFIG = new URL("../../deno.server.json", import.meta.url).pathname;

/** `deno run` of `script` with the config and permissions `deno task start` uses. */
export function denoRun(
  script: string,
  args: string[],
  options: Omit<Deno.CommandOptions, "args"> = {},
): Deno.Command {
  return new Deno.Command(Deno.execPath(), {
    ...options,
    args: ["run", "--config", SERVER_CONFIG, ...PERMISSIONS, script, ...args],
  });
}

export interface ServerProcess {
  child: Deno.ChildProcess;
  /** The ports read from the log. */
  ports: { c2s: number; tls: number; http: number; s2s: number };
  log: string[];
  /** SIGKILL, then wait for the exit. */
  kill(): Promise<void>;
}

/** Starts the server with free ports on loopback and waits until its log says "Serving". */
export async function startProcess(
  args: string[],
  options: { env?: Record<string, string> } = {},
): Promise<ServerProcess> {
  const child = denoRun(MAIN, [
    "--c2s-port",
    "0",
    "--tls-port",
    "0",
    "--http-port",
    "0",
    "--s2s-port",
    "0",
    "--hostname",
    "127.0.0.1",
    ...args,
  ], { env: options.env, stdout: "null", stderr: "piped" }).spawn();
  const log: string[] = [];
  const ports = { c2s: 0, tls: 0, http: 0, s2s: 0 };
  const ready = Promise.withResolvers<void>();
  (async () => {
    let buffered = "";
    for await (const chunk of child.stderr.pipeThrough(new TextDecoderStream())) {
      buffered += chunk;
      const lines = buffered.split("\n");
      buffered = lines.pop()!;
      for (const line of lines) {
        log.push(line);
        const m = line.match(/Listening for clients \((STARTTLS|direct TLS)\) port=(\d+)/);
        if (m) ports[m[1] === "STARTTLS" ? "c2s" : "tls"] = Number(m[2]);
        const web = line.match(/Listening for web clients .* port=(\d+)/);
        if (web) ports.http = Number(web[1]);
        const s2s = line.match(/Listening for servers .* port=(\d+)/);
        if (s2s) ports.s2s = Number(s2s[1]);
        if (/Serving/.test(line)) ready.resolve();
      }
    }
    ready.reject(new Error(`Server exited before serving:\n${log.join("\n")}`));
  })();
  await withTimeout(ready.promise, "the server to start", 60_000);
  return {
    child,
    ports,
    log,
    async kill() {
      try {
        child.kill("SIGKILL");
      } catch { /* exited */ }
      await child.status;
    },
  };
}

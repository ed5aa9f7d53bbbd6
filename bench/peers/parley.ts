/**
 * Parley as a benchmark subprocess (bench/parley_server.ts).
 *
 * @module
 */
import {
  type PeerFactory,
  type PeerTls,
  type RosterSeed,
  type ServerUnderTest,
  terminate,
  waitForPort,
} from "./peer.ts";

/**
 * The environment `deno task start` gives the server: the `NAME=value` words before `deno run`
 * in deno.json's start task (glibc's malloc tunables), so that what is measured is what users
 * run.
 *
 * @returns The variables, by name.
 */
export async function startTaskEnv(): Promise<Record<string, string>> {
  const config = JSON.parse(await Deno.readTextFile(new URL("../../deno.json", import.meta.url)));
  const prefix = (config.tasks.start as string).match(/^((?:\w+=\S+ )*)deno run /)?.[1] ?? "";
  // Split at the first "=": a value may hold more (GLIBC_TUNABLES=glibc.malloc.…=…).
  return Object.fromEntries(
    prefix.trim().split(" ").filter(Boolean).map((word) => {
      const at = word.indexOf("=");
      return [word.slice(0, at), word.slice(at + 1)];
    }),
  );
}

/**
 * @param port The c2s port.
 * @param users Accounts user1 … userN, password "pw".
 * @param extraArgs Deno flags, e.g. `--cpu-prof`.
 * @param tls The certificate and the direct TLS port; without it, a generated certificate
 * and no direct TLS.
 * @param serverArgs Arguments of parley_server.ts, e.g. `--no-archive`.
 * @returns The factory.
 */
export function parleyFactory(
  port: number,
  users: number,
  extraArgs: string[] = [],
  tls?: PeerTls,
  serverArgs: string[] = [],
): PeerFactory {
  const script = new URL("../parley_server.ts", import.meta.url).pathname;
  return {
    name: "parley",
    async start(seed?: RosterSeed): Promise<ServerUnderTest> {
      const seedArgs = seed
        ? ["--roster-users", String(seed.users), "--contacts", String(seed.contacts)]
        : [];
      const child = new Deno.Command(Deno.execPath(), {
        env: await startTaskEnv(),
        args: [
          "run",
          "-A",
          ...extraArgs,
          script,
          "--port",
          String(port),
          "--users",
          String(users),
          ...seedArgs,
          ...(tls
            ? ["--cert", tls.certPath, "--key", tls.keyPath, "--tls-port", String(tls.directPort)]
            : []),
          ...serverArgs,
        ],
        stdout: "null",
        stderr: "inherit",
      }).spawn();
      await Promise.all([waitForPort(port), tls && waitForPort(tls.directPort)]);
      return {
        name: "parley",
        version: "0.1.0",
        port,
        tlsPort: tls?.directPort,
        pid: child.pid,
        async stop() {
          await terminate(child.pid, 10_000);
          await child.status;
        },
      };
    },
    cleanup: () => Promise.resolve(),
  };
}

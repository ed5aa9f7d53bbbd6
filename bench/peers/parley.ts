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
    start(seed?: RosterSeed): Promise<ServerUnderTest> {
      const seedArgs = seed
        ? ["--roster-users", String(seed.users), "--contacts", String(seed.contacts)]
        : [];
      const child = new Deno.Command(Deno.execPath(), {
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
      return Promise.all([waitForPort(port), tls && waitForPort(tls.directPort)]).then(() => ({
        name: "parley",
        version: "0.1.0",
        port,
        tlsPort: tls?.directPort,
        pid: child.pid,
        async stop() {
          await terminate(child.pid, 10_000);
          await child.status;
        },
      }));
    },
    cleanup: () => Promise.resolve(),
  };
}

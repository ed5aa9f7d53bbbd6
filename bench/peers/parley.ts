/**
 * Parley as a benchmark subprocess (bench/parley_server.ts).
 *
 * @module
 */
import {
  type PeerFactory,
  type RosterSeed,
  type ServerUnderTest,
  terminate,
  waitForPort,
} from "./peer.ts";

/**
 * @param port The c2s port.
 * @param users Accounts user1 … userN, password "pw".
 * @param extraArgs Deno flags, e.g. `--cpu-prof`.
 * @returns The factory.
 */
export function parleyFactory(port: number, users: number, extraArgs: string[] = []): PeerFactory {
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
        ],
        stdout: "null",
        stderr: "inherit",
      }).spawn();
      return waitForPort(port).then(() => ({
        name: "parley",
        version: "0.1.0",
        port,
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

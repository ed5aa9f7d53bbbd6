/**
 * Parley as the benchmark runs it: plain TCP on loopback (no TLS, as for the peers), PLAIN
 * allowed without TLS, accounts `user1` … `userN` with password `pw`, and session limits
 * lifted as for the peers.
 *
 * ```sh
 * deno run -A bench/parley_server.ts --port 15222 --users 100
 * ```
 *
 * @module
 */
import { parseArgs } from "node:util";
import { createServer, type XmppServer } from "../src/server/server.ts";
import { tcpTransport } from "../adapters/deno_tcp/transport.ts";

/**
 * Starts the benchmark server.
 *
 * @param port The c2s port (0 picks one).
 * @param users How many accounts to create.
 * @returns The server and its port.
 */
export async function startBenchServer(
  port: number,
  users: number,
): Promise<{ server: XmppServer; port: number }> {
  const server = await createServer({
    domain: "localhost",
    requireTls: false,
    users: Array.from(
      { length: users },
      (_, i) => ({ jid: `user${i + 1}@localhost`, password: "pw" }),
    ),
    limits: { maxSessionsPerAccount: 10_000, maxAuthFailures: 100 },
  });
  let bound = port;
  const transport = tcpTransport({ hostname: "127.0.0.1", port, onListen: (l) => bound = l.port });
  const start = transport.start.bind(transport);
  await server.listen({
    // PLAIN over plain TCP, as Prosody's allow_unencrypted_plain_auth: for the PLAIN variant.
    start: (accept) => start((stream) => accept(stream, { allowPlainWithoutTls: true })),
  });
  return { server, port: bound };
}

if (import.meta.main) {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      port: { type: "string", default: "15222" },
      users: { type: "string", default: "100" },
    },
  });
  const { server, port } = await startBenchServer(Number(values.port), Number(values.users));
  console.log(`listening ${port}`);
  const stop = async () => {
    await server.close();
    Deno.exit(0);
  };
  Deno.addSignalListener("SIGINT", stop);
  Deno.addSignalListener("SIGTERM", stop);
}

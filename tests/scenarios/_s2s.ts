// Two-server test kit: a Parley server with federation on loopback, and its routes.
import { createServer, type Federation, federation, type XmppServer } from "../../mod.ts";
import {
  loadOrCreateSelfSigned,
  s2sConnector,
  s2sTransport,
  tcpTransport,
} from "../../adapters/deno_tcp/mod.ts";

export interface FedServer {
  server: XmppServer;
  s2s: Federation;
  domain: string;
  /** c2s port (STARTTLS). */
  port: number;
  /** s2s port. */
  s2sPort: number;
  /** Static routes the connector reads at each connection: set them after starting. */
  routes: Record<string, string>;
  close(): Promise<void>;
}

/** A server for `domain` with users alice and bob (password USER-pw), c2s and s2s on loopback. */
export async function startFedServer(
  domain: string,
  options: { s2sPort?: number; connectTimeoutMs?: number; secret?: string } = {},
): Promise<FedServer> {
  const tls = await loadOrCreateSelfSigned(
    `${Deno.env.get("TMPDIR") ?? "/tmp"}/parley-test-tls`,
    domain,
  );
  const routes: Record<string, string> = {};
  const s2s = federation({
    secret: options.secret ?? `secret of ${domain}`,
    connector: { connect: (d) => s2sConnector({ routes }).connect(d) },
    connectTimeoutMs: options.connectTimeoutMs ?? 10_000,
  });
  const server = await createServer({
    domain,
    users: [
      { jid: `alice@${domain}`, password: "alice-pw" },
      { jid: `bob@${domain}`, password: "bob-pw" },
    ],
    modules: [s2s],
  });
  let port = 0;
  let s2sPort = 0;
  await server.listen(tcpTransport({
    hostname: "127.0.0.1",
    port: 0,
    tls,
    onListen: (l) => port = l.port,
  }));
  await server.listen(s2sTransport(s2s, {
    hostname: "127.0.0.1",
    port: options.s2sPort ?? 0,
    tls,
    onListen: (l) => s2sPort = l.port,
  }));
  return { server, s2s, domain, port, s2sPort, routes, close: () => server.close() };
}

/** Two servers that know each other's s2s port. */
export async function startPair(): Promise<[FedServer, FedServer]> {
  const a = await startFedServer("a.localhost");
  const b = await startFedServer("b.localhost");
  a.routes["b.localhost"] = `127.0.0.1:${b.s2sPort}`;
  b.routes["a.localhost"] = `127.0.0.1:${a.s2sPort}`;
  return [a, b];
}

// Two-server test kit: a Parley server with federation on loopback, and its routes.
import {
  createServer,
  type Federation,
  federation,
  type LogFields,
  type Logger,
  type Storage,
  type XmppModule,
  type XmppServer,
} from "../../mod.ts";
import {
  loadOrCreateSelfSigned,
  s2sConnector,
  s2sTransport,
  tcpTransport,
  type TlsCredentials,
} from "../../adapters/deno_tcp/mod.ts";

/**
 * The end of a two-server scenario: stops its clients (a client the scenario already lost is
 * no error), then closes the servers in order; a server that fails to close fails the test.
 */
export async function stopAll(
  clients: readonly { stop(): Promise<void> }[],
  ...servers: { close(): Promise<void> }[]
): Promise<void> {
  for (const c of clients) await c.stop().catch(() => {});
  for (const server of servers) await server.close();
}

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

function debugLogger(domain: string): Logger {
  const log = (level: string) => (message: string, fields?: LogFields) =>
    console.error(`[${domain}] ${level} ${message} ${JSON.stringify(fields ?? {})}`);
  return { debug: log("debug"), info: log("info"), warn: log("warn"), error: log("error") };
}

/** A server for `domain` with users alice and bob (password USER-pw), c2s and s2s on loopback. */
export async function startFedServer(
  domain: string,
  options: {
    s2sPort?: number;
    connectTimeoutMs?: number;
    idleTimeoutMs?: number;
    secret?: string;
    requireTls?: boolean;
    handshakeTimeoutMs?: number;
    storage?: Storage;
    rate?: { burst: number; perMinute: number };
    maxStreamsPerDomain?: number;
    /** The certificate (else a self-signed one), also presented as the client's. */
    tls?: TlsCredentials;
    /** CAs whose certificates authenticate peers with SASL EXTERNAL (XEP-0178). */
    trust?: string[];
    /** The s2s port speaks TLS from the first byte (XEP-0368). */
    directTls?: boolean;
    /** More modules (an external components module). */
    modules?: XmppModule[];
  } = {},
): Promise<FedServer> {
  const tls = options.tls ?? await loadOrCreateSelfSigned(
    `${Deno.env.get("TMPDIR") ?? "/tmp"}/parley-test-tls`,
    domain,
  );
  const routes: Record<string, string> = {};
  const s2s = federation({
    secret: options.secret ?? `secret of ${domain}`,
    connector: {
      connect: (d) => s2sConnector({ routes, tls: options.tls }).connect(d),
    },
    connectTimeoutMs: options.connectTimeoutMs ?? 10_000,
    idleTimeoutMs: options.idleTimeoutMs,
    requireTls: options.requireTls,
    rate: options.rate,
    maxStreamsPerDomain: options.maxStreamsPerDomain,
  });
  const server = await createServer({
    domain,
    users: [
      { jid: `alice@${domain}`, password: "alice-pw" },
      { jid: `bob@${domain}`, password: "bob-pw" },
    ],
    modules: [s2s, ...options.modules ?? []],
    storage: options.storage,
    // The scenarios address resources by the names their clients ask for (as _harness.ts).
    bind2ResourceSuffix: false,
    // DEBUG_S2S=1 shows the server's log while a test is being written.
    logger: Deno.env.get("DEBUG_S2S") ? debugLogger(domain) : undefined,
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
    handshakeTimeoutMs: options.handshakeTimeoutMs,
    trust: options.trust,
    directTls: options.directTls,
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

/** A raw TCP peer that writes text and waits for what the server writes. */
export class RawPeer {
  readonly #conn: Deno.Conn;
  #text = "";
  readonly closed: Promise<void>;
  readonly #encoder = new TextEncoder();

  private constructor(conn: Deno.Conn) {
    this.#conn = conn;
    this.closed = (async () => {
      const decoder = new TextDecoder();
      try {
        for await (const chunk of conn.readable) this.#text += decoder.decode(chunk);
      } catch { /* reset */ }
    })();
  }

  static async connect(port: number): Promise<RawPeer> {
    return new RawPeer(await Deno.connect({ hostname: "127.0.0.1", port }));
  }

  /** Everything the server wrote so far. */
  get text(): string {
    return this.#text;
  }

  async send(text: string): Promise<void> {
    await this.#conn.write(this.#encoder.encode(text));
  }

  /** Waits until what the server wrote matches. */
  async waitFor(re: RegExp, what: string, ms = 5000): Promise<RegExpMatchArray> {
    const deadline = Date.now() + ms;
    for (;;) {
      const m = this.#text.match(re);
      if (m) return m;
      if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}: ${this.#text}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  close(): void {
    try {
      this.#conn.close();
    } catch { /* closed */ }
  }
}

/** An s2s stream header as a peer server sends it. */
export function s2sHeader(from: string, to: string): string {
  return `<?xml version='1.0'?><stream:stream xmlns='jabber:server' ` +
    `xmlns:stream='http://etherx.jabber.org/streams' xmlns:db='jabber:server:dialback' ` +
    `from='${from}' to='${to}' version='1.0'>`;
}

/**
 * A fake authoritative server for a domain: it accepts Parley's outgoing stream and says
 * every dialback key is valid except "bad" (XEP-0220 §2.2).
 */
export function fakeAuthority(domain: string): { port: number; close(): void } {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const conns: Deno.Conn[] = [];
  void (async () => {
    for await (const conn of listener) {
      conns.push(conn);
      void (async () => {
        const encoder = new TextEncoder();
        const decoder = new TextDecoder();
        let buffer = "";
        let opened = false;
        try {
          for await (const chunk of conn.readable) {
            buffer += decoder.decode(chunk);
            if (!opened && buffer.includes("<stream:stream")) {
              opened = true;
              await conn.write(encoder.encode(
                s2sHeader(domain, "a.localhost").replace(
                  " version='1.0'>",
                  " id='fake1' version='1.0'>",
                ) +
                  "<stream:features><dialback xmlns='urn:xmpp:features:dialback'/></stream:features>",
              ));
            }
            for (const m of buffer.matchAll(/<verify ([^>]*)>([^<]*)<\/verify>/g)) {
              const attr = (n: string) => m[1].match(new RegExp(`${n}="([^"]*)"`))?.[1];
              const type = m[2] === "bad" ? "invalid" : "valid";
              await conn.write(encoder.encode(
                `<db:verify from='${attr("to")}' to='${attr("from")}' id='${
                  attr("id")
                }' type='${type}'/>`,
              ));
            }
            if (/<result [^>]*>[^<]*<\/result>/.test(buffer)) {
              await conn.write(
                encoder.encode(`<db:result from='${domain}' to='a.localhost' type='valid'/>`),
              );
            }
            buffer = buffer.replace(/<(verify|result) [^>]*>[^<]*<\/(verify|result)>/g, "");
          }
        } catch { /* closed */ }
      })();
    }
  })();
  return {
    port: listener.addr.port,
    close() {
      listener.close();
      for (const c of conns) {
        try {
          c.close();
        } catch { /* closed */ }
      }
    },
  };
}

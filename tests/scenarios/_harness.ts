// Test harness: a real server on loopback and real clients (xmpp.js) talking to it.
import { client } from "@xmpp/client";
import { type BareJid, createServer, type ServerConfig, type XmppServer } from "../../mod.ts";
import { loadOrCreateSelfSigned, type TlsCredentials } from "../../adapters/deno_tcp/mod.ts";
import { tcpTransport } from "../../adapters/deno_tcp/transport.ts";

/**
 * An xmpp.js client. xmpp.js ships no types, and it is used here as freely as JavaScript would
 * (its events and plugins), so it stays untyped.
 */
// deno-lint-ignore no-explicit-any
export type Client = any;
/** An element as xmpp.js gives it (ltx). */
export interface LtxElement {
  name: string;
  attrs: Record<string, string>;
  children: (LtxElement | string)[];
  getChild(name: string, xmlns?: string): LtxElement | undefined;
  getChildren(name: string, xmlns?: string): LtxElement[];
  getChildText(name: string, xmlns?: string): string | null;
  getChildElements(): LtxElement[];
  getNS(): string;
  is(name: string, xmlns?: string): boolean;
  text(): string;
  toString(): string;
}

let certificate: Promise<TlsCredentials> | undefined;

/** The self-signed test certificate, made once per machine and reused. */
export function testCertificate(): Promise<TlsCredentials> {
  certificate ??= loadOrCreateSelfSigned(
    `${Deno.env.get("TMPDIR") ?? "/tmp"}/parley-test-tls`,
    "localhost",
  );
  return certificate;
}

export interface TestServer {
  server: XmppServer;
  /** c2s port (STARTTLS). */
  port: number;
  /** Direct TLS port. */
  tlsPort: number;
  close(): Promise<void>;
}

export const USERS = [
  { jid: "alice@localhost", password: "alice-pw" },
  { jid: "bob@localhost", password: "bob-pw" },
  { jid: "carol@localhost", password: "carol-pw" },
];

/** Starts a server on loopback with ephemeral ports and three users. */
export async function startServer(config: ServerConfig = {}): Promise<TestServer> {
  const tls = await testCertificate();
  // The scenarios address resources by the names their clients ask for: Bind 2 binds the
  // tag as it is (tests/scenarios/sasl2_test.ts covers the suffixed default).
  const server = await createServer({
    domain: "localhost",
    users: USERS,
    bind2ResourceSuffix: false,
    ...config,
  });
  let port = 0;
  let tlsPort = 0;
  await server.listen(tcpTransport({
    hostname: "127.0.0.1",
    port: 0,
    tls,
    onListen: (l) => port = l.port,
  }));
  await server.listen(tcpTransport({
    hostname: "127.0.0.1",
    port: 0,
    tls,
    directTls: true,
    onListen: (l) => tlsPort = l.port,
  }));
  return { server, port, tlsPort, close: () => server.close() };
}

/** Alice and Bob are subscribed to each other. */
export async function friends(t: TestServer): Promise<void> {
  const item = { groups: [], subscription: "both", ask: false, approved: false } as const;
  await t.server.storage.roster.setItem(
    "alice@localhost" as BareJid,
    { ...item, jid: "bob@localhost" as BareJid },
  );
  await t.server.storage.roster.setItem(
    "bob@localhost" as BareJid,
    { ...item, jid: "alice@localhost" as BareJid },
  );
}

/** Rejects after `ms` with a message naming what was awaited. */
export function withTimeout<T>(promise: Promise<T>, what: string, ms = 10_000): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`Timed out waiting for ${what}`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

export interface TestClient {
  xmpp: Client;
  /** Stream and connection errors the client emitted. */
  errors: Error[];
  /** Resolves with the next stanza that matches. */
  next(match: (s: LtxElement) => boolean, what: string, ms?: number): Promise<LtxElement>;
  stop(): Promise<void>;
}

/** Connects an xmpp.js client (STARTTLS, SCRAM-SHA-1, bind) and waits until it is online. */
export async function connect(
  port: number,
  username: string,
  password: string,
  options: { resource?: string; service?: string } = {},
): Promise<TestClient> {
  const xmpp = client({
    service: options.service ?? `xmpp://127.0.0.1:${port}`,
    domain: "localhost",
    username,
    password,
    resource: options.resource,
  });
  xmpp.reconnect.stop();
  const errors: Error[] = [];
  xmpp.on("error", (e: Error) => errors.push(e));
  const waiters = new Set<
    { match: (s: LtxElement) => boolean; resolve: (s: LtxElement) => void }
  >();
  const seen: LtxElement[] = [];
  xmpp.on("stanza", (s: LtxElement) => {
    for (const w of waiters) {
      if (w.match(s)) {
        waiters.delete(w);
        w.resolve(s);
        return;
      }
    }
    seen.push(s);
  });
  await withTimeout(xmpp.start(), `${username} to come online`);
  return {
    xmpp,
    errors,
    next(match, what, ms = 5000) {
      const i = seen.findIndex(match);
      if (i !== -1) return Promise.resolve(seen.splice(i, 1)[0]);
      const { promise, resolve } = Promise.withResolvers<LtxElement>();
      const waiter = { match, resolve };
      waiters.add(waiter);
      return withTimeout(promise, what, ms).finally(() => waiters.delete(waiter));
    },
    async stop() {
      try {
        await withTimeout(xmpp.stop(), `${username} to stop`, 5000);
      } catch { /* already offline */ }
    },
  };
}

/** Opens a raw TCP connection, writes `data` and returns everything the server sends until it closes. */
export async function rawExchange(
  port: number,
  data: (string | Uint8Array)[],
  options: { ms?: number; pauseMs?: number } = {},
): Promise<string> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  const encoder = new TextEncoder();
  const chunks: Uint8Array[] = [];
  const reading = (async () => {
    const buf = new Uint8Array(65536);
    while (true) {
      let n: number | null;
      try {
        n = await conn.read(buf);
      } catch {
        return;
      }
      if (n === null) return;
      chunks.push(buf.slice(0, n));
    }
  })();
  try {
    for (const d of data) {
      await conn.write(typeof d === "string" ? encoder.encode(d) : d);
      if (options.pauseMs) await new Promise((r) => setTimeout(r, options.pauseMs));
    }
  } catch { /* the server may close before we finish writing */ }
  await withTimeout(reading, "the server to close the connection", options.ms ?? 5000).finally(
    () => {
      try {
        conn.close();
      } catch { /* closed */ }
    },
  );
  const all = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const c of chunks) {
    all.set(c, at);
    at += c.length;
  }
  return new TextDecoder().decode(all);
}

/** A c2s stream header as a client sends it. */
export function header(attrs: Record<string, string> = {}): string {
  const a = {
    xmlns: "jabber:client",
    "xmlns:stream": "http://etherx.jabber.org/streams",
    to: "localhost",
    version: "1.0",
    ...attrs,
  };
  return `<?xml version='1.0'?><stream:stream ${
    Object.entries(a).map(([k, v]) => `${k}='${v}'`).join(" ")
  }>`;
}

/** Waits until `condition` holds, checking every 20 ms, for at most `ms`. */
export async function waitFor(
  condition: () => boolean | Promise<boolean>,
  what: string,
  ms = 5000,
): Promise<void> {
  const deadline = Date.now() + ms;
  while (!await condition()) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

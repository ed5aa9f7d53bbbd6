/**
 * A kit for module authors: a server in memory with connected clients, no sockets and no
 * runtime APIs, so that a module's tests are conversations of a few lines.
 *
 * ```ts
 * import { testServer } from "./mod.ts";
 * import { xml } from "../xml/element.ts";
 * const t = await testServer({ users: ["alice@localhost", "bob@localhost"] });
 * const alice = await t.connect("alice@localhost/phone");
 * const bob = await t.connect("bob@localhost/laptop");
 * await alice.send(xml("message", { to: "bob@localhost/laptop", id: "1" }, xml("body", null, "Hi")));
 * const got = await bob.next((s) => s.name === "message");
 * if (got.attrs.from !== "alice@localhost/phone") throw new Error();
 * await t.close();
 * ```
 *
 * @module
 */
import type { ByteStream } from "../base/transport.ts";
import { createServer, type ServerParts, type XmppServer } from "../server/server.ts";
import type { ServerConfig } from "../server/config.ts";
import { parseJid } from "../jid/jid.ts";
import { child, type Element, text } from "../xml/element.ts";
import { NS } from "../xml/ns.ts";
import { serialize } from "../xml/serializer.ts";
import { StreamParser } from "../xml/stream_parser.ts";

const encoder = new TextEncoder();
const DECLARATION = encoder.encode("<?xml ");
const HEADER_START = encoder.encode("<stream:stream ");

function indexOf(haystack: Uint8Array, needle: Uint8Array): number {
  outer: for (let i = 0; i + needle.length <= haystack.length; i++) {
    for (let j = 0; j < needle.length; j++) if (haystack[i + j] !== needle[j]) continue outer;
    return i;
  }
  return -1;
}

/** The client side of an in-memory connection: raw bytes in, parsed elements out. */
export interface MemoryPeer {
  /** Writes raw text to the server. */
  write(text: string): Promise<void>;
  /** Everything the server wrote so far, as text. */
  output(): string;
  /** The top-level elements the server wrote, in order (stream features, stanzas, errors). */
  readonly elements: readonly Element[];
  /** Resolves when the server closed the connection. */
  readonly closed: Promise<void>;
  /** Closes the client's side (as a dropped connection: no stream end is sent). */
  drop(): Promise<void>;
}

/**
 * A connected pair: a secure in-memory transport for `server.handle()` and the peer that
 * plays the client.
 *
 * @param options `secure` (default true): whether the transport counts as encrypted.
 * @returns The transport and its peer.
 * @example
 * ```ts
 * import { memoryPair } from "./mod.ts";
 * import { createServer } from "../server/server.ts";
 * const server = await createServer();
 * const { stream, peer } = memoryPair();
 * const done = server.handle(stream);
 * await peer.write("<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' to='localhost' version='1.0'>");
 * await server.close();
 * await done;
 * if (!peer.output().includes("system-shutdown")) throw new Error(peer.output());
 * ```
 */
export function memoryPair(options: { secure?: boolean } = {}): {
  stream: ByteStream;
  peer: MemoryPeer;
} {
  const toServer = new TransformStream<Uint8Array, Uint8Array>();
  const toClient = new TransformStream<Uint8Array, Uint8Array>();
  const writer = toServer.writable.getWriter();
  const decoder = new TextDecoder();
  const newParser = () => new StreamParser({ maxStanzaBytes: 16 * 1024 * 1024, maxDepth: 256 });
  let parser = newParser();
  const elements: Element[] = [];
  let out = "";
  const parse = (bytes: Uint8Array) => {
    for (const ev of parser.push(bytes)) if (ev.kind === "element") elements.push(ev.element);
  };
  const closed = (async () => {
    for await (const chunk of toClient.readable) {
      out += decoder.decode(chunk, { stream: true });
      // A restarted stream (after STARTTLS or SASL, RFC 6120 §4.3.3) is a new document.
      const declared = indexOf(chunk, DECLARATION);
      const at = declared !== -1 ? declared : indexOf(chunk, HEADER_START);
      if (at === -1) {
        parse(chunk);
        continue;
      }
      parse(chunk.subarray(0, at));
      parser = newParser();
      parse(chunk.subarray(at));
    }
  })().catch(() => {});
  const stream: ByteStream = {
    readable: toServer.readable,
    writable: toClient.writable,
    info: { kind: "memory", secure: options.secure ?? true, remoteAddress: "memory" },
    async close() {
      // Our end of both directions: the peer sees the end of what the server wrote.
      await toClient.writable.close().catch(() => {});
      await writer.close().catch(() => {});
    },
  };
  const peer: MemoryPeer = {
    write: (text) => writer.write(encoder.encode(text)),
    output: () => out,
    elements,
    closed,
    drop: () => writer.abort(new Error("Dropped by the test")).catch(() => {}),
  };
  return { stream, peer };
}

/** A client logged in and bound over an in-memory connection. */
export interface TestClient {
  /** The bound full JID. */
  readonly jid: string;
  /** The raw connection. */
  readonly peer: MemoryPeer;
  /** Sends an element (serialized as it is; the server stamps `from`). */
  send(element: Element): Promise<void>;
  /**
   * The next element the server sends that matches (elements sent since the last match
   * count too); rejects after `ms`.
   */
  next(match: (element: Element) => boolean, ms?: number): Promise<Element>;
  /** Sends an iq and resolves with its result, or rejects with the error's condition. */
  iq(element: Element, ms?: number): Promise<Element>;
  /** Closes the stream cleanly and waits for the server's end. */
  close(): Promise<void>;
}

/** A server in memory. */
export interface TestServer {
  /** The server. */
  readonly server: XmppServer;
  /**
   * Connects a client: SASL PLAIN with the password `password` (the default of `users`),
   * binds the resource of `jid` and, unless `presence: false`, sends initial presence. With
   * `bind: false` it stops after authentication (to try a module's stream feature, e.g.
   * XEP-0198 resumption); `jid` is then the bare JID.
   */
  connect(
    jid: string,
    options?: { password?: string; presence?: boolean; bind?: boolean },
  ): Promise<TestClient>;
  /** Closes the server. */
  close(): Promise<void>;
}

/** The stream header a client sends. */
export const CLIENT_HEADER: string = "<stream:stream xmlns='jabber:client' " +
  "xmlns:stream='http://etherx.jabber.org/streams' to='localhost' version='1.0'>";

function waitFor<T>(find: () => T | undefined, what: string, ms: number): Promise<T> {
  return new Promise((resolve, reject) => {
    const deadline = Date.now() + ms;
    const poll = () => {
      const found = find();
      if (found !== undefined) return resolve(found);
      if (Date.now() > deadline) return reject(new Error(`Timed out waiting for ${what}`));
      setTimeout(poll, 5);
    };
    poll();
  });
}

let counter = 0;

async function login(
  server: XmppServer,
  jid: string,
  password: string,
  options: { presence: boolean; bind: boolean },
): Promise<TestClient> {
  const { stream, peer } = memoryPair();
  const running = server.handle(stream);
  const parsed = parseJid(jid);
  const header = CLIENT_HEADER.replace("to='localhost'", `to='${parsed.domain}'`);
  const next = (match: (el: Element) => boolean, ms = 5000) =>
    waitFor(
      () => {
        for (let i = 0; i < peer.elements.length; i++) {
          if (match(peer.elements[i])) {
            const [el] = (peer.elements as Element[]).splice(i, 1);
            return el;
          }
        }
        return undefined;
      },
      "an element from the server",
      ms,
    );
  const send = (el: Element) => peer.write(serialize(el, NS.CLIENT));
  await peer.write(header);
  await next((el) => el.name === "features");
  const auth = btoa(`\0${parsed.local}\0${password}`);
  await peer.write(`<auth xmlns='${NS.SASL}' mechanism='PLAIN'>${auth}</auth>`);
  const answer = await next((el) => el.xmlns === NS.SASL);
  if (answer.name !== "success") throw new Error(`Cannot log in as "${jid}": ${answer.name}`);
  await peer.write(header);
  await next((el) => el.name === "features");
  const client = (full: string): TestClient => ({
    jid: full,
    peer,
    send,
    next,
    async iq(el, ms) {
      const iqId = el.attrs.id ?? `iq-${++counter}`;
      await send({ ...el, attrs: { ...el.attrs, id: iqId } });
      const reply = await next((r) => r.name === "iq" && r.attrs.id === iqId, ms);
      if (reply.attrs.type === "error") {
        const error = child(reply, "error");
        const condition = error?.children.find((c): c is Element =>
          typeof c !== "string" && c.xmlns === NS.STANZAS
        );
        throw new Error(`iq error: ${condition?.name ?? "unknown"}`);
      }
      return reply;
    },
    async close() {
      await peer.write("</stream:stream>");
      await running;
    },
  });
  if (!options.bind) return client(parsed.bare);
  const id = `bind-${++counter}`;
  await peer.write(
    `<iq type='set' id='${id}'><bind xmlns='${NS.BIND}'><resource>${parsed.resource}</resource></bind></iq>`,
  );
  const result = await next((el) => el.attrs.id === id);
  const bind = child(result, "bind", NS.BIND);
  if (!bind) throw new Error(`Cannot bind "${jid}": ${serialize(result)}`);
  const full = text(child(bind, "jid", NS.BIND));
  const bound = client(full);
  if (options.presence) {
    await send({ name: "presence", xmlns: NS.CLIENT, attrs: {}, children: [] });
  }
  return bound;
}

/**
 * Starts a server in memory (memory storage, no transports) with accounts whose password is
 * `"password"` unless `passwords` says otherwise.
 *
 * @param options The server's configuration, and `users`: bare JIDs to create.
 * @returns The server and a way to connect clients.
 */
export async function testServer(
  options: Omit<ServerConfig, "users"> & ServerParts & {
    readonly users?: readonly string[];
    readonly passwords?: Readonly<Record<string, string>>;
  } = {},
): Promise<TestServer> {
  const { users = [], passwords = {}, ...config } = options;
  const server = await createServer({
    ...config,
    users: users.map((jid) => ({ jid, password: passwords[jid] ?? "password" })),
  });
  return {
    server,
    connect: (jid, o = {}) =>
      login(
        server,
        jid,
        o.password ?? passwords[parseJid(jid).bare] ?? "password",
        { presence: o.presence ?? true, bind: o.bind ?? true },
      ),
    close: () => server.close(),
  };
}

// The session shell over an in-memory byte stream: no sockets, real negotiation and router.
import assert from "node:assert/strict";
import { createServer, type ServerLimits, type XmppServer } from "../../mod.ts";
import type { ByteStream } from "../../src/base/transport.ts";

const enc = new TextEncoder();

interface Peer {
  write(text: string): Promise<void>;
  /** Waits until the server's output matches, returns the whole output so far. */
  until(pattern: RegExp, what: string, ms?: number): Promise<string>;
  output(): string;
  closed: Promise<void>;
}

/** A secure in-memory transport (like TLS) and the client side of it. */
function memoryPair(): { stream: ByteStream; peer: Peer } {
  const toServer = new TransformStream<Uint8Array, Uint8Array>();
  const toClient = new TransformStream<Uint8Array, Uint8Array>();
  const writer = toServer.writable.getWriter();
  let out = "";
  const waiters = new Set<() => void>();
  const closed = (async () => {
    const decoder = new TextDecoder();
    for await (const chunk of toClient.readable) {
      out += decoder.decode(chunk, { stream: true });
      for (const w of waiters) w();
    }
  })();
  const stream: ByteStream = {
    readable: toServer.readable,
    writable: toClient.writable,
    info: { kind: "memory", secure: true },
    async close() {
      await writer.close().catch(() => {});
    },
  };
  const peer: Peer = {
    write: (text) => writer.write(enc.encode(text)),
    output: () => out,
    closed,
    until(pattern, what, ms = 3000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          if (pattern.test(out)) {
            waiters.delete(check);
            clearTimeout(timer);
            resolve(out);
          }
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`Timed out waiting for ${what}; got: ${out.slice(-500)}`));
        }, ms);
        waiters.add(check);
        check();
      });
    },
  };
  return { stream, peer };
}

const HEADER = "<stream:stream xmlns='jabber:client' " +
  "xmlns:stream='http://etherx.jabber.org/streams' to='localhost' version='1.0'>";
const PLAIN = btoa("\u0000alice\u0000alice-pw");

async function start(limits: ServerLimits = {}): Promise<XmppServer> {
  return await createServer({
    users: [{ jid: "alice@localhost", password: "alice-pw" }],
    limits,
  });
}

/** Logs in with PLAIN (the stream is secure) and binds resource "r". */
async function login(peer: Peer): Promise<void> {
  await peer.write(HEADER);
  await peer.until(/<mechanism>PLAIN<\/mechanism>/, "the mechanisms");
  await peer.write(
    `<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>${PLAIN}</auth>`,
  );
  await peer.until(/<success /, "SASL success");
  await peer.write(HEADER);
  await peer.until(/<bind xmlns="urn:ietf:params:xml:ns:xmpp-bind"\/>/, "the bind feature");
  await peer.write(
    "<iq type='set' id='b'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'><resource>r</resource></bind></iq>",
  );
  await peer.until(/<jid>alice@localhost\/r<\/jid>/, "the bound JID");
}

Deno.test("ClientSession pings an idle client and closes with <connection-timeout/> when it stays silent", async () => {
  const server = await start({ idleTimeoutMs: 100, pingTimeoutMs: 100 });
  const { stream, peer } = memoryPair();
  const done = server.handle(stream);
  await login(peer);
  const afterLogin = peer.output().length;
  await peer.until(
    /<iq [^>]*type="get"[^>]*><ping xmlns="urn:xmpp:ping"\/><\/iq>/,
    "the server's ping",
  );
  const out = await peer.until(/<\/stream:stream>/, "the stream end");
  assert.match(
    out.slice(afterLogin),
    /<stream:error><connection-timeout xmlns="urn:ietf:params:xml:ns:xmpp-streams"\/><\/stream:error><\/stream:stream>$/,
  );
  await done;
  await server.close();
});

Deno.test("ClientSession keeps a client that answers the idle ping", async () => {
  const server = await start({ idleTimeoutMs: 100, pingTimeoutMs: 150 });
  const { stream, peer } = memoryPair();
  const done = server.handle(stream);
  await login(peer);
  for (let i = 1; i <= 3; i++) {
    await peer.until(new RegExp(`(<ping xmlns="urn:xmpp:ping"/>[^]*){${i}}`), `ping ${i}`);
    const ids = [...peer.output().matchAll(/<iq [^>]*id="(ping-[^"]+)"/g)].map((m) => m[1]);
    await peer.write(`<iq type='result' id='${ids.at(-1)}' to='localhost'/>`);
  }
  assert.doesNotMatch(peer.output(), /connection-timeout/);
  await server.close();
  await done;
  assert.match(peer.output(), /<system-shutdown /);
});

Deno.test("ClientSession parses bytes after <success/> with a fresh parser (RFC 6120 §6.4.6)", async () => {
  const server = await start();
  const { stream, peer } = memoryPair();
  const done = server.handle(stream);
  await peer.write(HEADER);
  await peer.until(/<mechanism>PLAIN<\/mechanism>/, "the mechanisms");
  // The auth and the restarted stream header arrive in one chunk.
  await peer.write(
    `<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>${PLAIN}</auth>${HEADER}`,
  );
  const out = await peer.until(
    /<bind xmlns="urn:ietf:params:xml:ns:xmpp-bind"\/>/,
    "post-auth features",
  );
  assert.equal(out.match(/<stream:stream /g)?.length, 2);
  assert.doesNotMatch(out, /stream:error/);
  await server.close();
  await done;
});

Deno.test("ClientSession drops a client that does not read once maxOutputBytes are queued", async () => {
  const server = await start({ maxOutputBytes: 65_536, pingTimeoutMs: 500 });
  const toServer = new TransformStream<Uint8Array, Uint8Array>();
  const writer = toServer.writable.getWriter();
  let delivered = 0;
  // A transport whose writes never complete: the client does not read.
  const stream: ByteStream = {
    readable: toServer.readable,
    writable: new WritableStream({
      write: (chunk) => {
        delivered += chunk.length;
        return delivered < 4096 ? Promise.resolve() : new Promise<void>(() => {});
      },
    }, { highWaterMark: 1024 * 1024 }),
    info: { kind: "memory", secure: true },
    close: () => writer.close().catch(() => {}),
  };
  const done = server.handle(stream);
  await writer.write(enc.encode(HEADER));
  await writer.write(
    enc.encode(`<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>${PLAIN}</auth>`),
  );
  await writer.write(enc.encode(HEADER));
  await writer.write(enc.encode(
    "<iq type='set' id='b'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'/></iq>",
  ));
  // Ask for 200 disco#info results without reading any.
  let burst = "";
  for (let i = 0; i < 200; i++) {
    burst +=
      `<iq type='get' id='d${i}' to='localhost'><query xmlns='http://jabber.org/protocol/disco#info'/></iq>`;
  }
  await writer.write(enc.encode(burst));
  // The connection gives its last writes a grace period (they never complete here) first.
  const deadline = Date.now() + 10_000;
  while (server.connectionCount > 0 && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 20));
  }
  assert.equal(server.connectionCount, 0, "the session was closed");
  await done;
  await server.close();
});

// examples/app_auth: the app's login sets a cookie; the same cookie logs the XMPP WebSocket in
// (SASL EXTERNAL), with no second password; a message to an app user who never logged in
// waits offline.
import assert from "node:assert/strict";
import { createServer } from "../../mod.ts";
import { AppUsers, createAuthApp } from "../../examples/app_auth/app.ts";
import { withTimeout } from "../scenarios/_harness.ts";

const OPEN = `<open xmlns="urn:ietf:params:xml:ns:xmpp-framing" to="localhost" version="1.0"/>`;

async function startApp() {
  const users = new AppUsers("localhost", { dave: "dave-pw", erin: "erin-pw" });
  const server = await createServer({ domain: "localhost", auth: users.provider() });
  const http = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    createAuthApp(server, users).fetch,
  );
  const base = `127.0.0.1:${http.addr.port}`;
  return {
    server,
    base,
    async close() {
      await server.close();
      await http.shutdown();
    },
  };
}

async function login(base: string, username: string, password: string): Promise<Response> {
  const body = new URLSearchParams({ username, password });
  return await fetch(`http://${base}/login`, { method: "POST", body, redirect: "manual" });
}

/** A raw RFC 7395 connection whose upgrade carries the app's cookie. */
class RawSocket {
  readonly frames: string[] = [];
  readonly #ws: WebSocket;
  #waiters: (() => void)[] = [];
  readonly closed: Promise<void>;

  constructor(url: string, cookie?: string) {
    const headers = cookie ? { cookie, origin: url.replace(/^ws/, "http") } : {};
    this.#ws = new WebSocket(url, { protocols: ["xmpp"], headers } as unknown as string[]);
    this.#ws.onmessage = (e) => {
      this.frames.push(String(e.data));
      this.#waiters.splice(0).forEach((w) => w());
    };
    this.closed = new Promise((r) => this.#ws.onclose = () => r());
  }

  opened(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.#ws.onopen = () => resolve();
      this.#ws.onerror = () => reject(new Error("WebSocket failed"));
    });
  }

  send(frame: string): void {
    this.#ws.send(frame);
  }

  async next(match: (frame: string) => boolean, what: string): Promise<string> {
    const deadline = Date.now() + 5000;
    while (true) {
      const i = this.frames.findIndex(match);
      if (i !== -1) return this.frames.splice(i, 1)[0];
      if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
      await withTimeout(new Promise<void>((r) => this.#waiters.push(r)), what).catch(() => {});
    }
  }

  async close(): Promise<void> {
    this.#ws.close();
    await this.closed;
  }
}

/** Logs a socket in through the cookie: EXTERNAL, restart, bind, presence. */
async function online(base: string, cookie: string): Promise<RawSocket> {
  const s = new RawSocket(`ws://${base}/xmpp-websocket`, cookie);
  await s.opened();
  s.send(OPEN);
  const features = await s.next((f) => f.includes("<mechanisms"), "the features");
  assert.match(features, /<mechanism>EXTERNAL<\/mechanism>/);
  s.send(`<auth xmlns="urn:ietf:params:xml:ns:xmpp-sasl" mechanism="EXTERNAL">=</auth>`);
  await s.next((f) => f.startsWith("<success"), "SASL success");
  s.send(OPEN);
  await s.next((f) => f.includes("urn:ietf:params:xml:ns:xmpp-bind"), "the bind feature");
  s.send(
    `<iq xmlns="jabber:client" type="set" id="b"><bind xmlns="urn:ietf:params:xml:ns:xmpp-bind"/></iq>`,
  );
  await s.next((f) => f.includes('id="b"') && f.includes("<jid>"), "the bound JID");
  s.send(`<presence xmlns="jabber:client"/>`);
  return s;
}

Deno.test("app_auth example: the app's login cookie logs the WebSocket in; offline delivery to a new user", async () => {
  const app = await startApp();
  const sockets: RawSocket[] = [];
  try {
    // The app's own checks.
    assert.equal((await login(app.base, "dave", "wrong")).status, 401);
    const chat = await fetch(`http://${app.base}/chat`, { redirect: "manual" });
    assert.equal(chat.status, 303);
    await chat.body?.cancel();
    const ok = await login(app.base, "dave", "dave-pw");
    assert.equal(ok.status, 303);
    assert.equal(ok.headers.get("location"), "/chat");
    const cookie = ok.headers.get("set-cookie")!.split(";")[0];
    assert.match(cookie, /^sid=/);

    // Without the cookie, no EXTERNAL: the socket is not the app user's.
    const anonymous = new RawSocket(`ws://${app.base}/xmpp-websocket`);
    sockets.push(anonymous);
    await anonymous.opened();
    anonymous.send(OPEN);
    const features = await anonymous.next((f) => f.includes("<mechanisms"), "features");
    assert.ok(!features.includes("EXTERNAL"));

    // Dave, logged in through the cookie, writes to erin, who never logged in to XMPP.
    const dave = await online(app.base, cookie);
    sockets.push(dave);
    dave.send(
      `<message xmlns="jabber:client" to="erin@localhost" type="chat" id="m1"><body>hello erin</body></message>`,
    );
    const deadline = Date.now() + 5000;
    while (
      await app.server.storage.offline.count("erin@localhost" as never) === 0 &&
      Date.now() < deadline
    ) await new Promise((r) => setTimeout(r, 20));
    assert.equal(await app.server.storage.offline.count("erin@localhost" as never), 1);

    // Erin logs in to the app, then her page's socket gets the message.
    const erinCookie = (await login(app.base, "erin", "erin-pw")).headers.get("set-cookie")!
      .split(";")[0];
    const erin = await online(app.base, erinCookie);
    sockets.push(erin);
    const message = await erin.next((f) => f.includes("hello erin"), "the offline message");
    assert.match(message, /from="dave@localhost\//);
    assert.match(message, /urn:xmpp:delay/);
  } finally {
    await Promise.all(sockets.map((s) => s.close()));
    await app.close();
  }
});

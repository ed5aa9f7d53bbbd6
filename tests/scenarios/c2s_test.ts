// Two real clients (xmpp.js over TCP with STARTTLS and SCRAM-SHA-1) against a running server.
import assert from "node:assert/strict";
import { xml } from "@xmpp/client";
import { connect, type LtxElement, startServer, type TestClient, withTimeout } from "./_harness.ts";
import { HANDLED, NS, type Session } from "../../mod.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };

Deno.test({
  name: "c2s: two clients log in with SCRAM-SHA-1 over STARTTLS, chat and ping",
  ...opts,
  async fn() {
    const mechanisms: string[] = [];
    const secure: boolean[] = [];
    const t = await startServer({
      modules: [{
        name: "observer",
        setup(api) {
          api.hook("session/bound", ({ session }: { session: Session }) => {
            mechanisms.push(session.mechanism ?? "");
            secure.push(session.info.secure);
          });
        },
      }],
    });
    let alice: TestClient | undefined, bob: TestClient | undefined;
    try {
      alice = await connect(t.port, "alice", "alice-pw", { resource: "laptop" });
      bob = await connect(t.port, "bob", "bob-pw", { resource: "phone" });
      assert.equal(alice.xmpp.jid?.toString(), "alice@localhost/laptop");
      assert.deepEqual(mechanisms, ["SCRAM-SHA-1", "SCRAM-SHA-1"]);
      assert.deepEqual(secure, [true, true]);

      // A chat message to a full JID arrives with the sender's full JID stamped.
      await alice.xmpp.send(
        xml(
          "message",
          { to: "bob@localhost/phone", type: "chat", id: "m1" },
          xml("body", {}, "Hi Bob"),
        ),
      );
      const got = await bob.next((s) => s.is("message"), "Bob to get Alice's message");
      assert.equal(got.attrs.from, "alice@localhost/laptop");
      assert.equal(got.attrs.type, "chat");
      assert.equal(got.getChildText("body"), "Hi Bob");

      // Bob answers; Alice gets it.
      await bob.xmpp.send(
        xml("message", { to: "alice@localhost/laptop", type: "chat" }, xml("body", {}, "Hi Alice")),
      );
      const back = await alice.next((s) => s.is("message"), "Alice to get Bob's reply");
      assert.equal(back.attrs.from, "bob@localhost/phone");
      assert.equal(back.getChildText("body"), "Hi Alice");

      // Client-to-client ping (xmpp.js answers pings itself), then a ping to the server.
      const pong: LtxElement = await withTimeout(
        alice.xmpp.iqCaller.request(
          xml("iq", { type: "get", to: "bob@localhost/phone" }, xml("ping", { xmlns: NS.PING })),
        ),
        "Bob's ping result",
      );
      assert.equal(pong.attrs.type, "result");
      assert.equal(pong.attrs.from, "bob@localhost/phone");
      const serverPong = await alice.xmpp.iqCaller.request(
        xml("iq", { type: "get", to: "localhost" }, xml("ping", { xmlns: NS.PING })),
      );
      assert.equal(serverPong.attrs.type, "result");
      assert.equal(serverPong.attrs.from, "localhost");
      assert.equal(serverPong.children.length, 0);
    } finally {
      await alice?.stop();
      await bob?.stop();
      await t.close();
    }
  },
});

Deno.test({
  name: "c2s: a wrong password gets the SASL failure <not-authorized/>",
  ...opts,
  async fn() {
    const t = await startServer();
    try {
      const err = await connect(t.port, "alice", "wrong").then(
        () => undefined,
        (e: Error & { condition?: string; name: string }) => e,
      );
      assert.ok(err, "login with a wrong password must fail");
      assert.equal(err.name, "SASLError");
      assert.equal(err.condition, "not-authorized");
      const unknown = await connect(t.port, "nobody", "x").then(
        () => undefined,
        (e: Error & { condition?: string }) => e,
      );
      assert.equal(unknown?.condition, "not-authorized");
    } finally {
      await t.close();
    }
  },
});

Deno.test({
  name: "c2s: direct TLS (XEP-0368) logs in and messages a STARTTLS client",
  ...opts,
  async fn() {
    const t = await startServer();
    let alice: TestClient | undefined, bob: TestClient | undefined;
    try {
      alice = await connect(t.port, "alice", "alice-pw", {
        service: `xmpps://127.0.0.1:${t.tlsPort}`,
        resource: "tls",
      });
      bob = await connect(t.port, "bob", "bob-pw", { resource: "tcp" });
      await alice.xmpp.send(
        xml("message", { to: "bob@localhost/tcp" }, xml("body", {}, "via 5223")),
      );
      const got = await bob.next((s) => s.is("message"), "the message over direct TLS");
      assert.equal(got.getChildText("body"), "via 5223");
      assert.equal(got.attrs.from, "alice@localhost/tls");
    } finally {
      await alice?.stop();
      await bob?.stop();
      await t.close();
    }
  },
});

Deno.test({
  name: "c2s: disco#info, software version and entity time of the server",
  ...opts,
  async fn() {
    const t = await startServer();
    let alice: TestClient | undefined;
    try {
      alice = await connect(t.port, "alice", "alice-pw");
      const info = await alice.xmpp.iqCaller.request(
        xml("iq", { type: "get", to: "localhost" }, xml("query", { xmlns: NS.DISCO_INFO })),
      );
      const query = info.getChild("query", NS.DISCO_INFO)!;
      const identity = query.getChild("identity")!;
      assert.deepEqual([identity.attrs.category, identity.attrs.type], ["server", "im"]);
      const features = query.getChildren("feature").map((f: { attrs: { var: string } }) =>
        f.attrs.var
      );
      assert.deepEqual(
        features,
        [
          NS.DISCO_INFO,
          NS.DISCO_ITEMS,
          NS.VERSION,
          NS.PING,
          NS.TIME,
          NS.BLOCKING,
          NS.VCARD,
          NS.PRIVATE,
          NS.REGISTER,
          NS.CARBONS,
          NS.LAST,
          NS.COMMANDS,
        ].sort(),
      );

      const version = await alice.xmpp.iqCaller.request(
        xml("iq", { type: "get", to: "localhost" }, xml("query", { xmlns: NS.VERSION })),
      );
      const v = version.getChild("query", NS.VERSION)!;
      assert.equal(v.getChildText("name"), "Parley");
      assert.match(v.getChildText("version")!, /^\d+\.\d+\.\d+$/);

      const time = await alice.xmpp.iqCaller.request(
        xml("iq", { type: "get", to: "localhost" }, xml("time", { xmlns: NS.TIME })),
      );
      const tm = time.getChild("time", NS.TIME)!;
      assert.equal(tm.getChildText("tzo"), "+00:00");
      const utc = tm.getChildText("utc")!;
      assert.match(utc, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
      assert.ok(Math.abs(Date.parse(utc) - Date.now()) < 60_000);

      // Account disco#info is answered by the server on the account's behalf.
      const account = await alice.xmpp.iqCaller.request(
        xml("iq", { type: "get", to: "bob@localhost" }, xml("query", { xmlns: NS.DISCO_INFO })),
      );
      const aid = account.getChild("query", NS.DISCO_INFO)!.getChild("identity")!;
      assert.deepEqual([aid.attrs.category, aid.attrs.type], ["account", "registered"]);
    } finally {
      await alice?.stop();
      await t.close();
    }
  },
});

async function iqError(
  client: TestClient,
  iq: ReturnType<typeof xml>,
): Promise<{ condition: string; type: string }> {
  try {
    await client.xmpp.iqCaller.request(iq);
  } catch (e) {
    // xmpp.js's StanzaError carries the condition and the <error/> type.
    const err = e as { name: string; condition?: string; type?: string };
    assert.equal(err.name, "StanzaError");
    return { condition: err.condition ?? "", type: err.type ?? "" };
  }
  throw new Error("expected an iq error");
}

Deno.test({
  name: "c2s: routing errors per RFC 6120 §8 and §10",
  ...opts,
  async fn() {
    const t = await startServer();
    let alice: TestClient | undefined;
    try {
      alice = await connect(t.port, "alice", "alice-pw", { resource: "r" });
      // An iq to the server nobody handles.
      assert.deepEqual(
        await iqError(
          alice,
          xml("iq", { type: "get", to: "localhost" }, xml("query", { xmlns: "urn:x:none" })),
        ),
        { condition: "service-unavailable", type: "cancel" },
      );
      // An iq to a full JID with no session.
      assert.deepEqual(
        await iqError(
          alice,
          xml("iq", { type: "get", to: "bob@localhost/none" }, xml("ping", { xmlns: NS.PING })),
        ),
        { condition: "service-unavailable", type: "cancel" },
      );
      // An iq to an account that does not exist.
      assert.deepEqual(
        await iqError(
          alice,
          xml(
            "iq",
            { type: "get", to: "nobody@localhost" },
            xml("query", { xmlns: NS.DISCO_INFO }),
          ),
        ),
        { condition: "service-unavailable", type: "cancel" },
      );
      // A domain this server does not host.
      assert.deepEqual(
        await iqError(
          alice,
          xml("iq", { type: "get", to: "example.org" }, xml("ping", { xmlns: NS.PING })),
        ),
        { condition: "remote-server-not-found", type: "cancel" },
      );
      // A message to an unknown local user comes back as service-unavailable.
      await alice.xmpp.send(
        xml("message", { to: "nobody@localhost", id: "u1", type: "chat" }, xml("body", {}, "?")),
      );
      const bounced = await alice.next((s) => s.is("message") && s.attrs.id === "u1", "the bounce");
      assert.equal(bounced.attrs.type, "error");
      assert.equal(bounced.attrs.from, "nobody@localhost");
      const error = bounced.getChild("error")!;
      assert.equal(error.attrs.type, "cancel");
      assert.ok(error.getChild("service-unavailable", "urn:ietf:params:xml:ns:xmpp-stanzas"));
      // An iq get with two children is a bad request (RFC 6120 §8.2.3).
      await alice.xmpp.send(xml(
        "iq",
        { type: "get", id: "two", to: "localhost" },
        xml("ping", { xmlns: NS.PING }),
        xml("ping", { xmlns: NS.PING }),
      ));
      const bad = await alice.next((s) => s.attrs.id === "two", "the bad-request");
      assert.equal(bad.attrs.type, "error");
      assert.ok(
        bad.getChild("error")!.getChild("bad-request", "urn:ietf:params:xml:ns:xmpp-stanzas"),
      );
      // A bare-JID message to an account whose session sent available presence.
      await alice.xmpp.send(xml("presence"));
      await alice.xmpp.send(
        xml("message", { to: "alice@localhost", id: "self", type: "chat" }, xml("body", {}, "me")),
      );
      const self = await alice.next((s) => s.attrs.id === "self", "the message to my bare JID");
      assert.equal(self.attrs.type, "chat");
      assert.equal(self.attrs.to, "alice@localhost");
    } finally {
      await alice?.stop();
      await t.close();
    }
  },
});

Deno.test({
  name: "c2s: a second session on the same full JID makes the older one close with <conflict/>",
  ...opts,
  async fn() {
    const t = await startServer();
    let first: TestClient | undefined, second: TestClient | undefined;
    try {
      first = await connect(t.port, "alice", "alice-pw", { resource: "same" });
      const closed = new Promise<void>((resolve) => first!.xmpp.on("disconnect", () => resolve()));
      second = await connect(t.port, "alice", "alice-pw", { resource: "same" });
      await withTimeout(closed, "the older session to go offline");
      const err = first.errors.find((e) => (e as { condition?: string }).condition);
      assert.equal((err as { condition?: string; name: string }).condition, "conflict");
      assert.equal(err?.name, "StreamError");
      assert.equal(second.xmpp.jid?.toString(), "alice@localhost/same");
    } finally {
      await first?.stop();
      await second?.stop();
      await t.close();
    }
  },
});

Deno.test({
  name: "c2s: a spoofed from gets the stream error <invalid-from/>",
  ...opts,
  async fn() {
    const t = await startServer();
    let alice: TestClient | undefined, bob: TestClient | undefined;
    try {
      alice = await connect(t.port, "alice", "alice-pw");
      bob = await connect(t.port, "bob", "bob-pw", { resource: "b" });
      const offline = new Promise<void>((resolve) => alice!.xmpp.on("disconnect", () => resolve()));
      await alice.xmpp.send(
        xml("message", { from: "bob@localhost/b", to: "bob@localhost/b" }, xml("body", {}, "fake")),
      );
      await withTimeout(offline, "the spoofing client to be disconnected");
      assert.equal((alice.errors[0] as { condition?: string }).condition, "invalid-from");
      // Bob never got the spoofed message; he still can use the server.
      const pong = await bob.xmpp.iqCaller.request(
        xml("iq", { type: "get", to: "localhost" }, xml("ping", { xmlns: NS.PING })),
      );
      assert.equal(pong.attrs.type, "result");
    } finally {
      await alice?.stop();
      await bob?.stop();
      await t.close();
    }
  },
});

Deno.test({
  name: "c2s: closing the server sends <system-shutdown/> to every client",
  ...opts,
  async fn() {
    const t = await startServer();
    const alice = await connect(t.port, "alice", "alice-pw");
    const offline = new Promise<void>((resolve) => alice.xmpp.on("disconnect", () => resolve()));
    await t.close();
    await withTimeout(offline, "the client to go offline");
    assert.equal((alice.errors[0] as { condition?: string }).condition, "system-shutdown");
    await alice.stop();
  },
});

Deno.test({
  name: "c2s: a module's hook can take over a stanza (HANDLED)",
  ...opts,
  async fn() {
    const t = await startServer({
      modules: [{
        name: "echo",
        setup(api) {
          api.hook("message/server", async ({ stanza, from }) => {
            await api.router.route({
              ...stanza,
              attrs: { to: from.full, from: api.domain, type: "chat" },
            });
            return HANDLED;
          });
        },
      }],
    });
    let alice: TestClient | undefined;
    try {
      alice = await connect(t.port, "alice", "alice-pw");
      await alice.xmpp.send(xml("message", { to: "localhost" }, xml("body", {}, "echo me")));
      const echo = await alice.next((s) => s.is("message"), "the echo");
      assert.equal(echo.attrs.from, "localhost");
      assert.equal(echo.getChildText("body"), "echo me");
    } finally {
      await alice?.stop();
      await t.close();
    }
  },
});

Deno.test({
  name: "c2s: elements in other namespaces, prefixes and xml:lang are routed intact",
  ...opts,
  async fn() {
    const t = await startServer();
    let alice: TestClient | undefined, bob: TestClient | undefined;
    try {
      alice = await connect(t.port, "alice", "alice-pw", { resource: "a" });
      bob = await connect(t.port, "bob", "bob-pw", { resource: "b" });
      await alice.xmpp.send(xml(
        "message",
        { to: "bob@localhost/b", id: "ns1", "xml:lang": "de" },
        xml("body", {}, 'Grüße & <Tags> "quoted"'),
        xml(
          "x",
          { xmlns: "urn:example:custom" },
          xml("y", { attr: "1 & 2", "xmlns:p": "urn:example:p", "p:q": "v" }, "text"),
        ),
      ));
      const got = await bob.next((s) => s.attrs.id === "ns1", "the message with extensions");
      assert.equal(got.attrs["xml:lang"], "de");
      assert.equal(got.getChildText("body"), 'Grüße & <Tags> "quoted"');
      const x = got.getChild("x", "urn:example:custom")!;
      assert.ok(x, "the custom element keeps its namespace");
      const y = x.getChild("y")!;
      assert.equal(y.getNS(), "urn:example:custom");
      assert.equal(y.attrs.attr, "1 & 2");
      assert.equal(y.attrs["p:q"], "v");
      assert.equal(y.attrs["xmlns:p"], "urn:example:p");
      assert.equal(y.text(), "text");
    } finally {
      await alice?.stop();
      await bob?.stop();
      await t.close();
    }
  },
});

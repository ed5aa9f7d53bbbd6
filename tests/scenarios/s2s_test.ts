// Federation between two Parley servers on loopback (a.localhost, b.localhost) over s2s with
// STARTTLS and dialback (XEP-0220): real xmpp.js users subscribe across servers, see each
// other's presence and chat; a domain that cannot be reached bounces messages.
import assert from "node:assert/strict";
import { xml } from "@xmpp/client";
import { connect, type TestClient, waitFor } from "./_harness.ts";
import { getRoster, nextPresence, nextPush } from "./_im.ts";
import { startFedServer, startPair, stopAll } from "./_s2s.ts";
import { type BareJid, externalComponents, memoryStorage } from "../../mod.ts";
import { component } from "@xmpp/component";
import { componentTransport } from "../../adapters/deno_tcp/mod.ts";
import { withTimeout } from "./_harness.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };
const STANZAS = "urn:ietf:params:xml:ns:xmpp-stanzas";

async function online(port: number, user: string, domain: string): Promise<TestClient> {
  const c = await connect(port, user, `${user}-pw`, { resource: "r", domain });
  await getRoster(c);
  await c.xmpp.send(xml("presence", {}));
  await nextPresence(c, `${user}@${domain}/r`, undefined, `${user}@${domain}'s own presence`);
  return c;
}

Deno.test({
  name: "federation(): users of two servers subscribe, see presence and chat over s2s",
  ...opts,
  async fn() {
    const [a, b] = await startPair();
    const clients: TestClient[] = [];
    try {
      const alice = await online(a.port, "alice", "a.localhost");
      const bob = await online(b.port, "bob", "b.localhost");
      clients.push(alice, bob);

      // RFC 6121 §3.1: Alice asks; the request crosses to b.localhost.
      await alice.xmpp.send(xml("presence", { to: "bob@b.localhost", type: "subscribe" }));
      const asked = await nextPush(alice, "bob@b.localhost", "alice's push with ask");
      assert.equal(asked.attrs.ask, "subscribe");
      const request = await nextPresence(bob, "alice@a.localhost", "subscribe", "bob's request");
      assert.equal(request.getNS(), "jabber:client");
      // Bob approves and asks back; Alice approves.
      await bob.xmpp.send(xml("presence", { to: "alice@a.localhost", type: "subscribed" }));
      const approved = await nextPush(alice, "bob@b.localhost", "alice's push 'to'");
      assert.equal(approved.attrs.subscription, "to");
      // The approval is followed by Bob's current presence (RFC 6121 §3.1.5).
      await nextPresence(alice, "bob@b.localhost/r", undefined, "bob's presence at alice");
      await bob.xmpp.send(xml("presence", { to: "alice@a.localhost", type: "subscribe" }));
      await nextPresence(alice, "bob@b.localhost", "subscribe", "alice gets bob's request");
      await alice.xmpp.send(xml("presence", { to: "bob@b.localhost", type: "subscribed" }));
      await nextPresence(bob, "alice@a.localhost/r", undefined, "alice's presence at bob");

      // A chat both ways, to the bare and the full JID.
      await alice.xmpp.send(
        xml("message", { to: "bob@b.localhost", type: "chat", id: "m1" }, xml("body", {}, "hi")),
      );
      const m1 = await bob.next((s) => s.is("message") && s.attrs.id === "m1", "bob gets m1");
      assert.equal(m1.attrs.from, "alice@a.localhost/r");
      assert.equal(m1.getChildText("body"), "hi");
      await bob.xmpp.send(
        xml(
          "message",
          { to: "alice@a.localhost/r", type: "chat", id: "m2" },
          xml("body", {}, "yo"),
        ),
      );
      const m2 = await alice.next((s) => s.is("message") && s.attrs.id === "m2", "alice gets m2");
      assert.equal(m2.attrs.from, "bob@b.localhost/r");
      // An iq across: Bob's server answers a ping on his account's behalf... it is for the server.
      await alice.xmpp.send(
        xml(
          "iq",
          { to: "b.localhost", type: "get", id: "p1" },
          xml("ping", { xmlns: "urn:xmpp:ping" }),
        ),
      );
      const pong = await alice.next((s) => s.is("iq") && s.attrs.id === "p1", "the pong");
      assert.equal(pong.attrs.type, "result");
      assert.equal(pong.attrs.from, "b.localhost");

      // Bob goes offline: Alice sees unavailable.
      await bob.xmpp.send(xml("presence", { type: "unavailable" }));
      await nextPresence(alice, "bob@b.localhost/r", "unavailable", "bob's unavailable at alice");
      assert.deepEqual(a.s2s.outgoing(), ["a.localhost b.localhost"]);
    } finally {
      await stopAll(clients, a, b);
    }
  },
});

Deno.test({
  name: "federation(): a message to a domain nobody answers for bounces remote-server-not-found",
  ...opts,
  async fn() {
    const a = await startFedServer("a.localhost", { connectTimeoutMs: 2000 });
    // A closed port: the connection is refused.
    a.routes["nowhere.localhost"] = "127.0.0.1:1";
    let alice: TestClient | undefined;
    try {
      alice = await online(a.port, "alice", "a.localhost");
      const sent = Date.now();
      await alice.xmpp.send(
        xml("message", { to: "x@nowhere.localhost", type: "chat", id: "b1" }, xml("body", {}, "?")),
      );
      await alice.xmpp.send(xml("presence", { to: "x@nowhere.localhost", type: "subscribe" }));
      await alice.xmpp.send(
        xml(
          "iq",
          { to: "x@nowhere.localhost", type: "get", id: "b2" },
          xml("ping", { xmlns: "urn:xmpp:ping" }),
        ),
      );
      for (const id of ["b1", "b2"]) {
        const bounce = await alice.next((s) => s.attrs.id === id, `the bounce of ${id}`);
        assert.equal(bounce.attrs.type, "error");
        assert.equal(bounce.attrs.from, "x@nowhere.localhost");
        assert.ok(bounce.getChild("error")?.getChild("remote-server-not-found", STANZAS));
      }
      assert.ok(Date.now() - sent < 5000);
    } finally {
      await alice?.stop();
      await a.close();
    }
  },
});

Deno.test({
  name: "federation(): a peer that never answers makes messages bounce remote-server-timeout",
  ...opts,
  async fn() {
    const a = await startFedServer("a.localhost", { connectTimeoutMs: 500 });
    // A listener that accepts and stays silent.
    const silent = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const held: Deno.Conn[] = [];
    void (async () => {
      for await (const conn of silent) held.push(conn);
    })();
    a.routes["silent.localhost"] = `127.0.0.1:${silent.addr.port}`;
    let alice: TestClient | undefined;
    try {
      alice = await online(a.port, "alice", "a.localhost");
      const sent = Date.now();
      await alice.xmpp.send(
        xml("message", { to: "x@silent.localhost", type: "chat", id: "t1" }, xml("body", {}, "?")),
      );
      const bounce = await alice.next((s) => s.attrs.id === "t1", "the timeout bounce");
      // connectTimeoutMs is 500: the bounce comes within it and some slack.
      assert.ok(Date.now() - sent < 2000, `${Date.now() - sent} ms`);
      assert.equal(bounce.attrs.type, "error");
      assert.ok(bounce.getChild("error")?.getChild("remote-server-timeout", STANZAS));
    } finally {
      await alice?.stop();
      await a.close();
      silent.close();
      for (const c of held) c.close();
    }
  },
});

Deno.test({
  name: "federation(): a server that restarts shows its users unavailable, then available again",
  ...opts,
  async fn() {
    const storageB = memoryStorage();
    const a = await startFedServer("a.localhost");
    let b = await startFedServer("b.localhost", { storage: storageB });
    const portB = b.s2sPort;
    a.routes["b.localhost"] = `127.0.0.1:${portB}`;
    b.routes["a.localhost"] = `127.0.0.1:${a.s2sPort}`;
    // Alice and Bob are subscribed to each other.
    const item = { groups: [], subscription: "both", ask: false, approved: false } as const;
    await a.server.storage.roster.setItem(
      "alice@a.localhost" as BareJid,
      { ...item, jid: "bob@b.localhost" as BareJid },
    );
    await storageB.roster.setItem(
      "bob@b.localhost" as BareJid,
      { ...item, jid: "alice@a.localhost" as BareJid },
    );
    const clients: TestClient[] = [];
    try {
      const alice = await online(a.port, "alice", "a.localhost");
      clients.push(alice);
      let bob = await online(b.port, "bob", "b.localhost");
      clients.push(bob);
      await nextPresence(alice, "bob@b.localhost/r", undefined, "bob's presence at alice");

      // b.localhost shuts down: its sessions end, and their unavailable crosses before it goes.
      await b.close();
      await nextPresence(alice, "bob@b.localhost/r", "unavailable", "bob unavailable at alice");

      // It comes back on the same port, with the same accounts and rosters.
      b = await startFedServer("b.localhost", { storage: storageB, s2sPort: portB });
      b.routes["a.localhost"] = `127.0.0.1:${a.s2sPort}`;
      bob = await online(b.port, "bob", "b.localhost");
      clients.push(bob);
      await nextPresence(alice, "bob@b.localhost/r", undefined, "bob available again");
      // Bob's probe is answered by a.localhost with Alice's presence.
      await nextPresence(bob, "alice@a.localhost/r", undefined, "alice's presence at bob");
      await alice.xmpp.send(
        xml("message", { to: "bob@b.localhost", type: "chat", id: "r1" }, xml("body", {}, "back?")),
      );
      await bob.next((s) => s.attrs.id === "r1", "bob gets the message after the restart");
    } finally {
      await stopAll(clients, a, b);
    }
  },
});

Deno.test({
  name: "federation(): an idle s2s stream is closed, and a new one is opened when needed",
  ...opts,
  async fn() {
    const a = await startFedServer("a.localhost", { idleTimeoutMs: 300 });
    const b = await startFedServer("b.localhost", { idleTimeoutMs: 300 });
    a.routes["b.localhost"] = `127.0.0.1:${b.s2sPort}`;
    b.routes["a.localhost"] = `127.0.0.1:${a.s2sPort}`;
    const clients: TestClient[] = [];
    try {
      const alice = await online(a.port, "alice", "a.localhost");
      const bob = await online(b.port, "bob", "b.localhost");
      clients.push(alice, bob);
      for (const id of ["i1", "i2"]) {
        await alice.xmpp.send(
          xml("message", { to: "bob@b.localhost/r", type: "chat", id }, xml("body", {}, id)),
        );
        await bob.next((s) => s.attrs.id === id, `bob gets ${id}`);
        assert.deepEqual(a.s2s.outgoing(), ["a.localhost b.localhost"]);
        await waitFor(() => a.s2s.outgoing().length === 0, "the idle stream to close", 3000);
      }
    } finally {
      await stopAll(clients, a, b);
    }
  },
});

Deno.test({
  name: "federation(): a peer's direct TLS s2s port (XEP-0368) carries a chat both ways",
  ...opts,
  async fn() {
    const a = await startFedServer("a.localhost");
    const b = await startFedServer("b.localhost", { directTls: true });
    a.routes["b.localhost"] = `tls:127.0.0.1:${b.s2sPort}`;
    b.routes["a.localhost"] = `127.0.0.1:${a.s2sPort}`;
    const clients: TestClient[] = [];
    try {
      const alice = await online(a.port, "alice", "a.localhost");
      const bob = await online(b.port, "bob", "b.localhost");
      clients.push(alice, bob);
      await alice.xmpp.send(
        xml("message", { to: "bob@b.localhost/r", type: "chat", id: "d1" }, xml("body", {}, "tls")),
      );
      const m1 = await bob.next((s) => s.attrs.id === "d1", "bob gets d1 over direct TLS");
      assert.equal(m1.attrs.from, "alice@a.localhost/r");
      await bob.xmpp.send(
        xml(
          "message",
          { to: "alice@a.localhost/r", type: "chat", id: "d2" },
          xml("body", {}, "ok"),
        ),
      );
      await alice.next((s) => s.attrs.id === "d2", "alice gets d2");
    } finally {
      await stopAll(clients, a, b);
    }
  },
});

Deno.test({
  name: "federation(): carbons copy messages to and from a remote contact; a block stops them",
  ...opts,
  async fn() {
    const [a, b] = await startPair();
    const clients: TestClient[] = [];
    try {
      const phone = await connect(a.port, "alice", "alice-pw", {
        resource: "phone",
        domain: "a.localhost",
      });
      const laptop = await connect(a.port, "alice", "alice-pw", {
        resource: "laptop",
        domain: "a.localhost",
      });
      const bob = await online(b.port, "bob", "b.localhost");
      clients.push(phone, laptop, bob);
      for (const c of [phone, laptop]) {
        await c.xmpp.send(xml("presence", {}));
        await c.xmpp.send(
          xml("iq", { type: "set", id: "c" }, xml("enable", { xmlns: "urn:xmpp:carbons:2" })),
        );
        await c.next((s) => s.attrs.id === "c", "carbons enabled");
      }
      // XEP-0280 §6: the phone's message to Bob is copied to the laptop ("sent").
      await phone.xmpp.send(
        xml("message", { to: "bob@b.localhost", type: "chat", id: "c1" }, xml("body", {}, "hi")),
      );
      await bob.next((s) => s.attrs.id === "c1", "bob gets c1");
      const sent = await laptop.next(
        (s) => !!s.getChild("sent", "urn:xmpp:carbons:2"),
        "sent copy",
      );
      assert.equal(sent.attrs.from, "alice@a.localhost");
      // Bob answers the phone's full JID: the laptop gets a "received" copy.
      await bob.xmpp.send(
        xml(
          "message",
          { to: "alice@a.localhost/phone", type: "chat", id: "c2" },
          xml("body", {}, "yo"),
        ),
      );
      await phone.next((s) => s.attrs.id === "c2", "the phone gets c2");
      await laptop.next((s) => !!s.getChild("received", "urn:xmpp:carbons:2"), "received copy");

      // XEP-0191: Alice blocks Bob; his next message does not reach her.
      await phone.xmpp.send(
        xml(
          "iq",
          { type: "set", id: "blk" },
          xml("block", { xmlns: "urn:xmpp:blocking" }, xml("item", { jid: "bob@b.localhost" })),
        ),
      );
      await phone.next((s) => s.attrs.id === "blk" && s.attrs.type === "result", "block result");
      await bob.xmpp.send(
        xml(
          "message",
          { to: "alice@a.localhost/phone", type: "chat", id: "c3" },
          xml("body", {}, "?"),
        ),
      );
      await assert.rejects(phone.next((s) => s.attrs.id === "c3", "the blocked message", 500));
      // Her own message to him gets <not-acceptable/> with <blocked/>.
      await phone.xmpp.send(
        xml("message", { to: "bob@b.localhost", type: "chat", id: "c4" }, xml("body", {}, "!")),
      );
      const refused = await phone.next((s) => s.attrs.id === "c4", "the refusal");
      assert.equal(refused.attrs.type, "error");
      assert.ok(refused.getChild("error")?.getChild("not-acceptable", STANZAS));
    } finally {
      await stopAll(clients, a, b);
    }
  },
});

Deno.test({
  name: "federation(): a remote user reaches an external component's domain (XEP-0114 over s2s)",
  ...opts,
  async fn() {
    const components = externalComponents({ secrets: { "echo.a.localhost": "echo-pw" } });
    const a = await startFedServer("a.localhost", { modules: [components] });
    const b = await startFedServer("b.localhost");
    a.routes["b.localhost"] = `127.0.0.1:${b.s2sPort}`;
    b.routes["a.localhost"] = `127.0.0.1:${a.s2sPort}`;
    // The component's domain is served by a.localhost's s2s port.
    b.routes["echo.a.localhost"] = `127.0.0.1:${a.s2sPort}`;
    let componentPort = 0;
    await a.server.listen(
      componentTransport(components, { port: 0, onListen: (l) => componentPort = l.port }),
    );
    const echo = component({
      service: `xmpp://127.0.0.1:${componentPort}`,
      domain: "echo.a.localhost",
      password: "echo-pw",
    });
    echo.reconnect.stop();
    echo.on("error", () => {});
    echo.on("stanza", (s: { is(n: string): boolean; attrs: Record<string, string> }) => {
      if (s.is("message") && s.attrs.type !== "error") {
        void echo.send(xml("message", { from: s.attrs.to, to: s.attrs.from, id: s.attrs.id }));
      }
    });
    const clients: TestClient[] = [];
    try {
      await withTimeout(echo.start(), "the component to authenticate");
      const bob = await online(b.port, "bob", "b.localhost");
      clients.push(bob);
      await bob.xmpp.send(xml("message", { to: "bot@echo.a.localhost", id: "e1" }));
      const back = await bob.next((s) => s.attrs.id === "e1", "the component's answer");
      assert.equal(back.attrs.from, "bot@echo.a.localhost");
      // The answer left a.localhost on a stream authenticated for the component's domain.
      assert.ok(a.s2s.outgoing().includes("echo.a.localhost b.localhost"));
    } finally {
      for (const c of clients) await c.stop();
      await echo.stop().catch(() => {});
      await a.close();
      await b.close();
    }
  },
});

// XEP-0160 offline messages with XEP-0203 delay stamps, and the per-account cap, between real
// xmpp.js clients.
import assert from "node:assert/strict";
import { xml } from "@xmpp/client";
import { connect, startServer, type TestClient } from "./_harness.ts";
import { condition, nothing } from "./_iq.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };
const DELAY = "urn:xmpp:delay";

Deno.test({
  name: "offline: a message to an offline user is delivered at login with a delay stamp",
  ...opts,
  async fn() {
    const t = await startServer();
    let alice: TestClient | undefined, bob: TestClient | undefined;
    try {
      alice = await connect(t.port, "alice", "alice-pw", { resource: "laptop" });
      const before = Date.now();
      await alice.xmpp.send(
        xml("message", { to: "bob@localhost", type: "chat", id: "o1" }, xml("body", {}, "One")),
      );
      // A full JID with no session falls back to the bare JID (RFC 6121 §8.5.3.2.1).
      await alice.xmpp.send(
        xml("message", { to: "bob@localhost/gone", id: "o2" }, xml("body", {}, "Two")),
      );
      // Headline and error messages are not stored (RFC 6121 §8.5.2.2.1).
      await alice.xmpp.send(
        xml("message", { to: "bob@localhost", type: "headline" }, xml("body", {}, "News")),
      );
      await alice.xmpp.send(xml("message", { to: "bob@localhost", type: "error", id: "e1" }));
      assert.ok(await nothing(alice, (s) => s.is("message") && s.attrs.type === "error", 200));

      bob = await connect(t.port, "bob", "bob-pw", { resource: "phone" });
      // Negative priority: nothing yet (XEP-0160 §3).
      await bob.xmpp.send(xml("presence", {}, xml("priority", {}, "-1")));
      assert.ok(await nothing(bob, (s) => s.is("message"), 200));
      await bob.xmpp.send(xml("presence", {}, xml("priority", {}, "1")));
      const one = await bob.next((s) => s.is("message") && s.attrs.id === "o1", "message one");
      const two = await bob.next((s) => s.is("message") && s.attrs.id === "o2", "message two");
      for (const m of [one, two]) {
        assert.equal(m.attrs.from, "alice@localhost/laptop");
        const delay = m.getChild("delay", DELAY);
        assert.ok(delay, "the message carries an XEP-0203 delay");
        assert.equal(delay.attrs.from, "localhost");
        const stamp = Date.parse(delay.attrs.stamp);
        assert.ok(stamp >= before - 1000 && stamp <= Date.now(), delay.attrs.stamp);
      }
      assert.equal(one.getChildText("body"), "One");
      assert.equal(one.attrs.type, "chat");
      assert.ok(
        await nothing(bob, (s) => s.is("message") && s.getChildText("body") === "News", 200),
      );
      await bob.stop();

      // Delivered once: the next login gets nothing.
      bob = await connect(t.port, "bob", "bob-pw", { resource: "tablet" });
      await bob.xmpp.send(xml("presence", {}));
      assert.ok(await nothing(bob, (s) => s.is("message"), 200));
      assert.equal(await t.server.storage.offline.count("bob@localhost" as never), 0);
    } finally {
      await alice?.stop();
      await bob?.stop();
      await t.close();
    }
  },
});

Deno.test({
  name: "offline: over the cap the sender gets service-unavailable, and nothing stored is lost",
  ...opts,
  async fn() {
    const t = await startServer({ limits: { maxOfflineMessages: 2 } });
    let alice: TestClient | undefined, bob: TestClient | undefined;
    try {
      alice = await connect(t.port, "alice", "alice-pw", { resource: "laptop" });
      for (const id of ["c1", "c2", "c3"]) {
        await alice.xmpp.send(
          xml("message", { to: "bob@localhost", type: "chat", id }, xml("body", {}, id)),
        );
      }
      const error = await alice.next(
        (s) => s.is("message") && s.attrs.type === "error",
        "the error for the third message",
      );
      assert.equal(error.attrs.id, "c3");
      assert.equal(error.attrs.from, "bob@localhost");
      assert.equal(error.getChild("error")?.attrs.type, "cancel");
      assert.equal(condition(error), "service-unavailable");

      bob = await connect(t.port, "bob", "bob-pw", { resource: "phone" });
      await bob.xmpp.send(xml("presence", {}));
      const got = [
        await bob.next((s) => s.is("message"), "the first stored message"),
        await bob.next((s) => s.is("message"), "the second stored message"),
      ];
      assert.deepEqual(got.map((m) => m.attrs.id), ["c1", "c2"]);
      // Bob answers the error-free way; the error Alice got never bounced back.
      assert.ok(await nothing(bob, (s) => s.is("message"), 200));
    } finally {
      await alice?.stop();
      await bob?.stop();
      await t.close();
    }
  },
});

Deno.test({
  name:
    "offline: a stored message nested deeper than 32 is delivered; an unreadable one is dropped",
  ...opts,
  async fn() {
    const t = await startServer({ limits: { maxDepth: 64 } });
    let alice: TestClient | undefined, bob: TestClient | undefined;
    try {
      alice = await connect(t.port, "alice", "alice-pw", { resource: "laptop" });
      let deep = xml("x", { xmlns: "urn:example:deep" });
      for (let i = 0; i < 40; i++) deep = xml("x", { xmlns: "urn:example:deep" }, deep);
      await alice.xmpp.send(xml("message", { to: "bob@localhost", type: "chat", id: "d1" }, deep));
      await t.server.storage.offline.push(
        "bob@localhost" as never,
        "<message xmlns='jabber:client' id='broken'><body>",
        new Date(),
        10,
      );
      await alice.xmpp.send(
        xml("message", { to: "bob@localhost", type: "chat", id: "d2" }, xml("body", {}, "Two")),
      );
      const deadline = Date.now() + 5000;
      while (await t.server.storage.offline.count("bob@localhost" as never) < 3) {
        assert.ok(Date.now() < deadline, "three stored messages");
        await new Promise((r) => setTimeout(r, 10));
      }

      bob = await connect(t.port, "bob", "bob-pw", { resource: "phone" });
      await bob.xmpp.send(xml("presence", {}));
      const first = await bob.next((s) => s.is("message"), "the deep message");
      assert.equal(first.attrs.id, "d1");
      const second = await bob.next((s) => s.is("message"), "the message after the broken one");
      assert.equal(second.attrs.id, "d2");
      assert.equal(await t.server.storage.offline.count("bob@localhost" as never), 0);
    } finally {
      await alice?.stop();
      await bob?.stop();
      await t.close();
    }
  },
});

Deno.test({
  name: "offline: storage is read when a session becomes available, not at every presence update",
  ...opts,
  async fn() {
    const t = await startServer();
    let bob: TestClient | undefined;
    try {
      bob = await connect(t.port, "bob", "bob-pw", { resource: "phone" });
      const own = bob.next((s) => s.is("presence") && !s.attrs.type, "Bob's own presence");
      await bob.xmpp.send(xml("presence", {}));
      await own;
      // Stored behind the server's back while Bob is available.
      await t.server.storage.offline.push(
        "bob@localhost" as never,
        "<message xmlns='jabber:client' from='alice@localhost/laptop' id='late'/>",
        new Date(),
        10,
      );
      await bob.xmpp.send(xml("presence", {}, xml("show", {}, "away")));
      assert.ok(await nothing(bob, (s) => s.is("message"), 200));
      await bob.xmpp.send(xml("presence", {}, xml("priority", {}, "-1")));
      await bob.xmpp.send(xml("presence", {}, xml("priority", {}, "0")));
      const late = await bob.next((s) => s.is("message"), "the stored message");
      assert.equal(late.attrs.id, "late");
    } finally {
      await bob?.stop();
      await t.close();
    }
  },
});

// RFC 6121 §4 presence between real xmpp.js clients: probes at login, broadcasts, unavailable
// at logout and on a dropped connection, and directed presence.
import assert from "node:assert/strict";
import { xml } from "@xmpp/client";
import { connect, friends, startServer, type TestClient } from "./_harness.ts";
import { dropConnection, nextPresence } from "./_im.ts";
import { iq, nothing } from "./_iq.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };

Deno.test({
  name: "presence: initial presence probes contacts and is broadcast; unavailable at logout",
  ...opts,
  async fn() {
    const t = await startServer();
    await friends(t);
    let alice: TestClient | undefined, bob: TestClient | undefined, alice2: TestClient | undefined;
    try {
      bob = await connect(t.port, "bob", "bob-pw", { resource: "phone" });
      await bob.xmpp.send(xml("presence", {}, xml("status", {}, "on the go")));
      await nextPresence(bob, "bob@localhost/phone", undefined, "bob's own presence");

      alice = await connect(t.port, "alice", "alice-pw", { resource: "laptop" });
      await alice.xmpp.send(xml("presence", {}, xml("priority", {}, "5")));
      // §4.2.2: the broadcast reaches Bob and Alice herself.
      const seen = await nextPresence(bob, "alice@localhost/laptop", undefined, "alice online");
      assert.equal(seen.getChildText("priority"), "5");
      await nextPresence(alice, "alice@localhost/laptop", undefined, "alice's own presence");
      // §4.3: the probe is answered with Bob's last presence.
      const probed = await nextPresence(
        alice,
        "bob@localhost/phone",
        undefined,
        "the probe answer",
      );
      assert.equal(probed.getChildText("status"), "on the go");

      // A second resource of Alice gets her first resource's presence too.
      alice2 = await connect(t.port, "alice", "alice-pw", { resource: "phone" });
      await alice2.xmpp.send(xml("presence", {}));
      await nextPresence(alice, "alice@localhost/phone", undefined, "alice2 online");
      await nextPresence(alice2, "alice@localhost/laptop", undefined, "alice's other resource");
      await nextPresence(bob, "alice@localhost/phone", undefined, "alice2 online at bob");

      // §4.5: unavailable presence is broadcast, then the client leaves.
      await alice2.xmpp.send(xml("presence", { type: "unavailable" }));
      await nextPresence(bob, "alice@localhost/phone", "unavailable", "alice2 offline");
      await nextPresence(alice, "alice@localhost/phone", "unavailable", "alice2 offline at alice");
      await alice2.stop();

      // A client that closes its stream without unavailable presence still goes offline.
      await alice.stop();
      await nextPresence(bob, "alice@localhost/laptop", "unavailable", "alice offline");
    } finally {
      await alice?.stop();
      await alice2?.stop();
      await bob?.stop();
      await t.close();
    }
  },
});

Deno.test({
  name: "presence: a dropped connection is broadcast as unavailable (RFC 6121 §4.5.2)",
  ...opts,
  async fn() {
    // xmpp.js enables XEP-0198 resumption: its session outlives the connection (available,
    // routable) until it expires, here after a second; then it is gone.
    const t = await startServer({ limits: { resumptionTimeoutMs: 1000 } });
    await friends(t);
    let alice: TestClient | undefined, bob: TestClient | undefined, carol: TestClient | undefined;
    try {
      bob = await connect(t.port, "bob", "bob-pw", { resource: "phone" });
      await bob.xmpp.send(xml("presence", {}));
      carol = await connect(t.port, "carol", "carol-pw", { resource: "desk" });
      await carol.xmpp.send(xml("presence", {}));
      alice = await connect(t.port, "alice", "alice-pw", { resource: "laptop" });
      await alice.xmpp.send(xml("presence", {}));
      await nextPresence(bob, "alice@localhost/laptop", undefined, "alice online");
      // §4.6: directed presence to Carol, who has no subscription.
      await alice.xmpp.send(xml("presence", { to: "carol@localhost/desk" }));
      await nextPresence(carol, "alice@localhost/laptop", undefined, "directed presence");

      // Kill the socket: no unavailable presence, no stream close.
      dropConnection(alice);
      await nextPresence(bob, "alice@localhost/laptop", "unavailable", "alice gone");
      await nextPresence(carol, "alice@localhost/laptop", "unavailable", "alice gone at carol");
    } finally {
      await alice?.stop();
      await bob?.stop();
      await carol?.stop();
      await t.close();
    }
  },
});

Deno.test({
  name: "presence: directed presence gets unavailable at logout; strangers' probes reveal nothing",
  ...opts,
  async fn() {
    const t = await startServer();
    let alice: TestClient | undefined, carol: TestClient | undefined;
    try {
      carol = await connect(t.port, "carol", "carol-pw", { resource: "desk" });
      await carol.xmpp.send(xml("presence", {}));
      alice = await connect(t.port, "alice", "alice-pw", { resource: "laptop" });
      await alice.xmpp.send(xml("presence", {}));
      await alice.xmpp.send(xml("presence", { to: "carol@localhost" }, xml("show", {}, "chat")));
      const got = await nextPresence(carol, "alice@localhost/laptop", undefined, "directed");
      assert.equal(got.getChildText("show"), "chat");
      // Carol is not subscribed: a probe from her client is not answered with presence.
      await carol.xmpp.send(xml("presence", { to: "alice@localhost", type: "probe" }));
      assert.ok(
        await nothing(carol, (s) => s.is("presence") && s.attrs.from?.startsWith("alice"), 200),
      );
      await alice.xmpp.send(xml("presence", { type: "unavailable" }));
      await nextPresence(carol, "alice@localhost/laptop", "unavailable", "unavailable at logout");
    } finally {
      await alice?.stop();
      await carol?.stop();
      await t.close();
    }
  },
});

/** An iq round trip: every stanza the server queued for `c` before it has arrived after it. */
async function roundTrip(c: TestClient): Promise<void> {
  const reply = await iq(c, "get", xml("ping", { xmlns: "urn:xmpp:ping" }));
  assert.equal(reply.attrs.type, "result");
}

Deno.test({
  name: "presence: unavailable presence comes back to the resource that sent it (RFC 6121 §4.5.2)",
  ...opts,
  async fn() {
    const t = await startServer();
    await friends(t);
    let alice: TestClient | undefined, bob: TestClient | undefined;
    try {
      bob = await connect(t.port, "bob", "bob-pw", { resource: "phone" });
      await bob.xmpp.send(xml("presence", {}));
      alice = await connect(t.port, "alice", "alice-pw", { resource: "laptop" });
      await alice.xmpp.send(xml("presence", {}));
      await nextPresence(alice, "alice@localhost/laptop", undefined, "alice's own presence");
      await alice.xmpp.send(xml("presence", { type: "unavailable" }));
      const echo = await nextPresence(
        alice,
        "alice@localhost/laptop",
        "unavailable",
        "alice's own unavailable presence",
      );
      assert.equal(echo.name, "presence");
      assert.equal(echo.getNS(), "jabber:client");
      assert.equal(echo.attrs.to, "alice@localhost");
      await nextPresence(bob, "alice@localhost/laptop", "unavailable", "alice offline at bob");
    } finally {
      await alice?.stop();
      await bob?.stop();
      await t.close();
    }
  },
});

Deno.test({
  name: "presence: probe answers go to the new resource only (RFC 6121 §4.3.2)",
  ...opts,
  async fn() {
    const t = await startServer();
    await friends(t);
    let alice: TestClient | undefined, alice2: TestClient | undefined, bob: TestClient | undefined;
    try {
      bob = await connect(t.port, "bob", "bob-pw", { resource: "phone" });
      await bob.xmpp.send(xml("presence", {}, xml("status", {}, "here")));
      alice = await connect(t.port, "alice", "alice-pw", { resource: "laptop" });
      await alice.xmpp.send(xml("presence", {}));
      const first = await nextPresence(alice, "bob@localhost/phone", undefined, "bob at login");
      assert.equal(first.attrs.to, "alice@localhost/laptop");

      alice2 = await connect(t.port, "alice", "alice-pw", { resource: "phone" });
      await alice2.xmpp.send(xml("presence", {}));
      const answer = await nextPresence(alice2, "bob@localhost/phone", undefined, "the answer");
      assert.equal(answer.name, "presence");
      assert.equal(answer.getNS(), "jabber:client");
      assert.equal(answer.attrs.to, "alice@localhost/phone");
      assert.equal(answer.getChildText("status"), "here");
      await nextPresence(alice, "alice@localhost/phone", undefined, "alice2 online at alice");
      // Whatever the server queued for the first resource has arrived after this round trip:
      // Bob's presence is not among it.
      await roundTrip(alice);
      assert.ok(
        await nothing(alice, (s) => s.is("presence") && s.attrs.from === "bob@localhost/phone", 50),
      );
    } finally {
      await alice?.stop();
      await alice2?.stop();
      await bob?.stop();
      await t.close();
    }
  },
});

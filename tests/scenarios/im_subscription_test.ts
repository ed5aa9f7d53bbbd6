// RFC 6121 §3 presence subscriptions between real xmpp.js clients: the handshake with its
// roster pushes, pre-approval, requests kept for offline users, and a request to oneself.
import assert from "node:assert/strict";
import { xml } from "@xmpp/client";
import { connect, friends, startServer, type TestClient } from "./_harness.ts";
import { getRoster, nextPresence, nextPush, setItem } from "./_im.ts";
import { nothing } from "./_iq.ts";
import type { BareJid } from "../../mod.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };

/** Connects, requests the roster and sends initial presence. */
async function online(port: number, user: string, resource: string): Promise<TestClient> {
  const c = await connect(port, user, `${user}-pw`, { resource });
  await getRoster(c);
  await c.xmpp.send(xml("presence", {}));
  await nextPresence(c, `${user}@localhost/${resource}`, undefined, `${user}'s own presence`);
  return c;
}

Deno.test({
  name: "subscriptions: the handshake of RFC 6121 §3.1 with every roster push and presence",
  ...opts,
  async fn() {
    const t = await startServer();
    let alice: TestClient | undefined, bob: TestClient | undefined;
    try {
      alice = await online(t.port, "alice", "laptop");
      bob = await online(t.port, "bob", "phone");

      // §3.1.2: the request is stamped with Alice's bare JID; her roster gets ask="subscribe".
      await alice.xmpp.send(
        xml("presence", { to: "bob@localhost/phone", type: "subscribe", id: "sub1" }),
      );
      const asked = await nextPush(alice, "bob@localhost", "alice's push with ask");
      assert.equal(asked.attrs.subscription, "none");
      assert.equal(asked.attrs.ask, "subscribe");
      const request = await nextPresence(bob, "alice@localhost", "subscribe", "bob's request");
      assert.equal(request.attrs.to, "bob@localhost");
      assert.equal(request.attrs.id, "sub1");

      // §3.1.5: Bob approves: his roster gets subscription="from", Alice's "to", and Alice gets
      // the approval and Bob's current presence.
      await bob.xmpp.send(xml("presence", { to: "alice@localhost", type: "subscribed" }));
      const bobItem = await nextPush(bob, "alice@localhost", "bob's push with from");
      assert.equal(bobItem.attrs.subscription, "from");
      const aliceItem = await nextPush(alice, "bob@localhost", "alice's push with to");
      assert.equal(aliceItem.attrs.subscription, "to");
      assert.equal(aliceItem.attrs.ask, undefined);
      await nextPresence(alice, "bob@localhost", "subscribed", "the approval");
      await nextPresence(alice, "bob@localhost/phone", undefined, "bob's presence");

      // Bob subscribes back; Alice approves: both sides end in "both".
      await bob.xmpp.send(xml("presence", { to: "alice@localhost", type: "subscribe" }));
      await nextPush(bob, "alice@localhost", "bob's push with ask");
      await nextPresence(alice, "bob@localhost", "subscribe", "alice's request");
      await alice.xmpp.send(xml("presence", { to: "bob@localhost", type: "subscribed" }));
      assert.equal(
        (await nextPush(alice, "bob@localhost", "alice's push with both")).attrs.subscription,
        "both",
      );
      assert.equal(
        (await nextPush(bob, "alice@localhost", "bob's push with both")).attrs.subscription,
        "both",
      );
      await nextPresence(bob, "alice@localhost/laptop", undefined, "alice's presence");

      // A presence update now reaches the subscriber.
      await alice.xmpp.send(xml("presence", {}, xml("show", {}, "away")));
      const away = await nextPresence(bob, "alice@localhost/laptop", undefined, "alice away");
      assert.equal(away.getChildText("show"), "away");

      // §3.2: Alice cancels Bob's subscription: he gets unsubscribed and her unavailable.
      await alice.xmpp.send(xml("presence", { to: "bob@localhost", type: "unsubscribed" }));
      assert.equal(
        (await nextPush(alice, "bob@localhost", "alice's push with to")).attrs.subscription,
        "to",
      );
      await nextPresence(bob, "alice@localhost/laptop", "unavailable", "alice's unavailable");
      await nextPresence(bob, "alice@localhost", "unsubscribed", "the cancellation");
      assert.equal(
        (await nextPush(bob, "alice@localhost", "bob's push with from")).attrs.subscription,
        "from",
      );
      // §3.3: Alice unsubscribes from Bob: none on both sides.
      await alice.xmpp.send(xml("presence", { to: "bob@localhost", type: "unsubscribe" }));
      assert.equal(
        (await nextPush(alice, "bob@localhost", "alice's push with none")).attrs.subscription,
        "none",
      );
      await nextPresence(bob, "alice@localhost", "unsubscribe", "the unsubscribe");
      assert.equal(
        (await nextPush(bob, "alice@localhost", "bob's push with none")).attrs.subscription,
        "none",
      );
      await nextPresence(alice, "bob@localhost/phone", "unavailable", "bob's unavailable");
    } finally {
      await alice?.stop();
      await bob?.stop();
      await t.close();
    }
  },
});

Deno.test({
  name: "subscriptions: a pre-approved contact is accepted without asking (RFC 6121 §3.4)",
  ...opts,
  async fn() {
    const t = await startServer();
    let alice: TestClient | undefined, carol: TestClient | undefined;
    try {
      alice = await online(t.port, "alice", "laptop");
      carol = await online(t.port, "carol", "desk");
      await alice.xmpp.send(xml("presence", { to: "carol@localhost", type: "subscribed" }));
      const pre = await nextPush(alice, "carol@localhost", "alice's pre-approval push");
      assert.equal(pre.attrs.approved, "true");
      assert.equal(pre.attrs.subscription, "none");
      assert.ok(
        await nothing(carol, (s) => s.is("presence") && s.attrs.type === "subscribed", 200),
      );

      await carol.xmpp.send(xml("presence", { to: "alice@localhost", type: "subscribe" }));
      await nextPresence(carol, "alice@localhost", "subscribed", "the automatic approval");
      await nextPresence(carol, "alice@localhost/laptop", undefined, "alice's presence");
      const item = await nextPush(alice, "carol@localhost", "alice's push with from");
      assert.equal(item.attrs.subscription, "from");
      assert.equal(item.attrs.approved, undefined);
      assert.ok(await nothing(alice, (s) => s.is("presence") && s.attrs.type === "subscribe", 200));
    } finally {
      await alice?.stop();
      await carol?.stop();
      await t.close();
    }
  },
});

Deno.test({
  name: "subscriptions: a request to an offline user is delivered at every login until answered",
  ...opts,
  async fn() {
    const t = await startServer();
    let alice: TestClient | undefined, bob: TestClient | undefined;
    try {
      alice = await online(t.port, "alice", "laptop");
      await alice.xmpp.send(
        xml(
          "presence",
          { to: "bob@localhost", type: "subscribe" },
          xml("nick", { xmlns: "http://jabber.org/protocol/nick" }, "Alice"),
        ),
      );
      await nextPush(alice, "bob@localhost", "alice's push with ask");

      for (const round of [1, 2]) {
        bob = await connect(t.port, "bob", "bob-pw", { resource: `r${round}` });
        await bob.xmpp.send(xml("presence", {}));
        const req = await nextPresence(bob, "alice@localhost", "subscribe", `request ${round}`);
        // §3.1.3: the stored request keeps its extensions.
        assert.equal(req.getChildText("nick", "http://jabber.org/protocol/nick"), "Alice");
        if (round === 2) {
          await bob.xmpp.send(xml("presence", { to: "alice@localhost", type: "subscribed" }));
          await nextPresence(alice, "bob@localhost", "subscribed", "the approval");
        }
        await bob.stop();
      }
      bob = await connect(t.port, "bob", "bob-pw", { resource: "r3" });
      await bob.xmpp.send(xml("presence", {}));
      await nextPresence(bob, "bob@localhost/r3", undefined, "bob's own presence");
      assert.ok(await nothing(bob, (s) => s.is("presence") && s.attrs.type === "subscribe", 200));
    } finally {
      await alice?.stop();
      await bob?.stop();
      await t.close();
    }
  },
});

Deno.test({
  name: "subscriptions: a request to oneself is answered as an existing subscription",
  ...opts,
  async fn() {
    const t = await startServer();
    let alice: TestClient | undefined;
    try {
      alice = await online(t.port, "alice", "laptop");
      await alice.xmpp.send(xml("presence", { to: "alice@localhost", type: "subscribe" }));
      await nextPresence(alice, "alice@localhost", "subscribed", "the implicit subscription");
      const roster = await getRoster(alice);
      assert.equal(roster.getChild("query", "jabber:iq:roster")!.getChildren("item").length, 0);
    } finally {
      await alice?.stop();
      await t.close();
    }
  },
});

Deno.test({
  name: "subscriptions: removing a contact cancels both directions (RFC 6121 §2.5.2)",
  ...opts,
  async fn() {
    const t = await startServer();
    let alice: TestClient | undefined, bob: TestClient | undefined;
    try {
      await friends(t);
      alice = await online(t.port, "alice", "laptop");
      bob = await online(t.port, "bob", "phone");
      await nextPresence(alice, "bob@localhost/phone", undefined, "bob online");

      await setItem(alice, { jid: "bob@localhost", subscription: "remove" });
      assert.equal(
        (await nextPush(alice, "bob@localhost", "alice's removal push")).attrs.subscription,
        "remove",
      );
      await nextPresence(bob, "alice@localhost", "unsubscribe", "the unsubscribe");
      await nextPresence(bob, "alice@localhost", "unsubscribed", "the unsubscribed");
      await nextPresence(bob, "alice@localhost/laptop", "unavailable", "alice's unavailable");
      await nextPresence(alice, "bob@localhost/phone", "unavailable", "bob's unavailable");
      const after = await t.server.storage.roster.getItem(
        "bob@localhost" as BareJid,
        "alice@localhost" as BareJid,
      );
      assert.equal(after?.subscription, "none");
    } finally {
      await alice?.stop();
      await bob?.stop();
      await t.close();
    }
  },
});

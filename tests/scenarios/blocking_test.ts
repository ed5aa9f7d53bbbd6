// XEP-0191 blocking command with real clients: pushes, and the effect on messages, presence, iq.
import assert from "node:assert/strict";
import { xml } from "@xmpp/client";
import { connect, friends, startServer, type TestClient } from "./_harness.ts";
import { condition, iq, nothing } from "./_iq.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };
const BLOCKING = "urn:xmpp:blocking";
const ME = "alice@localhost";

Deno.test({
  name: "blocking: block, pushes, blocked traffic in both directions, unblock",
  ...opts,
  async fn() {
    const t = await startServer();
    const clients: TestClient[] = [];
    try {
      // Alice and Bob share a mutual subscription, so blocking hides Alice's presence from Bob.
      await friends(t);
      const laptop = await connect(t.port, "alice", "alice-pw", { resource: "laptop" });
      const phone = await connect(t.port, "alice", "alice-pw", { resource: "phone" });
      const bob = await connect(t.port, "bob", "bob-pw", { resource: "desk" });
      clients.push(laptop, phone, bob);
      await laptop.xmpp.send(xml("presence", {}));
      // RFC 6121 §4.2.2: Alice's own presence comes back; then Bob's reaches her, once.
      await laptop.next((s) => s.is("presence") && s.attrs.from === ME + "/laptop", "Echo");
      await bob.xmpp.send(xml("presence", {}));
      await laptop.next(
        (s) => s.is("presence") && s.attrs.from === "bob@localhost/desk" && !s.attrs.type,
        "Bob's initial presence",
      );

      // disco#info of the server advertises the feature.
      const info = await iq(
        bob,
        "get",
        xml("query", { xmlns: "http://jabber.org/protocol/disco#info" }),
        "localhost",
      );
      assert.ok(
        info.getChild("query")!.getChildren("feature").some((f) => f.attrs.var === BLOCKING),
      );

      // The phone requests the (empty) block list; only it gets pushes.
      const empty = await iq(phone, "get", xml("blocklist", { xmlns: BLOCKING }));
      assert.equal(empty.attrs.type, "result");
      assert.equal(empty.getChild("blocklist", BLOCKING)!.getChildren("item").length, 0);

      // Bad requests: a malformed JID, and a block without items.
      const malformed = await iq(
        laptop,
        "set",
        xml("block", { xmlns: BLOCKING }, xml("item", { jid: "a@b@c" })),
      );
      assert.equal(condition(malformed), "jid-malformed");
      const noItems = await iq(laptop, "set", xml("block", { xmlns: BLOCKING }));
      assert.equal(condition(noItems), "bad-request");

      // The laptop blocks Bob.
      const bobGone = bob.next(
        (s) =>
          s.is("presence") && s.attrs.type === "unavailable" &&
          s.attrs.from === "alice@localhost/laptop",
        "Bob to see Alice go unavailable",
      );
      const pushed = phone.next(
        (s) => s.is("iq") && s.attrs.type === "set" && !!s.getChild("block", BLOCKING),
        "the block push",
      );
      const blocked = await iq(
        laptop,
        "set",
        xml("block", { xmlns: BLOCKING }, xml("item", { jid: "bob@localhost" })),
      );
      assert.equal(blocked.attrs.type, "result");
      const push = await pushed;
      assert.equal(push.attrs.from, "alice@localhost");
      assert.deepEqual(
        push.getChild("block", BLOCKING)!.getChildren("item").map((i) => i.attrs.jid),
        ["bob@localhost"],
      );
      await bobGone;

      const list = await iq(phone, "get", xml("blocklist", { xmlns: BLOCKING }));
      assert.deepEqual(
        list.getChild("blocklist", BLOCKING)!.getChildren("item").map((i) => i.attrs.jid),
        ["bob@localhost"],
      );

      // Bob's message to Alice: <service-unavailable/>, and Alice gets nothing (XEP-0191 §3.4).
      await bob.xmpp.send(
        xml(
          "message",
          { to: "alice@localhost", type: "chat", id: "b1" },
          xml("body", {}, "hello?"),
        ),
      );
      const bounced = await bob.next(
        (s) => s.is("message") && s.attrs.type === "error" && s.attrs.id === "b1",
        "Bob's message to bounce",
      );
      assert.equal(condition(bounced), "service-unavailable");
      // Bob's iq to Alice's client, and to her account (vCard): <service-unavailable/>.
      const ping = await iq(
        bob,
        "get",
        xml("ping", { xmlns: "urn:xmpp:ping" }),
        "alice@localhost/laptop",
      );
      assert.equal(condition(ping), "service-unavailable");
      const card = await iq(bob, "get", xml("vCard", { xmlns: "vcard-temp" }), "alice@localhost");
      assert.equal(condition(card), "service-unavailable");
      // Bob's presence is dropped without an answer.
      await bob.xmpp.send(xml("presence", { to: "alice@localhost/laptop" }));

      // Alice's message to Bob: <not-acceptable/> with <blocked/> (XEP-0191 §3.5).
      await laptop.xmpp.send(
        xml("message", { to: "bob@localhost/desk", type: "chat", id: "a1" }, xml("body", {}, "hi")),
      );
      const refused = await laptop.next(
        (s) => s.is("message") && s.attrs.type === "error" && s.attrs.id === "a1",
        "Alice's message to be refused",
      );
      assert.equal(condition(refused), "not-acceptable");
      assert.ok(refused.getChild("error")!.getChild("blocked", "urn:xmpp:blocking:errors"));
      const aliceIq = await iq(
        laptop,
        "get",
        xml("ping", { xmlns: "urn:xmpp:ping" }),
        "bob@localhost/desk",
      );
      assert.equal(condition(aliceIq), "not-acceptable");

      assert.ok(await nothing(laptop, (s) => s.is("message") && s.attrs.id === "b1"));
      assert.ok(
        await nothing(laptop, (s) => s.is("presence") && s.attrs.from === "bob@localhost/desk"),
      );

      // Unblock all: a push without items; messages flow again.
      const unpushed = phone.next(
        (s) => s.is("iq") && s.attrs.type === "set" && !!s.getChild("unblock", BLOCKING),
        "the unblock push",
      );
      const unblocked = await iq(laptop, "set", xml("unblock", { xmlns: BLOCKING }));
      assert.equal(unblocked.attrs.type, "result");
      assert.equal((await unpushed).getChild("unblock", BLOCKING)!.getChildren("item").length, 0);
      await bob.xmpp.send(
        xml(
          "message",
          { to: "alice@localhost/laptop", type: "chat", id: "b2" },
          xml("body", {}, "back"),
        ),
      );
      const got = await laptop.next(
        (s) => s.is("message") && s.attrs.id === "b2",
        "Bob's message after unblock",
      );
      assert.equal(got.getChildText("body"), "back");
    } finally {
      for (const c of clients) await c.stop();
      await t.close();
    }
  },
});

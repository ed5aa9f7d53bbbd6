// XEP-0054 vcard-temp and XEP-0049 private XML storage with real clients.
import assert from "node:assert/strict";
import { xml } from "@xmpp/client";
import { connect, startServer, type TestClient } from "./_harness.ts";
import { condition, iq } from "./_iq.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };
const VCARD = "vcard-temp";
const PRIVATE = "jabber:iq:private";

Deno.test({
  name: "vcard: set own, get own and other's, non-existent account, oversized, forbidden",
  ...opts,
  async fn() {
    const t = await startServer({ limits: { maxVcardBytes: 2048 } });
    const clients: TestClient[] = [];
    try {
      const alice = await connect(t.port, "alice", "alice-pw");
      const bob = await connect(t.port, "bob", "bob-pw");
      clients.push(alice, bob);

      // No vCard yet: an empty one.
      const none = await iq(alice, "get", xml("vCard", { xmlns: VCARD }), "alice@localhost");
      assert.equal(none.attrs.type, "result");
      assert.equal(none.getChild("vCard", VCARD)!.children.length, 0);

      const set = await iq(
        alice,
        "set",
        xml("vCard", { xmlns: VCARD }, xml("FN", {}, "Alice Liddell"), xml("NICKNAME", {}, "al")),
        "alice@localhost",
      );
      assert.equal(set.attrs.type, "result");

      const own = await iq(alice, "get", xml("vCard", { xmlns: VCARD }), "alice@localhost");
      assert.equal(own.getChild("vCard", VCARD)!.getChildText("FN"), "Alice Liddell");
      const other = await iq(bob, "get", xml("vCard", { xmlns: VCARD }), "alice@localhost");
      assert.equal(other.attrs.from, "alice@localhost");
      assert.equal(other.getChild("vCard", VCARD)!.getChildText("NICKNAME"), "al");

      // RFC 6121 §8.5.1: an account that does not exist.
      const ghost = await iq(bob, "get", xml("vCard", { xmlns: VCARD }), "ghost@localhost");
      assert.equal(condition(ghost), "service-unavailable");

      // Only the owner may set a vCard.
      const forbidden = await iq(
        bob,
        "set",
        xml("vCard", { xmlns: VCARD }, xml("FN", {}, "Mallory")),
        "alice@localhost",
      );
      assert.equal(condition(forbidden), "forbidden");

      // An oversized vCard: <not-acceptable/>, and the stored one is intact.
      const big = await iq(
        alice,
        "set",
        xml("vCard", { xmlns: VCARD }, xml("DESC", {}, "x".repeat(4096))),
        "alice@localhost",
      );
      assert.equal(condition(big), "not-acceptable");
      const after = await iq(bob, "get", xml("vCard", { xmlns: VCARD }), "alice@localhost");
      assert.equal(after.getChild("vCard", VCARD)!.getChildText("FN"), "Alice Liddell");
      assert.equal(after.getChild("vCard", VCARD)!.getChild("DESC"), undefined);

      const info = await iq(
        alice,
        "get",
        xml("query", { xmlns: "http://jabber.org/protocol/disco#info" }),
        "localhost",
      );
      const features = info.getChild("query")!.getChildren("feature").map((f) => f.attrs.var);
      assert.ok(features.includes(VCARD));
      assert.ok(features.includes(PRIVATE));
    } finally {
      for (const c of clients) await c.stop();
      await t.close();
    }
  },
});

Deno.test({
  name: "private storage: set and get own fragments, reserved namespaces, other accounts",
  ...opts,
  async fn() {
    const t = await startServer();
    const clients: TestClient[] = [];
    try {
      const alice = await connect(t.port, "alice", "alice-pw", { resource: "a" });
      const alice2 = await connect(t.port, "alice", "alice-pw", { resource: "b" });
      const bob = await connect(t.port, "bob", "bob-pw");
      clients.push(alice, alice2, bob);

      const empty = await iq(
        alice,
        "get",
        xml("query", { xmlns: PRIVATE }, xml("prefs", { xmlns: "example:prefs" })),
        "alice@localhost",
      );
      assert.equal(empty.attrs.type, "result");
      const emptyPrefs = empty.getChild("query", PRIVATE)!.getChild("prefs", "example:prefs")!;
      assert.equal(emptyPrefs.children.length, 0);

      const stored = await iq(
        alice,
        "set",
        xml(
          "query",
          { xmlns: PRIVATE },
          xml("prefs", { xmlns: "example:prefs" }, xml("theme", { mode: "dark" }, "night")),
        ),
        "alice@localhost",
      );
      assert.equal(stored.attrs.type, "result");

      // Another resource of the same account reads it back.
      const read = await iq(
        alice2,
        "get",
        xml("query", { xmlns: PRIVATE }, xml("prefs", { xmlns: "example:prefs" })),
        "alice@localhost",
      );
      const theme = read.getChild("query", PRIVATE)!.getChild("prefs", "example:prefs")!
        .getChild("theme")!;
      assert.equal(theme.attrs.mode, "dark");
      assert.equal(theme.text(), "night");

      // XEP-0049 §3: reserved namespaces are not acceptable.
      for (const ns of ["jabber:client", "jabber:server", PRIVATE]) {
        const reserved = await iq(
          alice,
          "set",
          xml("query", { xmlns: PRIVATE }, xml("x", { xmlns: ns })),
          "alice@localhost",
        );
        assert.equal(condition(reserved), "not-acceptable", ns);
      }
      // Another account's storage is forbidden.
      const other = await iq(
        bob,
        "get",
        xml("query", { xmlns: PRIVATE }, xml("prefs", { xmlns: "example:prefs" })),
        "alice@localhost",
      );
      assert.equal(condition(other), "forbidden");
    } finally {
      for (const c of clients) await c.stop();
      await t.close();
    }
  },
});

Deno.test({
  name: "bookmarks: legacy private storage and PEP native bookmarks are one list (XEP-0402 §5.3)",
  ...opts,
  async fn() {
    const t = await startServer();
    const clients: TestClient[] = [];
    const PUBSUB = "http://jabber.org/protocol/pubsub";
    const BOOKMARKS = "urn:xmpp:bookmarks:1";
    try {
      const alice = await connect(t.port, "alice", "alice-pw");
      const bob = await connect(t.port, "bob", "bob-pw");
      clients.push(alice, bob);
      const info = await iq(
        alice,
        "get",
        xml("query", { xmlns: "http://jabber.org/protocol/disco#info" }),
        "alice@localhost",
      );
      assert.ok(
        info.getChild("query")!.getChildren("feature").some((f) =>
          f.attrs.var === `${BOOKMARKS}#compat`
        ),
      );

      // A legacy client stores bookmarks in private storage …
      const legacy = await iq(
        alice,
        "set",
        xml(
          "query",
          { xmlns: PRIVATE },
          xml(
            "storage",
            { xmlns: "storage:bookmarks" },
            xml(
              "conference",
              { jid: "tea@rooms.example", name: "Tea", autojoin: "true" },
              xml("nick", {}, "al"),
            ),
          ),
        ),
        "alice@localhost",
      );
      assert.equal(legacy.attrs.type, "result");
      // … and a modern one reads them from PEP.
      const pep = await iq(
        alice,
        "get",
        xml("pubsub", { xmlns: PUBSUB }, xml("items", { node: BOOKMARKS })),
        "alice@localhost",
      );
      const item = pep.getChild("pubsub", PUBSUB)!.getChild("items")!.getChild("item")!;
      assert.equal(item.attrs.id, "tea@rooms.example");
      const conference = item.getChild("conference", BOOKMARKS)!;
      assert.equal(conference.attrs.autojoin, "true");
      assert.equal(conference.getChildText("nick"), "al");
      // The node is private (whitelist: owner only).
      const other = await iq(
        bob,
        "get",
        xml("pubsub", { xmlns: PUBSUB }, xml("items", { node: BOOKMARKS })),
        "alice@localhost",
      );
      assert.equal(condition(other), "not-allowed");

      // A modern client adds one with PEP; the legacy view shows both.
      const added = await iq(
        alice,
        "set",
        xml(
          "pubsub",
          { xmlns: PUBSUB },
          xml(
            "publish",
            { node: BOOKMARKS },
            xml(
              "item",
              { id: "coffee@rooms.example" },
              xml("conference", { xmlns: BOOKMARKS, name: "Coffee", autojoin: "false" }),
            ),
          ),
        ),
        "alice@localhost",
      );
      assert.equal(added.attrs.type, "result");
      const view = await iq(
        alice,
        "get",
        xml("query", { xmlns: PRIVATE }, xml("storage", { xmlns: "storage:bookmarks" })),
        "alice@localhost",
      );
      const rooms = view.getChild("query", PRIVATE)!.getChild("storage", "storage:bookmarks")!
        .getChildren("conference").map((c) => c.attrs.jid).sort();
      assert.deepEqual(rooms, ["coffee@rooms.example", "tea@rooms.example"]);
    } finally {
      for (const c of clients) await c.stop();
      await t.close();
    }
  },
});

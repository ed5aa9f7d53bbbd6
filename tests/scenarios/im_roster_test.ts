// RFC 6121 §2 roster management with two resources of one account (real xmpp.js clients).
import assert from "node:assert/strict";
import { client, xml } from "@xmpp/client";
import { connect, type LtxElement, startServer, type TestClient, withTimeout } from "./_harness.ts";
import { getRoster, nextPush, ROSTER, setItem } from "./_im.ts";
import { condition, iq } from "./_iq.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };
const DISCO_INFO = "http://jabber.org/protocol/disco#info";

Deno.test({
  name: "roster: get, set and remove push to both interested resources",
  ...opts,
  async fn() {
    const t = await startServer();
    let a1: TestClient | undefined, a2: TestClient | undefined;
    try {
      a1 = await connect(t.port, "alice", "alice-pw", { resource: "one" });
      a2 = await connect(t.port, "alice", "alice-pw", { resource: "two" });
      const empty = await getRoster(a1);
      assert.equal(empty.attrs.type, "result");
      const q = empty.getChild("query", ROSTER)!;
      assert.ok(q, "the result holds a jabber:iq:roster query");
      assert.equal(q.getChildren("item").length, 0);
      assert.equal(typeof q.attrs.ver, "string");
      await getRoster(a2);

      // §2.3: add an item; the result, then a push to both resources with the new version.
      const set = await setItem(a1, { jid: "bob@localhost", name: "Bob" }, ["Friends", "Work"]);
      assert.equal(set.attrs.type, "result");
      for (const c of [a1, a2]) {
        const item = await nextPush(c, "bob@localhost", "the push of the new item");
        assert.equal(item.attrs.name, "Bob");
        assert.equal(item.attrs.subscription, "none");
        assert.deepEqual(item.getChildren("group").map((g) => g.text()), ["Friends", "Work"]);
      }
      // §2.4: update it.
      await setItem(a2, { jid: "bob@localhost", name: "Robert" }, ["Friends"]);
      for (const c of [a1, a2]) {
        const item = await nextPush(c, "bob@localhost", "the push of the updated item");
        assert.equal(item.attrs.name, "Robert");
      }
      const full = await getRoster(a1);
      const items = full.getChild("query", ROSTER)!.getChildren("item");
      assert.equal(items.length, 1);
      assert.equal(items[0].attrs.jid, "bob@localhost");
      assert.deepEqual(items[0].getChildren("group").map((g) => g.text()), ["Friends"]);

      // §2.5: remove it.
      const removed = await setItem(a1, { jid: "bob@localhost", subscription: "remove" });
      assert.equal(removed.attrs.type, "result");
      for (const c of [a1, a2]) {
        const item = await nextPush(c, "bob@localhost", "the push of the removal");
        assert.equal(item.attrs.subscription, "remove");
      }
      // §2.5.3: removing an item that does not exist.
      const missing = await setItem(a1, { jid: "bob@localhost", subscription: "remove" });
      assert.equal(missing.attrs.type, "error");
      assert.equal(condition(missing), "item-not-found");
    } finally {
      await a1?.stop();
      await a2?.stop();
      await t.close();
    }
  },
});

Deno.test({
  name: "roster: versioning answers an up-to-date get with an empty result and pushes only changes",
  ...opts,
  async fn() {
    const t = await startServer();
    let a: TestClient | undefined;
    try {
      a = await connect(t.port, "alice", "alice-pw", { resource: "one" });
      await getRoster(a);
      await setItem(a, { jid: "bob@localhost" });
      await nextPush(a, "bob@localhost", "the push of bob");
      const first = await getRoster(a);
      const ver = first.getChild("query", ROSTER)!.attrs.ver;
      // §2.6.3: up to date: an empty result.
      const same = await getRoster(a, ver);
      assert.equal(same.attrs.type, "result");
      assert.equal(same.children.length, 0);
      // A change happens elsewhere; the old version gets an empty result and one push.
      await setItem(a, { jid: "carol@localhost", name: "Carol" });
      const pushed = await nextPush(a, "carol@localhost", "the push of carol");
      assert.equal(pushed.attrs.name, "Carol");
      const delta = await getRoster(a, ver);
      assert.equal(delta.attrs.type, "result");
      assert.equal(delta.children.length, 0);
      const again = await nextPush(a, "carol@localhost", "the versioned push of carol");
      assert.equal(again.attrs.name, "Carol");
      // An unknown version gets the whole roster.
      const whole = await getRoster(a, "no-such-version");
      assert.equal(whole.getChild("query", ROSTER)!.getChildren("item").length, 2);
    } finally {
      await a?.stop();
      await t.close();
    }
  },
});

Deno.test({
  name: "roster: bad roster sets get the errors RFC 6121 names and change nothing",
  ...opts,
  async fn() {
    const t = await startServer({ limits: { maxRosterItems: 2 } });
    let a: TestClient | undefined;
    try {
      a = await connect(t.port, "alice", "alice-pw", { resource: "one" });
      await getRoster(a);
      const cases: [string, () => Promise<unknown>, string][] = [
        ["two items", () =>
          iq(
            a!,
            "set",
            xml(
              "query",
              { xmlns: ROSTER },
              xml("item", { jid: "bob@localhost" }),
              xml("item", { jid: "carol@localhost" }),
            ),
          ), "bad-request"],
        ["an empty group", () => setItem(a!, { jid: "bob@localhost" }, [""]), "not-acceptable"],
        [
          "a repeated group",
          () => setItem(a!, { jid: "bob@localhost" }, ["A", "A"]),
          "bad-request",
        ],
        [
          "a name over the limit",
          () => setItem(a!, { jid: "bob@localhost", name: "x".repeat(2000) }),
          "not-acceptable",
        ],
        [
          "a group over the limit",
          () => setItem(a!, { jid: "bob@localhost" }, ["g".repeat(2000)]),
          "not-acceptable",
        ],
        ["no jid", () => setItem(a!, { name: "nobody" }), "bad-request"],
        [
          "another account's roster",
          () =>
            iq(
              a!,
              "set",
              xml("query", { xmlns: ROSTER }, xml("item", { jid: "carol@localhost" })),
              "bob@localhost",
            ),
          "forbidden",
        ],
        [
          "another account's roster (get)",
          () => iq(a!, "get", xml("query", { xmlns: ROSTER }), "bob@localhost"),
          "forbidden",
        ],
      ];
      for (const [what, send, expected] of cases) {
        const reply = await send() as { attrs: Record<string, string> };
        assert.equal(reply.attrs.type, "error", what);
        assert.equal(condition(reply as never), expected, what);
      }
      const roster = await getRoster(a);
      assert.equal(roster.getChild("query", ROSTER)!.getChildren("item").length, 0);

      // §2.1.2.5: a 'subscription' other than "remove" is ignored.
      await setItem(a, { jid: "bob@localhost", subscription: "both" });
      const bob = await nextPush(a, "bob@localhost", "the push of bob");
      assert.equal(bob.attrs.subscription, "none");
      await setItem(a, { jid: "carol@localhost" });
      await nextPush(a, "carol@localhost", "the push of carol");
      // Over maxRosterItems: not-allowed; updating an existing item still works.
      const full = await setItem(a, { jid: "dave@localhost" });
      assert.equal(full.attrs.type, "error");
      assert.equal(condition(full), "not-allowed");
      const update = await setItem(a, { jid: "carol@localhost", name: "C" });
      assert.equal(update.attrs.type, "result");
    } finally {
      await a?.stop();
      await t.close();
    }
  },
});

Deno.test({
  name: "roster: versioning and pre-approval are stream features; disco#info claims neither",
  ...opts,
  async fn() {
    // The RFC 6120 post-authentication features: a Bind 2 login never sees them.
    const t = await startServer({ sasl2: false });
    const xmpp = client({
      service: `xmpp://127.0.0.1:${t.port}`,
      domain: "localhost",
      username: "alice",
      password: "alice-pw",
    });
    xmpp.reconnect.stop();
    const features: LtxElement[] = [];
    xmpp.on("element", (el: LtxElement) => {
      if (el.is("features", "http://etherx.jabber.org/streams")) features.push(el);
    });
    xmpp.on("error", () => {});
    try {
      await withTimeout(xmpp.start(), "alice to come online");
      const last = features.at(-1)!;
      assert.ok(last.getChild("bind", "urn:ietf:params:xml:ns:xmpp-bind"));
      assert.ok(last.getChild("ver", "urn:xmpp:features:rosterver"), "rosterver (§2.6.1)");
      assert.ok(last.getChild("sub", "urn:xmpp:features:pre-approval"), "pre-approval (§3.4)");
      const info = await withTimeout(
        xmpp.iqCaller.request(
          xml("iq", { type: "get", to: "localhost" }, xml("query", { xmlns: DISCO_INFO })),
        ),
        "disco#info",
      ) as LtxElement;
      const vars = info.getChild("query", DISCO_INFO)!.getChildren("feature").map((f) =>
        f.attrs.var
      );
      // XEP-0160 defines no feature; "msgoffline" belongs to XEP-0013, which is not implemented.
      assert.ok(!vars.includes("msgoffline"));
      assert.ok(!vars.includes(ROSTER));
    } finally {
      try {
        await withTimeout(xmpp.stop(), "alice to stop", 5000);
      } catch { /* offline */ }
      await t.close();
    }
  },
});

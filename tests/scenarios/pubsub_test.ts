// XEP-0060 publish-subscribe service on pubsub.localhost with real clients: xmpp.js sending
// raw iqs (an owner and a subscriber: create, subscribe, publish, notifications, items,
// max_items abuse, retract, delete), and slixmpp's xep_0060 plugin through a node's life.
import assert from "node:assert/strict";
import { xml } from "@xmpp/client";
import { connect, startServer, type TestClient } from "./_harness.ts";
import { condition, iq } from "./_iq.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };
const PUBSUB = "http://jabber.org/protocol/pubsub";
const OWNER = "http://jabber.org/protocol/pubsub#owner";
const EVENT = "http://jabber.org/protocol/pubsub#event";
const ERRORS = "http://jabber.org/protocol/pubsub#errors";
const SERVICE = "pubsub.localhost";
const PYTHON = "/usr/bin/python3";
const SCRIPT = new URL("./_slixmpp_pubsub.py", import.meta.url).pathname;

type XmlNode = ReturnType<typeof xml>;
const ps = (...c: XmlNode[]) => xml("pubsub", { xmlns: PUBSUB }, ...c);
const owner = (...c: XmlNode[]) => xml("pubsub", { xmlns: OWNER }, ...c);
const form = (type: string, fields: Record<string, string>) =>
  xml(
    "x",
    { xmlns: "jabber:x:data", type: "submit" },
    Object.entries({ FORM_TYPE: type, ...fields }).map(([k, v]) =>
      xml("field", { var: k }, xml("value", {}, v))
    ),
  );

Deno.test({
  name:
    "pubsub: xmpp.js owner and subscriber: create, subscribe, publish, notify, items, abuse, retract, delete",
  ...opts,
  async fn() {
    const t = await startServer();
    const clients: TestClient[] = [];
    try {
      const alice = await connect(t.port, "alice", "alice-pw");
      const bob = await connect(t.port, "bob", "bob-pw");
      clients.push(alice, bob);
      // Available: notifications to bob's bare JID reach available resources (RFC 6121 §8.5.2).
      await bob.xmpp.send(xml("presence"));
      const created = await iq(alice, "set", ps(xml("create", { node: "news" })), SERVICE);
      assert.equal(created.attrs.type, "result");
      const again = await iq(alice, "set", ps(xml("create", { node: "news" })), SERVICE);
      assert.equal(condition(again), "conflict");
      const sub = await iq(
        bob,
        "set",
        ps(xml("subscribe", { node: "news", jid: "bob@localhost" })),
        SERVICE,
      );
      assert.equal(
        sub.getChild("pubsub", PUBSUB)?.getChild("subscription")?.attrs.subscription,
        "subscribed",
      );

      const heard = bob.next(
        (s) => s.is("message") && !!s.getChild("event", EVENT),
        "the notification",
      );
      const published = await iq(
        alice,
        "set",
        ps(
          xml(
            "publish",
            { node: "news" },
            xml("item", { id: "hello" }, xml("entry", { xmlns: "urn:example" }, "Hi")),
          ),
        ),
        SERVICE,
      );
      assert.equal(
        published.getChild("pubsub")?.getChild("publish")?.getChild("item")?.attrs.id,
        "hello",
      );
      const note = await heard;
      assert.equal(note.attrs.from, SERVICE);
      const item = note.getChild("event", EVENT)!.getChild("items")!.getChild("item")!;
      assert.equal(item.attrs.id, "hello");
      assert.equal(item.getChild("entry", "urn:example")?.text(), "Hi");

      await iq(
        alice,
        "set",
        ps(
          xml(
            "publish",
            { node: "news" },
            xml("item", { id: "second" }, xml("entry", { xmlns: "urn:example" }, "2")),
          ),
        ),
        SERVICE,
      );
      await bob.next(
        (s) => s.is("message") && !!s.getChild("event", EVENT),
        "the second notification",
      );
      const newest = await iq(
        bob,
        "get",
        ps(xml("items", { node: "news", max_items: "1" })),
        SERVICE,
      );
      assert.deepEqual(
        newest.getChild("pubsub")!.getChild("items")!.getChildren("item").map((i) => i.attrs.id),
        ["second"],
      );

      // A 10,000-item max_items is refused and changes nothing.
      const abuse = await iq(
        alice,
        "set",
        owner(
          xml(
            "configure",
            { node: "news" },
            form("http://jabber.org/protocol/pubsub#node_config", { "pubsub#max_items": "10000" }),
          ),
        ),
        SERVICE,
      );
      assert.equal(condition(abuse), "not-acceptable");
      const config = await iq(alice, "get", owner(xml("configure", { node: "news" })), SERVICE);
      const maxField = config.getChild("pubsub", OWNER)!.getChild("configure")!.getChild("x")!
        .getChildren("field").find((f) => f.attrs.var === "pubsub#max_items");
      assert.equal(maxField?.getChildText("value"), "10");

      // Bob publishes to a node of someone else: forbidden.
      const foreign = await iq(
        bob,
        "set",
        ps(
          xml("publish", { node: "news" }, xml("item", {}, xml("entry", { xmlns: "urn:example" }))),
        ),
        SERVICE,
      );
      assert.equal(condition(foreign), "forbidden");
      const pre = await iq(
        alice,
        "set",
        ps(
          xml("publish", { node: "news" }, xml("item", {}, xml("entry", { xmlns: "urn:example" }))),
          xml(
            "publish-options",
            {},
            form(`${PUBSUB}#publish-options`, { "pubsub#access_model": "whitelist" }),
          ),
        ),
        SERVICE,
      );
      assert.equal(condition(pre), "conflict");
      assert.ok(pre.getChild("error")!.getChild("precondition-not-met", ERRORS));

      const retracted = bob.next(
        (s) =>
          s.is("message") && !!s.getChild("event", EVENT)?.getChild("items")?.getChild("retract"),
        "the retraction",
      );
      await iq(
        alice,
        "set",
        ps(xml("retract", { node: "news", notify: "true" }, xml("item", { id: "hello" }))),
        SERVICE,
      );
      assert.equal(
        (await retracted).getChild("event", EVENT)!.getChild("items")!.getChild("retract")!.attrs
          .id,
        "hello",
      );

      const deleted = bob.next(
        (s) => s.is("message") && !!s.getChild("event", EVENT)?.getChild("delete"),
        "the deletion",
      );
      const del = await iq(alice, "set", owner(xml("delete", { node: "news" })), SERVICE);
      assert.equal(del.attrs.type, "result");
      assert.equal(
        (await deleted).getChild("event", EVENT)!.getChild("delete")!.attrs.node,
        "news",
      );
      const gone = await iq(bob, "get", ps(xml("items", { node: "news" })), SERVICE);
      assert.equal(condition(gone), "item-not-found");
    } finally {
      for (const c of clients) await c.stop();
      await t.close();
    }
  },
});

Deno.test({
  name:
    "pubsub: slixmpp's xep_0060 plugin creates, configures, subscribes, publishes, retracts, purges and deletes",
  ...opts,
  async fn() {
    const t = await startServer();
    try {
      const child = new Deno.Command(PYTHON, {
        args: [SCRIPT, String(t.port), "alice@localhost", "alice-pw", SERVICE],
        stdout: "piped",
        stderr: "piped",
      }).spawn();
      const timer = setTimeout(() => child.kill("SIGKILL"), 40_000);
      const out = await child.output().finally(() => clearTimeout(timer));
      const lines = new TextDecoder().decode(out.stdout).trim().split("\n");
      const err = new TextDecoder().decode(out.stderr).trim().split("\n").slice(-8);
      assert.equal(out.code, 0, [...lines, ...err].join("\n"));
      assert.deepEqual(lines, [
        "created",
        "config News 3",
        "subscription subscribed",
        "event publish slixmpp-news first",
        "event publish slixmpp-news a",
        "event publish slixmpp-news b",
        "event publish slixmpp-news c",
        "event publish slixmpp-news d",
        "items d c b",
        "newest d",
        "precondition conflict",
        "event retract slixmpp-news d",
        "event purge slixmpp-news",
        "event delete slixmpp-news",
        "done",
      ]);
    } finally {
      await t.close();
    }
  },
});

// XEP-0163 PEP with real clients: +notify filtered by XEP-0115 caps that the server verifies,
// access models open and presence, publish-options, the item size limit, last item at login.
import assert from "node:assert/strict";
import { xml } from "@xmpp/client";
import {
  connect,
  friends,
  type LtxElement,
  startServer,
  type TestClient,
  withTimeout,
} from "./_harness.ts";
import { condition, iq, nothing } from "./_iq.ts";
import type { BareJid } from "../../mod.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };
const PUBSUB = "http://jabber.org/protocol/pubsub";
const EVENT = "http://jabber.org/protocol/pubsub#event";
const ERRORS = "http://jabber.org/protocol/pubsub#errors";
const OWNER = "http://jabber.org/protocol/pubsub#owner";
const DI = "http://jabber.org/protocol/disco#info";
const DITEMS = "http://jabber.org/protocol/disco#items";
const CAPS = "http://jabber.org/protocol/caps";
const NICK = "http://jabber.org/protocol/nick";
const AVATAR_DATA = "urn:xmpp:avatar:data";
const AVATAR_META = "urn:xmpp:avatar:metadata";
const DEVICES = "eu.siacs.conversations.axolotl.devicelist";
const CLIENT_NODE = "https://parley.example/test-client";

// The test client's disco#info, and its XEP-0115 §5.1 string S written out by hand.
const FEATURES = [CAPS, DI, `${NICK}+notify`, `${AVATAR_META}+notify`];
const S = `client/pc//Parley test<${CAPS}<${DI}<${NICK}+notify<${AVATAR_META}+notify<`;

async function sha1Base64(s: string): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-1", new TextEncoder().encode(s)));
  return btoa(String.fromCharCode(...digest));
}

/** Makes a client answer disco#info like a real one; returns the queries it got. */
function answerDisco(c: TestClient, ver: string): LtxElement[] {
  const queries: LtxElement[] = [];
  c.xmpp.iqCallee.get(DI, "query", (ctx: { stanza: LtxElement; element: LtxElement }) => {
    queries.push(ctx.stanza);
    return xml(
      "query",
      { xmlns: DI, node: `${CLIENT_NODE}#${ver}` },
      xml("identity", { category: "client", type: "pc", name: "Parley test" }),
      FEATURES.map((f) => xml("feature", { var: f })),
    );
  });
  return queries;
}

const capsPresence = (ver: string) =>
  xml("presence", {}, xml("c", { xmlns: CAPS, hash: "sha-1", node: CLIENT_NODE, ver }));

const publish = (
  node: string,
  id: string,
  payload: ReturnType<typeof xml>,
  options?: Record<string, string>,
) =>
  xml(
    "pubsub",
    { xmlns: PUBSUB },
    xml("publish", { node }, xml("item", { id }, payload)),
    options &&
      xml(
        "publish-options",
        {},
        xml(
          "x",
          { xmlns: "jabber:x:data", type: "submit" },
          xml(
            "field",
            { var: "FORM_TYPE", type: "hidden" },
            xml("value", {}, `${PUBSUB}#publish-options`),
          ),
          Object.entries(options).map(([k, v]) => xml("field", { var: k }, xml("value", {}, v))),
        ),
      ),
  );

const items = (node: string) => xml("pubsub", { xmlns: PUBSUB }, xml("items", { node }));
const isEvent = (node: string) => (s: LtxElement) =>
  s.is("message") && s.getChild("event", EVENT)?.getChild("items")?.attrs.node === node;
const appError = (s: LtxElement) =>
  s.getChild("error")?.getChildElements().find((e) => e.getNS() === ERRORS)?.name;

Deno.test({
  name: "pep: +notify by verified caps, access models, publish-options, size limit, last item",
  ...opts,
  async fn() {
    const t = await startServer({ limits: { maxPepItemBytes: 2048 } });
    const clients: TestClient[] = [];
    try {
      // Alice and Bob have a mutual subscription; Carol is a stranger to both.
      await friends(t);
      const ver = await sha1Base64(S);
      const alice = await connect(t.port, "alice", "alice-pw", { resource: "pc" });
      const bob = await connect(t.port, "bob", "bob-pw", { resource: "phone" });
      const carol = await connect(t.port, "carol", "carol-pw", { resource: "tab" });
      clients.push(alice, bob, carol);
      const bobQueries = answerDisco(bob, ver);
      const carolQueries = answerDisco(carol, ver);
      await alice.xmpp.send(xml("presence", {}));

      // Bob's caps: his PEP service (his bare JID, XEP-0163 §6.1) asks his client once for
      // node#ver; the answer goes back to it.
      await bob.xmpp.send(capsPresence(ver));
      await withTimeout(
        (async () => {
          while (bobQueries.length === 0) await new Promise((r) => setTimeout(r, 20));
        })(),
        "the server's disco#info query",
      );
      assert.equal(bobQueries[0].name, "iq");
      assert.equal(bobQueries[0].attrs.type, "get");
      assert.equal(bobQueries[0].attrs.from, "bob@localhost");
      assert.equal(bobQueries[0].getChild("query", DI)!.attrs.node, `${CLIENT_NODE}#${ver}`);
      // Carol's identical caps come from the cache: no second query.
      await carol.xmpp.send(capsPresence(ver));
      await new Promise((r) => setTimeout(r, 150));
      assert.equal(carolQueries.length, 0);

      // Alice's account shows PEP in disco#info.
      const info = await iq(bob, "get", xml("query", { xmlns: DI }), "alice@localhost");
      const q = info.getChild("query", DI)!;
      assert.ok(
        q.getChildren("identity").some((i) =>
          i.attrs.category === "pubsub" && i.attrs.type === "pep"
        ),
      );
      const features = q.getChildren("feature").map((f) => f.attrs.var);
      for (const f of ["publish", "publish-options", "access-presence", "access-open"]) {
        assert.ok(features.includes(`${PUBSUB}#${f}`), f);
      }

      // Publishing the nick (auto-create, access model presence) notifies Bob only.
      const bobNick = bob.next(isEvent(NICK), "Bob's nick notification");
      const published = await iq(
        alice,
        "set",
        publish(NICK, "current", xml("nick", { xmlns: NICK }, "Ally")),
        "alice@localhost",
      );
      assert.equal(published.attrs.type, "result");
      assert.equal(
        published.getChild("pubsub", PUBSUB)!.getChild("publish")!.getChild("item")!.attrs.id,
        "current",
      );
      const event = await bobNick;
      assert.equal(event.attrs.from, "alice@localhost");
      assert.equal(event.attrs.to, "bob@localhost/phone");
      const item = event.getChild("event", EVENT)!.getChild("items")!.getChild("item")!;
      assert.equal(item.attrs.id, "current");
      assert.equal(item.getChildText("nick", NICK), "Ally");
      assert.ok(await nothing(carol, isEvent(NICK)));

      // Avatar data: Bob's client has no urn:xmpp:avatar:data+notify, so no notification.
      await iq(
        alice,
        "set",
        publish(AVATAR_DATA, "abc", xml("data", { xmlns: AVATAR_DATA }, "aGVsbG8=")),
        "alice@localhost",
      );
      assert.ok(await nothing(bob, isEvent(AVATAR_DATA)));

      // Retrieval: Bob (subscribed) may read; Carol gets presence-subscription-required.
      const bobRead = await iq(bob, "get", items(NICK), "alice@localhost");
      assert.equal(
        bobRead.getChild("pubsub", PUBSUB)!.getChild("items")!.getChild("item")!.getChildText(
          "nick",
          NICK,
        ),
        "Ally",
      );
      const carolRead = await iq(carol, "get", items(NICK), "alice@localhost");
      assert.equal(condition(carolRead), "not-authorized");
      assert.equal(appError(carolRead), "presence-subscription-required");

      // OMEMO device list with access model open: Carol may read it.
      const devices = xml(
        "list",
        { xmlns: "eu.siacs.conversations.axolotl" },
        xml("device", { id: "12345" }),
      );
      const open = await iq(
        alice,
        "set",
        publish(DEVICES, "current", devices, { "pubsub#access_model": "open" }),
        "alice@localhost",
      );
      assert.equal(open.attrs.type, "result");
      const carolDevices = await iq(carol, "get", items(DEVICES), "alice@localhost");
      assert.equal(
        carolDevices.getChild("pubsub", PUBSUB)!.getChild("items")!.getChild("item")!.getChild(
          "list",
        )!.getChild("device")!.attrs.id,
        "12345",
      );

      // publish-options that do not match the node: conflict + precondition-not-met; kept as is.
      const other = xml(
        "list",
        { xmlns: "eu.siacs.conversations.axolotl" },
        xml("device", { id: "999" }),
      );
      const mismatch = await iq(
        alice,
        "set",
        publish(DEVICES, "current", other, { "pubsub#access_model": "presence" }),
        "alice@localhost",
      );
      assert.equal(condition(mismatch), "conflict");
      assert.equal(appError(mismatch), "precondition-not-met");
      const still = await iq(carol, "get", items(DEVICES), "alice@localhost");
      assert.equal(
        still.getChild("pubsub", PUBSUB)!.getChild("items")!.getChild("item")!.getChild("list")!
          .getChild("device")!.attrs.id,
        "12345",
      );

      // An item over the limit: not-acceptable + payload-too-big; the stored nick is intact.
      const big = await iq(
        alice,
        "set",
        publish(NICK, "current", xml("nick", { xmlns: NICK }, "x".repeat(4096))),
        "alice@localhost",
      );
      assert.equal(condition(big), "not-acceptable");
      assert.equal(appError(big), "payload-too-big");
      const intact = await iq(bob, "get", items(NICK), "alice@localhost");
      assert.equal(
        intact.getChild("pubsub", PUBSUB)!.getChild("items")!.getChild("item")!.getChildText(
          "nick",
          NICK,
        ),
        "Ally",
      );

      // disco#items on Alice's account: Carol sees only the open node.
      const carolNodes = await iq(carol, "get", xml("query", { xmlns: DITEMS }), "alice@localhost");
      assert.deepEqual(
        carolNodes.getChild("query", DITEMS)!.getChildren("item").map((i) => i.attrs.node),
        [DEVICES],
      );
      const bobNodes = await iq(bob, "get", xml("query", { xmlns: DITEMS }), "alice@localhost");
      assert.deepEqual(
        bobNodes.getChild("query", DITEMS)!.getChildren("item").map((i) => i.attrs.node).sort(),
        [DEVICES, NICK, AVATAR_DATA].sort(),
      );
      // Alice asking about her own account, with or without 'to', gets the same list.
      const nodesOf = (r: typeof bobNodes) =>
        r.getChild("query", DITEMS)!.getChildren("item").map((i) => i.attrs.node).sort();
      const ownNodes = nodesOf(await iq(alice, "get", xml("query", { xmlns: DITEMS })));
      assert.ok(ownNodes.length >= 3);
      assert.deepEqual(
        nodesOf(await iq(alice, "get", xml("query", { xmlns: DITEMS }), "alice@localhost")),
        ownNodes,
      );

      // A new resource of Bob with the same caps gets the last nick at login (XEP-0163 §6).
      const tablet = await connect(t.port, "bob", "bob-pw", { resource: "tablet" });
      clients.push(tablet);
      answerDisco(tablet, ver);
      const last = tablet.next(isEvent(NICK), "the last nick at login");
      await tablet.xmpp.send(capsPresence(ver));
      const lastItem = (await last).getChild("event", EVENT)!.getChild("items")!.getChild("item")!;
      assert.equal(lastItem.getChildText("nick", NICK), "Ally");

      // Node configuration: get, then open the nick node; Carol can read it now.
      const config = await iq(
        alice,
        "get",
        xml("pubsub", { xmlns: OWNER }, xml("configure", { node: NICK })),
        "alice@localhost",
      );
      const fields = config.getChild("pubsub", OWNER)!.getChild("configure")!.getChild(
        "x",
        "jabber:x:data",
      )!.getChildren("field");
      assert.equal(
        fields.find((f) => f.attrs.var === "pubsub#access_model")!.getChildText("value"),
        "presence",
      );
      const opened = await iq(
        alice,
        "set",
        xml(
          "pubsub",
          { xmlns: OWNER },
          xml(
            "configure",
            { node: NICK },
            xml(
              "x",
              { xmlns: "jabber:x:data", type: "submit" },
              xml(
                "field",
                { var: "FORM_TYPE", type: "hidden" },
                xml("value", {}, "http://jabber.org/protocol/pubsub#node_config"),
              ),
              xml("field", { var: "pubsub#access_model" }, xml("value", {}, "open")),
            ),
          ),
        ),
        "alice@localhost",
      );
      assert.equal(opened.attrs.type, "result");
      assert.equal((await iq(carol, "get", items(NICK), "alice@localhost")).attrs.type, "result");

      // Only the owner publishes.
      const forged = await iq(
        bob,
        "set",
        publish(NICK, "x", xml("nick", { xmlns: NICK }, "Mallory")),
        "alice@localhost",
      );
      assert.equal(condition(forged), "forbidden");

      // Retract with notify, then delete the node: Bob hears of both.
      const retracted = bob.next(
        (s) => !!s.getChild("event", EVENT)?.getChild("items")?.getChild("retract"),
        "the retract notification",
      );
      const r = await iq(
        alice,
        "set",
        xml(
          "pubsub",
          { xmlns: PUBSUB },
          xml("retract", { node: NICK, notify: "true" }, xml("item", { id: "current" })),
        ),
        "alice@localhost",
      );
      assert.equal(r.attrs.type, "result");
      assert.equal(
        (await retracted).getChild("event", EVENT)!.getChild("items")!.getChild("retract")!.attrs
          .id,
        "current",
      );
      const deleted = bob.next(
        (s) => s.getChild("event", EVENT)?.getChild("delete")?.attrs.node === NICK,
        "the delete notification",
      );
      const d = await iq(
        alice,
        "set",
        xml("pubsub", { xmlns: OWNER }, xml("delete", { node: NICK })),
        "alice@localhost",
      );
      assert.equal(d.attrs.type, "result");
      await deleted;
      assert.equal(
        condition(await iq(bob, "get", items(NICK), "alice@localhost")),
        "item-not-found",
      );
    } finally {
      for (const c of clients) await c.stop();
      await t.close();
    }
  },
});

Deno.test({
  name: "pep: a disco#info answer that does not match its caps hash is not used",
  ...opts,
  async fn() {
    const t = await startServer();
    const clients: TestClient[] = [];
    try {
      await t.server.storage.roster.setItem("alice@localhost" as BareJid, {
        jid: "bob@localhost" as BareJid,
        groups: [],
        subscription: "both",
        ask: false,
        approved: false,
      });
      const alice = await connect(t.port, "alice", "alice-pw");
      const bob = await connect(t.port, "bob", "bob-pw");
      clients.push(alice, bob);
      // Bob claims a ver that is not the hash of what his client answers.
      const queries = answerDisco(bob, "bogus");
      await bob.xmpp.send(capsPresence("bogus"));
      await withTimeout(
        (async () => {
          while (queries.length === 0) await new Promise((r) => setTimeout(r, 20));
        })(),
        "the server's disco#info query",
      );
      await iq(
        alice,
        "set",
        publish(NICK, "current", xml("nick", { xmlns: NICK }, "Ally")),
        "alice@localhost",
      );
      assert.ok(await nothing(bob, isEvent(NICK), 300));
    } finally {
      for (const c of clients) await c.stop();
      await t.close();
    }
  },
});

// XEP-0060 §16.4.4: the registered types of the node_config fields a PEP node shows.
const REGISTERED_TYPES: Record<string, string> = {
  "pubsub#access_model": "list-single",
  "pubsub#deliver_notifications": "boolean",
  "pubsub#deliver_payloads": "boolean",
  "pubsub#max_items": "text-single",
  "pubsub#notify_retract": "boolean",
  "pubsub#persist_items": "boolean",
  "pubsub#publish_model": "list-single",
  "pubsub#send_last_published_item": "list-single",
  "pubsub#title": "text-single",
  "pubsub#contact": "jid-multi",
};

Deno.test({
  name: "pep: the node configuration form uses the registered field types (XEP-0060 §16.4.4)",
  ...opts,
  async fn() {
    const t = await startServer();
    let alice: TestClient | undefined;
    try {
      alice = await connect(t.port, "alice", "alice-pw");
      const created = await iq(
        alice,
        "set",
        xml(
          "pubsub",
          { xmlns: PUBSUB },
          xml("create", { node: NICK }),
          xml(
            "configure",
            {},
            xml(
              "x",
              { xmlns: "jabber:x:data", type: "submit" },
              xml(
                "field",
                { var: "FORM_TYPE", type: "hidden" },
                xml("value", {}, `${PUBSUB}#node_config`),
              ),
              xml("field", { var: "pubsub#title" }, xml("value", {}, "Nick")),
              xml(
                "field",
                { var: "pubsub#contact" },
                xml("value", {}, "alice@localhost"),
                xml("value", {}, "bob@localhost"),
              ),
            ),
          ),
        ),
        "alice@localhost",
      );
      assert.equal(created.attrs.type, "result");
      const reply = await iq(
        alice,
        "get",
        xml("pubsub", { xmlns: OWNER }, xml("configure", { node: NICK })),
        "alice@localhost",
      );
      assert.equal(reply.attrs.type, "result");
      const form = reply.getChild("pubsub", OWNER)!.getChild("configure")!.getChild(
        "x",
        "jabber:x:data",
      )!;
      assert.equal(form.attrs.type, "form");
      const fields = new Map(form.getChildren("field").map((f) => [f.attrs.var, f]));
      assert.equal(fields.get("FORM_TYPE")!.attrs.type, "hidden");
      assert.equal(fields.get("FORM_TYPE")!.getChildText("value"), `${PUBSUB}#node_config`);
      for (const [name, type] of Object.entries(REGISTERED_TYPES)) {
        assert.equal(fields.get(name)?.attrs.type, type, name);
      }
      const values = (name: string) => fields.get(name)!.getChildren("value").map((v) => v.text());
      const options = (name: string) =>
        fields.get(name)!.getChildren("option").map((o) => o.getChildText("value"));
      assert.deepEqual(values("pubsub#publish_model"), ["publishers"]);
      assert.deepEqual(options("pubsub#publish_model"), ["publishers"]);
      assert.deepEqual(values("pubsub#access_model"), ["presence"]);
      assert.ok(options("pubsub#access_model").includes("presence"));
      assert.ok(options("pubsub#send_last_published_item").includes("on_sub_and_presence"));
      assert.deepEqual(values("pubsub#title"), ["Nick"]);
      assert.deepEqual(values("pubsub#contact"), ["alice@localhost", "bob@localhost"]);
      // XEP-0004 §3.3: a boolean's value is 0, 1, false or true.
      for (const [name, type] of Object.entries(REGISTERED_TYPES)) {
        if (type !== "boolean") continue;
        assert.ok(["0", "1", "false", "true"].includes(values(name)[0]), name);
      }
      // The form, submitted back unchanged, is accepted (as aioxmpp does).
      const submitted = await iq(
        alice,
        "set",
        xml(
          "pubsub",
          { xmlns: OWNER },
          xml(
            "configure",
            { node: NICK },
            xml(
              "x",
              { xmlns: "jabber:x:data", type: "submit" },
              form.getChildren("field").map((f) =>
                xml(
                  "field",
                  { var: f.attrs.var },
                  f.getChildren("value").map((v) => xml("value", {}, v.text())),
                )
              ),
            ),
          ),
        ),
        "alice@localhost",
      );
      assert.equal(submitted.attrs.type, "result");
    } finally {
      await alice?.stop();
      await t.close();
    }
  },
});

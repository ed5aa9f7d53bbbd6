// XEP-0060 publish-subscribe service on pubsub.localhost, over the testing kit.
import assert from "node:assert/strict";
import { testServer } from "../../src/testing/mod.ts";
import type { TestClient } from "../../src/testing/mod.ts";
import { child, type Element, elements, text, xml } from "../../src/xml/element.ts";
import { NS } from "../../src/xml/ns.ts";
import { dataForm } from "../../src/modules/data_form.ts";
import { pubsub } from "../../src/modules/pubsub.ts";
import { pgliteStorage } from "../../adapters/postgres/pglite.ts";
import { postgresStorage } from "../../adapters/postgres/postgres_js.ts";
import type { Storage } from "../../src/storage/storage.ts";
import { databaseUrl, dropSchema, testSchema } from "../adapters/postgres/_database_url.ts";

const PS = "pubsub.localhost";
let n = 0;

async function ask(c: TestClient, type: "get" | "set", payload: Element, to = PS) {
  const id = `p${++n}`;
  await c.send(xml("iq", { type, id, to }, payload));
  return await c.next((e) => e.name === "iq" && e.attrs.id === id);
}

function errorOf(reply: Element): { type?: string; condition?: string; app?: string } {
  assert.equal(reply.attrs.type, "error");
  const error = child(reply, "error")!;
  const kids = elements(error);
  return {
    type: error.attrs.type,
    condition: kids.find((k) => k.xmlns === NS.STANZAS)?.name,
    app: kids.find((k) => k.xmlns === NS.PUBSUB_ERRORS)?.name,
  };
}

const ps = (...c: Element[]) => xml("pubsub", { xmlns: NS.PUBSUB }, ...c);
const owner = (...c: Element[]) => xml("pubsub", { xmlns: NS.PUBSUB_OWNER }, ...c);
const config = (fields: Record<string, string>, formType: string = NS.NODE_CONFIG) =>
  dataForm(
    "submit",
    formType,
    Object.entries(fields).map(([k, v]) => ({ var: k, values: [v] })),
  );
const entry = (t: string) => xml("entry", { xmlns: "urn:example:news" }, t);
const publish = (node: string, id: string | undefined, payload: Element, options?: Element) =>
  ps(
    xml("publish", { node }, xml("item", { id }, payload)),
    ...(options ? [xml("publish-options", null, options)] : []),
  );

function ok(reply: Element): Element {
  assert.equal(reply.attrs.type, "result", JSON.stringify(reply));
  return reply;
}

/** The next pubsub event a client gets. */
async function event(c: TestClient): Promise<Element> {
  const msg = await c.next((e) => e.name === "message" && !!child(e, "event", NS.PUBSUB_EVENT));
  assert.equal(msg.attrs.from, PS);
  assert.equal(msg.attrs.type, "headline");
  return elements(child(msg, "event", NS.PUBSUB_EVENT)!)[0];
}

async function noEvent(c: TestClient): Promise<boolean> {
  try {
    await c.next((e) => e.name === "message", 150);
    return false;
  } catch {
    return true;
  }
}

const USERS = ["alice@localhost", "bob@localhost", "carol@localhost"];

Deno.test("pubsub creates nodes: named, instant, with a configuration form; conflict and forbidden", async () => {
  const t = await testServer({ users: USERS, pubsub: { createNodes: ["alice@localhost"] } });
  try {
    const alice = await t.connect("alice@localhost/r");
    const bob = await t.connect("bob@localhost/r");
    const created = ok(await ask(alice, "set", ps(xml("create", { node: "news" }))));
    assert.equal(child(created, "pubsub"), undefined);
    assert.deepEqual(
      errorOf(await ask(alice, "set", ps(xml("create", { node: "news" })))),
      { type: "cancel", condition: "conflict", app: undefined },
    );
    // XEP-0060 §8.1.2: an instant node's name comes back.
    const instant = ok(await ask(alice, "set", ps(xml("create", null))));
    assert.ok(child(child(instant, "pubsub")!, "create")?.attrs.node);
    // §8.1.3: create and configure in one request.
    ok(
      await ask(
        alice,
        "set",
        ps(
          xml("create", { node: "blog" }),
          xml("configure", null, config({ "pubsub#title": "Blog", "pubsub#max_items": "5" })),
        ),
      ),
    );
    const form = child(
      child(
        child(ok(await ask(alice, "get", owner(xml("configure", { node: "blog" })))), "pubsub")!,
        "configure",
      )!,
      "x",
    )!;
    const value = (name: string) =>
      text(child(elements(form, "field").find((f) => f.attrs.var === name)!, "value"));
    assert.equal(value("pubsub#title"), "Blog");
    assert.equal(value("pubsub#max_items"), "5");
    // A bad form creates nothing.
    const abuse = await ask(
      alice,
      "set",
      ps(
        xml("create", { node: "big" }),
        xml("configure", null, config({ "pubsub#max_items": "10000" })),
      ),
    );
    assert.equal(errorOf(abuse).condition, "not-acceptable");
    assert.equal(
      errorOf(await ask(alice, "get", owner(xml("configure", { node: "big" })))).condition,
      "item-not-found",
    );
    // Only the configured creators (XEP-0060 §8.1.3.1: forbidden).
    assert.equal(
      errorOf(await ask(bob, "set", ps(xml("create", { node: "mine" })))).condition,
      "forbidden",
    );
  } finally {
    await t.close();
  }
});

Deno.test("pubsub configure: §16.4 form, max_items 'max' and caps, unknown fields refused, nothing changed on error", async () => {
  const t = await testServer({ users: USERS, pubsub: { maxItems: 50 } });
  try {
    const alice = await t.connect("alice@localhost/r");
    const bob = await t.connect("bob@localhost/r");
    ok(await ask(alice, "set", ps(xml("create", { node: "n" }))));
    const get = ok(await ask(alice, "get", owner(xml("configure", { node: "n" }))));
    const form = child(child(child(get, "pubsub")!, "configure")!, "x", NS.DATA_FORMS)!;
    const fields = elements(form, "field");
    assert.equal(fields[0].attrs.var, "FORM_TYPE");
    assert.equal(text(child(fields[0], "value")), NS.NODE_CONFIG);
    const typeOf = (v: string) => fields.find((f) => f.attrs.var === v)?.attrs.type;
    assert.equal(typeOf("pubsub#access_model"), "list-single");
    assert.equal(typeOf("pubsub#deliver_payloads"), "boolean");
    assert.equal(typeOf("pubsub#max_items"), "text-single");
    const setConfig = (c: TestClient, fields: Record<string, string>) =>
      ask(c, "set", owner(xml("configure", { node: "n" }, config(fields))));
    assert.equal(errorOf(await setConfig(bob, { "pubsub#title": "x" })).condition, "forbidden");
    for (
      const bad of <Record<string, string>[]> [
        { "pubsub#max_items": "10000" },
        { "pubsub#max_items": "0" },
        { "pubsub#deliver_payloads": "maybe" },
        { "pubsub#access_model": "roster" },
        { "x-unknown": "1" },
      ]
    ) {
      assert.equal(
        errorOf(await setConfig(alice, { "pubsub#title": "changed", ...bad })).condition,
        "not-acceptable",
        JSON.stringify(bad),
      );
    }
    const title = async () => {
      const r = ok(await ask(alice, "get", owner(xml("configure", { node: "n" }))));
      const x = child(child(child(r, "pubsub")!, "configure")!, "x")!;
      const f = (v: string) =>
        text(child(elements(x, "field").find((e) => e.attrs.var === v)!, "value"));
      return [f("pubsub#title"), f("pubsub#max_items")];
    };
    assert.deepEqual(await title(), ["", "10"]);
    ok(await setConfig(alice, { "pubsub#title": "News", "pubsub#max_items": "max" }));
    assert.deepEqual(await title(), ["News", "max"]);
    // max means the service's cap: 50 items kept.
    for (let i = 0; i < 55; i++) ok(await ask(alice, "set", publish("n", `i${i}`, entry(`${i}`))));
    const all = ok(await ask(alice, "get", ps(xml("items", { node: "n" }))));
    assert.equal(elements(child(child(all, "pubsub")!, "items")!, "item").length, 50);
    // Missing node.
    assert.equal(
      errorOf(await ask(alice, "get", owner(xml("configure", { node: "nope" })))).condition,
      "item-not-found",
    );
    // The default configuration (§8.3).
    const def = ok(await ask(alice, "get", owner(xml("default", null))));
    assert.ok(child(child(child(def, "pubsub")!, "default")!, "x", NS.DATA_FORMS));
  } finally {
    await t.close();
  }
});

Deno.test("pubsub publish, items and retract: ids, max_items, preconditions, errors", async () => {
  const t = await testServer({ users: USERS });
  try {
    const alice = await t.connect("alice@localhost/r");
    const bob = await t.connect("bob@localhost/r");
    ok(await ask(alice, "set", ps(xml("create", { node: "n" }))));
    const r1 = ok(await ask(alice, "set", publish("n", "first", entry("1"))));
    assert.equal(child(child(child(r1, "pubsub")!, "publish")!, "item")?.attrs.id, "first");
    const r2 = ok(await ask(alice, "set", publish("n", undefined, entry("2"))));
    const generated = child(child(child(r2, "pubsub")!, "publish")!, "item")!.attrs.id!;
    assert.ok(generated.length > 0);
    ok(await ask(alice, "set", publish("n", "third", entry("3"))));
    const ids = async (req: Element) => {
      const r = ok(await ask(bob, "get", ps(req)));
      return elements(child(child(r, "pubsub")!, "items")!, "item").map((i) => i.attrs.id);
    };
    assert.deepEqual(await ids(xml("items", { node: "n" })), ["third", generated, "first"]);
    assert.deepEqual(await ids(xml("items", { node: "n", max_items: "2" })), ["third", generated]);
    assert.deepEqual(await ids(xml("items", { node: "n" }, xml("item", { id: "first" }))), [
      "first",
    ]);
    // The payload comes back.
    const one = ok(
      await ask(bob, "get", ps(xml("items", { node: "n" }, xml("item", { id: "first" })))),
    );
    const item = child(child(child(one, "pubsub")!, "items")!, "item")!;
    assert.equal(text(child(item, "entry", "urn:example:news")), "1");
    // §7.1.5: publish-options are preconditions.
    const pre = await ask(
      alice,
      "set",
      publish(
        "n",
        "x",
        entry("x"),
        config({ "pubsub#access_model": "whitelist" }, NS.PUBLISH_OPTIONS),
      ),
    );
    assert.deepEqual(errorOf(pre), {
      type: "cancel",
      condition: "conflict",
      app: "precondition-not-met",
    });
    ok(
      await ask(
        alice,
        "set",
        publish(
          "n",
          "y",
          entry("y"),
          config({ "pubsub#access_model": "open" }, NS.PUBLISH_OPTIONS),
        ),
      ),
    );
    // §7.1.3: errors.
    assert.equal(
      errorOf(await ask(bob, "set", publish("n", "b", entry("b")))).condition,
      "forbidden",
    );
    assert.equal(
      errorOf(await ask(alice, "set", publish("nope", "b", entry("b")))).condition,
      "item-not-found",
    );
    assert.deepEqual(
      errorOf(await ask(alice, "set", ps(xml("publish", null, xml("item", null, entry("b")))))),
      {
        type: "modify",
        condition: "bad-request",
        app: "nodeid-required",
      },
    );
    assert.equal(
      errorOf(await ask(alice, "set", ps(xml("publish", { node: "n" }, xml("item", { id: "e" })))))
        .app,
      "payload-required",
    );
    // §7.2: retract.
    assert.equal(
      errorOf(
        await ask(bob, "set", ps(xml("retract", { node: "n" }, xml("item", { id: "first" })))),
      ).condition,
      "forbidden",
    );
    ok(await ask(alice, "set", ps(xml("retract", { node: "n" }, xml("item", { id: "first" })))));
    assert.equal(
      errorOf(
        await ask(alice, "set", ps(xml("retract", { node: "n" }, xml("item", { id: "first" })))),
      ).condition,
      "item-not-found",
    );
    assert.deepEqual(await ids(xml("items", { node: "n" }, xml("item", { id: "first" }))), []);
  } finally {
    await t.close();
  }
});

Deno.test("pubsub subscriptions: notifications with and without payloads, retract, purge, delete, options", async () => {
  const t = await testServer({ users: USERS });
  try {
    const alice = await t.connect("alice@localhost/r");
    const bob = await t.connect("bob@localhost/r");
    ok(await ask(alice, "set", ps(xml("create", { node: "n" }))));
    // §6.1.3.1: only one's own JID.
    assert.deepEqual(
      errorOf(await ask(bob, "set", ps(xml("subscribe", { node: "n", jid: "carol@localhost" })))),
      {
        type: "modify",
        condition: "bad-request",
        app: "invalid-jid",
      },
    );
    assert.equal(
      errorOf(await ask(bob, "set", ps(xml("subscribe", { node: "nope", jid: "bob@localhost" }))))
        .condition,
      "item-not-found",
    );
    const sub = ok(
      await ask(bob, "set", ps(xml("subscribe", { node: "n", jid: "bob@localhost/r" }))),
    );
    const s = child(child(sub, "pubsub")!, "subscription")!;
    assert.equal(s.attrs.subscription, "subscribed");
    assert.equal(s.attrs.jid, "bob@localhost/r");
    assert.ok(s.attrs.subid);
    ok(await ask(alice, "set", publish("n", "a", entry("A"))));
    const items = await event(bob);
    assert.equal(items.name, "items");
    assert.equal(items.attrs.node, "n");
    assert.equal(text(child(child(items, "item")!, "entry")), "A");
    // Retract notifies (notify_retract on by default, notify attribute wins).
    ok(
      await ask(
        alice,
        "set",
        ps(xml("retract", { node: "n", notify: "true" }, xml("item", { id: "a" }))),
      ),
    );
    assert.equal(child(await event(bob), "retract")?.attrs.id, "a");
    // Without payloads (§7.1.2.2).
    ok(
      await ask(
        alice,
        "set",
        owner(xml("configure", { node: "n" }, config({ "pubsub#deliver_payloads": "0" }))),
      ),
    );
    ok(await ask(alice, "set", publish("n", "b", entry("B"))));
    const bare = child(await event(bob), "item")!;
    assert.equal(bare.attrs.id, "b");
    assert.equal(elements(bare).length, 0);
    // Subscription options: pause delivery.
    const opts = ok(
      await ask(bob, "get", ps(xml("options", { node: "n", jid: "bob@localhost/r" }))),
    );
    const optForm = child(child(child(opts, "pubsub")!, "options")!, "x", NS.DATA_FORMS)!;
    assert.ok(elements(optForm, "field").some((f) => f.attrs.var === "pubsub#deliver"));
    ok(
      await ask(
        bob,
        "set",
        ps(
          xml(
            "options",
            { node: "n", jid: "bob@localhost/r" },
            config({ "pubsub#deliver": "false" }, `${NS.PUBSUB}#subscribe_options`),
          ),
        ),
      ),
    );
    ok(await ask(alice, "set", publish("n", "c", entry("C"))));
    assert.ok(await noEvent(bob));
    assert.deepEqual(
      errorOf(
        await ask(
          bob,
          "set",
          ps(
            xml(
              "options",
              { node: "n", jid: "bob@localhost/r" },
              config({ "pubsub#bogus": "1" }, `${NS.PUBSUB}#subscribe_options`),
            ),
          ),
        ),
      ),
      { type: "modify", condition: "bad-request", app: "invalid-options" },
    );
    ok(
      await ask(
        bob,
        "set",
        ps(
          xml(
            "options",
            { node: "n", jid: "bob@localhost/r" },
            config({ "pubsub#deliver": "true" }, `${NS.PUBSUB}#subscribe_options`),
          ),
        ),
      ),
    );
    // Purge (§8.5) and delete (§8.4) notify.
    assert.equal(
      errorOf(await ask(bob, "set", owner(xml("purge", { node: "n" })))).condition,
      "forbidden",
    );
    ok(await ask(alice, "set", owner(xml("purge", { node: "n" }))));
    assert.equal((await event(bob)).name, "purge");
    const after = ok(await ask(bob, "get", ps(xml("items", { node: "n" }))));
    assert.equal(elements(child(child(after, "pubsub")!, "items")!, "item").length, 0);
    // Unsubscribe; twice is not-subscribed (§6.2.3.2).
    ok(await ask(bob, "set", ps(xml("unsubscribe", { node: "n", jid: "bob@localhost/r" }))));
    assert.deepEqual(
      errorOf(await ask(bob, "set", ps(xml("unsubscribe", { node: "n", jid: "bob@localhost/r" })))),
      {
        type: "cancel",
        condition: "unexpected-request",
        app: "not-subscribed",
      },
    );
    ok(await ask(bob, "set", ps(xml("subscribe", { node: "n", jid: "bob@localhost" }))));
    assert.equal(
      errorOf(await ask(bob, "set", owner(xml("delete", { node: "n" })))).condition,
      "forbidden",
    );
    ok(
      await ask(
        alice,
        "set",
        owner(
          xml("delete", { node: "n" }, xml("redirect", { uri: "xmpp:pubsub.localhost?;node=m" })),
        ),
      ),
    );
    const deleted = await event(bob);
    assert.equal(deleted.name, "delete");
    assert.equal(child(deleted, "redirect")?.attrs.uri, "xmpp:pubsub.localhost?;node=m");
    assert.equal(
      errorOf(await ask(alice, "get", ps(xml("items", { node: "n" })))).condition,
      "item-not-found",
    );
  } finally {
    await t.close();
  }
});

Deno.test("pubsub sends the last item on subscription when configured", async () => {
  const t = await testServer({ users: USERS });
  try {
    const alice = await t.connect("alice@localhost/r");
    const bob = await t.connect("bob@localhost/r");
    const carol = await t.connect("carol@localhost/r");
    ok(await ask(alice, "set", ps(xml("create", { node: "never" }))));
    ok(
      await ask(
        alice,
        "set",
        ps(
          xml("create", { node: "last" }),
          xml("configure", null, config({ "pubsub#send_last_published_item": "on_sub" })),
        ),
      ),
    );
    for (const node of ["never", "last"]) {
      ok(await ask(alice, "set", publish(node, "old", entry("old"))));
      ok(await ask(alice, "set", publish(node, "new", entry("new"))));
    }
    ok(await ask(bob, "set", ps(xml("subscribe", { node: "last", jid: "bob@localhost" }))));
    const got = await event(bob);
    assert.equal(got.attrs.node, "last");
    assert.equal(child(got, "item")?.attrs.id, "new");
    ok(await ask(carol, "set", ps(xml("subscribe", { node: "never", jid: "carol@localhost" }))));
    assert.ok(await noEvent(carol));
  } finally {
    await t.close();
  }
});

Deno.test("pubsub owner lists: subscriptions and affiliations, publishers, outcasts, whitelist, last owner", async () => {
  const t = await testServer({ users: USERS });
  try {
    const alice = await t.connect("alice@localhost/r");
    const bob = await t.connect("bob@localhost/r");
    const carol = await t.connect("carol@localhost/r");
    ok(await ask(alice, "set", ps(xml("create", { node: "n" }))));
    ok(await ask(bob, "set", ps(xml("subscribe", { node: "n", jid: "bob@localhost" }))));
    const subs = ok(await ask(alice, "get", owner(xml("subscriptions", { node: "n" }))));
    const list = child(child(subs, "pubsub", NS.PUBSUB_OWNER)!, "subscriptions")!;
    assert.deepEqual(
      elements(list, "subscription").map((s) => [s.attrs.jid, s.attrs.subscription]),
      [["bob@localhost", "subscribed"]],
    );
    assert.equal(
      errorOf(await ask(bob, "get", owner(xml("subscriptions", { node: "n" })))).condition,
      "forbidden",
    );
    // The owner subscribes carol and makes bob a publisher.
    ok(
      await ask(
        alice,
        "set",
        owner(
          xml(
            "subscriptions",
            { node: "n" },
            xml("subscription", { jid: "carol@localhost", subscription: "subscribed" }),
          ),
        ),
      ),
    );
    ok(
      await ask(
        alice,
        "set",
        owner(
          xml(
            "affiliations",
            { node: "n" },
            xml("affiliation", { jid: "bob@localhost", affiliation: "publisher" }),
          ),
        ),
      ),
    );
    ok(await ask(bob, "set", publish("n", "by-bob", entry("bob"))));
    assert.equal(child(await event(carol), "item")?.attrs.id, "by-bob");
    const affs = ok(await ask(alice, "get", owner(xml("affiliations", { node: "n" }))));
    assert.deepEqual(
      elements(child(child(affs, "pubsub")!, "affiliations")!, "affiliation").map((
        a,
      ) => [a.attrs.jid, a.attrs.affiliation]),
      [["alice@localhost", "owner"], ["bob@localhost", "publisher"]],
    );
    // The requester's own lists across the service (§5.6, §5.7).
    const mySubs = ok(await ask(carol, "get", ps(xml("subscriptions", null))));
    assert.deepEqual(
      elements(child(child(mySubs, "pubsub")!, "subscriptions")!, "subscription").map((s) =>
        s.attrs.node
      ),
      ["n"],
    );
    const myAffs = ok(await ask(bob, "get", ps(xml("affiliations", null))));
    assert.deepEqual(
      elements(child(child(myAffs, "pubsub")!, "affiliations")!, "affiliation").map((
        a,
      ) => [a.attrs.node, a.attrs.affiliation]),
      [["n", "publisher"]],
    );
    // With a node, the lists hold that node only (here: another node, so nothing).
    for (const name of ["subscriptions", "affiliations"]) {
      const none = ok(await ask(bob, "get", ps(xml(name, { node: "other" }))));
      assert.deepEqual(child(child(none, "pubsub")!, name)!.children, []);
    }
    // An outcast loses its subscription and may not subscribe again.
    ok(
      await ask(
        alice,
        "set",
        owner(
          xml(
            "affiliations",
            { node: "n" },
            xml("affiliation", { jid: "carol@localhost", affiliation: "outcast" }),
          ),
        ),
      ),
    );
    assert.equal(
      errorOf(await ask(carol, "set", ps(xml("subscribe", { node: "n", jid: "carol@localhost" }))))
        .condition,
      "forbidden",
    );
    assert.equal(
      errorOf(await ask(carol, "get", ps(xml("items", { node: "n" })))).condition,
      "forbidden",
    );
    // The last owner stays: not-acceptable, nothing changed.
    assert.equal(
      errorOf(
        await ask(
          alice,
          "set",
          owner(
            xml(
              "affiliations",
              { node: "n" },
              xml("affiliation", { jid: "bob@localhost", affiliation: "member" }),
              xml("affiliation", { jid: "alice@localhost", affiliation: "none" }),
            ),
          ),
        ),
      ).condition,
      "not-acceptable",
    );
    const still = ok(await ask(alice, "get", owner(xml("affiliations", { node: "n" }))));
    assert.equal(
      elements(child(child(still, "pubsub")!, "affiliations")!, "affiliation").find((a) =>
        a.attrs.jid === "bob@localhost"
      )?.attrs.affiliation,
      "publisher",
    );
    // Whitelist: others get closed-node (§6.1.3.4).
    ok(
      await ask(
        alice,
        "set",
        ps(
          xml("create", { node: "w" }),
          xml("configure", null, config({ "pubsub#access_model": "whitelist" })),
        ),
      ),
    );
    assert.deepEqual(
      errorOf(await ask(bob, "set", ps(xml("subscribe", { node: "w", jid: "bob@localhost" })))),
      {
        type: "cancel",
        condition: "not-allowed",
        app: "closed-node",
      },
    );
    ok(
      await ask(
        alice,
        "set",
        owner(
          xml(
            "affiliations",
            { node: "w" },
            xml("affiliation", { jid: "bob@localhost", affiliation: "member" }),
          ),
        ),
      ),
    );
    ok(await ask(bob, "set", ps(xml("subscribe", { node: "w", jid: "bob@localhost" }))));
  } finally {
    await t.close();
  }
});

Deno.test("pubsub disco: the service's identity and features, nodes in disco#items, node meta-data", async () => {
  const t = await testServer({ users: USERS });
  try {
    const alice = await t.connect("alice@localhost/r");
    const bob = await t.connect("bob@localhost/r");
    const server = ok(
      await ask(alice, "get", xml("query", { xmlns: NS.DISCO_ITEMS }), "localhost"),
    );
    assert.ok(elements(child(server, "query")!, "item").some((i) => i.attrs.jid === PS));
    const info = ok(await ask(alice, "get", xml("query", { xmlns: NS.DISCO_INFO })));
    const q = child(info, "query")!;
    assert.equal(child(q, "identity")?.attrs.category, "pubsub");
    assert.equal(child(q, "identity")?.attrs.type, "service");
    const features = elements(q, "feature").map((f) => f.attrs.var);
    for (
      const f of [
        "create-nodes",
        "publish",
        "subscribe",
        "retrieve-items",
        "publish-options",
        "purge-nodes",
      ]
    ) {
      assert.ok(features.includes(`${NS.PUBSUB}#${f}`), f);
    }
    ok(await ask(alice, "set", ps(xml("create", { node: "open" }))));
    ok(
      await ask(
        alice,
        "set",
        ps(
          xml("create", { node: "closed" }),
          xml("configure", null, config({ "pubsub#access_model": "whitelist" })),
        ),
      ),
    );
    ok(await ask(alice, "set", publish("open", "i1", entry("x"))));
    const nodes = async (c: TestClient) =>
      elements(
        child(ok(await ask(c, "get", xml("query", { xmlns: NS.DISCO_ITEMS }))), "query")!,
        "item",
      ).map((i) => i.attrs.node);
    assert.deepEqual(await nodes(alice), ["closed", "open"]);
    assert.deepEqual(await nodes(bob), ["open"]);
    const nodeInfo = ok(
      await ask(bob, "get", xml("query", { xmlns: NS.DISCO_INFO, node: "open" })),
    );
    assert.equal(child(child(nodeInfo, "query")!, "identity")?.attrs.type, "leaf");
    const itemsOfNode = ok(
      await ask(bob, "get", xml("query", { xmlns: NS.DISCO_ITEMS, node: "open" })),
    );
    assert.deepEqual(elements(child(itemsOfNode, "query")!, "item").map((i) => i.attrs.name), [
      "i1",
    ]);
    assert.equal(
      errorOf(await ask(bob, "get", xml("query", { xmlns: NS.DISCO_INFO, node: "nope" })))
        .condition,
      "item-not-found",
    );
  } finally {
    await t.close();
  }
});

Deno.test("pubsub forgets removed accounts: subscriptions and affiliations go, nodes they alone owned too", async () => {
  const t = await testServer({ users: USERS });
  try {
    const alice = await t.connect("alice@localhost/r");
    const carol = await t.connect("carol@localhost/r");
    ok(await ask(alice, "set", ps(xml("create", { node: "a" }))));
    const bob = await t.connect("bob@localhost/r");
    ok(await ask(bob, "set", ps(xml("subscribe", { node: "a", jid: "bob@localhost" }))));
    ok(await ask(bob, "set", ps(xml("create", { node: "b" }))));
    ok(await ask(carol, "set", ps(xml("subscribe", { node: "b", jid: "carol@localhost" }))));
    ok(
      await ask(
        alice,
        "set",
        owner(
          xml(
            "affiliations",
            { node: "a" },
            xml("affiliation", { jid: "bob@localhost", affiliation: "publisher" }),
          ),
        ),
      ),
    );
    assert.ok(await t.server.removeUser("bob@localhost"));
    // Bob's own node is gone, and its subscriber heard of it.
    assert.equal((await event(carol)).name, "delete");
    assert.equal(
      errorOf(await ask(carol, "get", ps(xml("items", { node: "b" })))).condition,
      "item-not-found",
    );
    const subs = ok(await ask(alice, "get", owner(xml("subscriptions", { node: "a" }))));
    assert.equal(elements(child(child(subs, "pubsub")!, "subscriptions")!).length, 0);
    const affs = ok(await ask(alice, "get", owner(xml("affiliations", { node: "a" }))));
    assert.deepEqual(
      elements(child(child(affs, "pubsub")!, "affiliations")!).map((a) => a.attrs.jid),
      ["alice@localhost"],
    );
  } finally {
    await t.close();
  }
});

/** Nodes, items, affiliations and subscriptions outlive a restart on a driver's storage. */
async function restart(open: () => Promise<Storage>): Promise<void> {
  let t = await testServer({ users: USERS, storage: await open() });
  let alice = await t.connect("alice@localhost/r");
  ok(
    await ask(
      alice,
      "set",
      ps(
        xml("create", { node: "kept" }),
        xml("configure", null, config({ "pubsub#title": "Kept" })),
      ),
    ),
  );
  ok(await ask(alice, "set", publish("kept", "one", entry("1"))));
  ok(
    await ask(
      alice,
      "set",
      owner(
        xml(
          "affiliations",
          { node: "kept" },
          xml("affiliation", { jid: "bob@localhost", affiliation: "publisher" }),
        ),
      ),
    ),
  );
  let bob = await t.connect("bob@localhost/r");
  ok(await ask(bob, "set", ps(xml("subscribe", { node: "kept", jid: "bob@localhost" }))));
  await t.close();

  t = await testServer({ storage: await open() });
  try {
    alice = await t.connect("alice@localhost/r");
    bob = await t.connect("bob@localhost/r");
    const items = ok(await ask(bob, "get", ps(xml("items", { node: "kept" }))));
    assert.equal(child(child(child(items, "pubsub")!, "items")!, "item")?.attrs.id, "one");
    ok(await ask(bob, "set", publish("kept", "two", entry("2"))));
    assert.equal(child(await event(bob), "item")?.attrs.id, "two");
    assert.equal(
      errorOf(await ask(alice, "set", ps(xml("create", { node: "kept" })))).condition,
      "conflict",
    );
    const form = child(
      child(
        child(ok(await ask(alice, "get", owner(xml("configure", { node: "kept" })))), "pubsub")!,
        "configure",
      )!,
      "x",
    )!;
    const title = elements(form, "field").find((f) => f.attrs.var === "pubsub#title")!;
    assert.equal(text(child(title, "value")), "Kept");
  } finally {
    await t.close();
  }
}

Deno.test({
  name: "pubsub nodes, items, affiliations and subscriptions survive a restart on PGlite",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "parley-pubsub-" });
    try {
      await restart(() => pgliteStorage({ dataDir: dir }));
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

const url = databaseUrl();

Deno.test({
  name: "pubsub nodes, items, affiliations and subscriptions survive a restart on PostgreSQL",
  ignore: !url,
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const schema = testSchema("pubsub");
    try {
      await restart(() => postgresStorage(url!, { schema }));
    } finally {
      await dropSchema(url!, schema);
    }
  },
});

Deno.test("pubsub() checks its options once: RangeError for bad limits, TypeError for createNodes", () => {
  assert.throws(() => pubsub({ maxItems: 0 }), RangeError);
  assert.throws(() => pubsub({ maxItemBytes: -1 }), RangeError);
  assert.throws(() => pubsub({ createNodes: "everyone" as never }), TypeError);
  assert.equal(pubsub({ createNodes: ["Admin@LocalHost"] }).name, "pubsub");
});

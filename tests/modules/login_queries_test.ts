// #11 item 9: a login reads its roster once (presence and blocking share it), and its probes
// and the block lists of its contacts take one query each, not one per contact; so do the
// last PEP items it is sent.
import assert from "node:assert/strict";
import { type BareJid, memoryStorage, type Storage } from "../../mod.ts";
import { type TestServer, testServer } from "../../src/testing/mod.ts";
import { child, elements, xml } from "../../src/xml/element.ts";
import { NS } from "../../src/xml/ns.ts";
import { capsVer } from "../../src/modules/caps.ts";
import { DEFAULT_CONFIG } from "../../src/modules/_pep_config.ts";

/** Counts calls of each storage method while `counting` is on. */
function counted(
  storage: Storage,
  stores: readonly ("roster" | "blocklist" | "pubsub")[] = ["roster", "blocklist"],
): { calls: Map<string, number>; on(): void } {
  const calls = new Map<string, number>();
  let counting = false;
  for (const store of stores) {
    const target = storage[store] as unknown as Record<string, unknown>;
    const names = new Set([
      ...Object.getOwnPropertyNames(Object.getPrototypeOf(target)),
      ...Object.keys(target),
    ]);
    for (const name of names) {
      if (name === "constructor") continue;
      const fn = target[name];
      if (typeof fn !== "function") continue;
      target[name] = (...args: unknown[]) => {
        if (counting) calls.set(`${store}.${name}`, (calls.get(`${store}.${name}`) ?? 0) + 1);
        return (fn as (...a: unknown[]) => unknown).apply(target, args);
      };
    }
  }
  return { calls, on: () => counting = true };
}

Deno.test("a login with 20 local contacts reads the roster once and probes in one query", async () => {
  const storage = memoryStorage();
  const contacts = Array.from({ length: 20 }, (_, i) => `c${i}@localhost` as BareJid);
  const both = { groups: [], subscription: "both", ask: false, approved: false } as const;
  for (const c of contacts) {
    await storage.roster.setItem("a@localhost" as BareJid, { ...both, jid: c });
    await storage.roster.setItem(c, { ...both, jid: "a@localhost" as BareJid });
  }
  const t = await testServer({ storage, users: ["a@localhost", ...contacts.slice(0, 3)] });
  try {
    // Three contacts are online: their presence comes back to the new resource.
    for (const c of contacts.slice(0, 3)) {
      const client = await t.connect(`${c}/r`);
      // Its initial presence is handled (its own echo is back) before counting starts.
      await client.next((el) => el.name === "presence" && el.attrs.from === `${c}/r`);
    }
    const { calls, on } = counted(storage);
    on();
    const a = await t.connect("a@localhost/r");
    for (const c of contacts.slice(0, 3)) {
      await a.next((el) => el.name === "presence" && el.attrs.from === `${c}/r`);
    }
    assert.equal(calls.get("roster.get"), 1, JSON.stringify([...calls]));
    assert.equal(calls.get("roster.itemsAbout"), 1, JSON.stringify([...calls]));
    assert.equal(calls.get("roster.getItem") ?? 0, 0, JSON.stringify([...calls]));
    assert.equal(calls.get("blocklist.listMany"), 1, JSON.stringify([...calls]));
    assert.ok((calls.get("blocklist.list") ?? 0) <= 1, JSON.stringify([...calls]));
  } finally {
    await t.close();
  }
});

const NICK = "http://jabber.org/protocol/nick";
const META = "urn:xmpp:avatar:metadata";
const SECRET = "urn:example:secret";
const QUIET = "urn:example:quiet";
const EMPTY = "urn:example:empty";
const both = { groups: [], ask: false, approved: false } as const;

/** A pubsub node with items, published oldest first. */
async function node(
  storage: Storage,
  owner: BareJid,
  name: string,
  config: Record<string, string>,
  ids: readonly string[],
): Promise<void> {
  await storage.pubsub.setNode(owner, name, { ...DEFAULT_CONFIG, ...config });
  for (const id of ids) {
    const payload = `<x xmlns='${name}'>${id}</x>`;
    const item = { id, payload, publisher: `${owner}/p`, stamp: new Date(0) };
    await storage.pubsub.publish(owner, name, item, 10);
  }
}

/**
 * Rosters and nodes for a login of a@localhost with `n` local contacts: c0..c(n/2-1) mutual,
 * the next quarter subscribed one way (a's roster says "to", theirs says "none": presence-model
 * nodes stay closed), the rest "from" only (a does not get their events); one remote contact.
 */
async function pepWorld(storage: Storage, n: number): Promise<BareJid[]> {
  const a = "a@localhost" as BareJid;
  const contacts = Array.from({ length: n }, (_, i) => `c${i}@localhost` as BareJid);
  for (const [i, c] of contacts.entries()) {
    const mine = i < n / 2 ? "both" : i < (3 * n) / 4 ? "to" : "from";
    const theirs = mine === "both" ? "both" : mine === "to" ? "none" : "to";
    await storage.roster.setItem(a, { ...both, jid: c, subscription: mine });
    await storage.roster.setItem(c, { ...both, jid: a, subscription: theirs });
    await node(storage, c, NICK, {}, ["n1", "n2"]);
    await node(storage, c, META, { "pubsub#access_model": "open" }, ["m1"]);
    await node(storage, c, SECRET, { "pubsub#access_model": "whitelist" }, ["s1"]);
    await node(storage, c, QUIET, { "pubsub#send_last_published_item": "never" }, ["q1"]);
    await node(storage, c, EMPTY, { "pubsub#access_model": "open" }, []);
    await node(storage, c, "urn:xmpp:avatar:data", { "pubsub#access_model": "open" }, ["d1"]);
  }
  const remote = "r@remote.example" as BareJid;
  await storage.roster.setItem(a, { ...both, jid: remote, subscription: "both" });
  await node(storage, a, NICK, { "pubsub#access_model": "whitelist" }, ["own"]);
  return contacts;
}

/** Logs a@localhost/r in with caps that want every test node's events; returns the events. */
async function pepLogin(t: TestServer, counting: () => void): Promise<string[]> {
  const query = xml(
    "query",
    { xmlns: NS.DISCO_INFO },
    xml("identity", { category: "client", type: "pc" }),
    [NS.DISCO_INFO, NS.CAPS, ...[NICK, META, SECRET, QUIET, EMPTY].map((n) => `${n}+notify`)]
      .map((f) => xml("feature", { var: f })),
  );
  const ver = (await capsVer(query, "sha-1"))!;
  const a = await t.connect("a@localhost/r", { presence: false });
  counting();
  const c = xml("c", { xmlns: NS.CAPS, hash: "sha-1", node: "urn:example:client", ver });
  await a.send(xml("presence", null, c));
  const ask = await a.next((el) =>
    el.name === "iq" && child(el, "query", NS.DISCO_INFO) !== undefined
  );
  await a.send(xml("iq", { type: "result", id: ask.attrs.id, to: ask.attrs.from }, {
    ...query,
    attrs: { ...query.attrs, node: `urn:example:client#${ver}` },
  }));
  // The events are routed while the server handles the answer, before it answers this ping.
  await a.iq(xml("iq", { type: "get" }, xml("ping", { xmlns: NS.PING })));
  const events: string[] = [];
  for (const el of a.peer.elements) {
    const items = child(child(el, "event", NS.PUBSUB_EVENT) ?? el, "items");
    if (el.name !== "message" || !items) continue;
    assert.equal(el.attrs.type, "headline");
    assert.equal(el.attrs.to, "a@localhost/r");
    const ids = elements(items, "item").map((i) => i.attrs.id);
    events.push(`${el.attrs.from} ${items.attrs.node} ${ids.join(",")}`);
  }
  await a.close();
  return events.sort();
}

for (const n of [4, 20]) {
  Deno.test(`pep: a login with ${n} contacts reads their last items in one pubsub query`, async () => {
    const storage = memoryStorage();
    const contacts = await pepWorld(storage, n);
    const t = await testServer({ storage, users: ["a@localhost", ...contacts] });
    try {
      const { calls, on } = counted(storage, ["pubsub", "roster"]);
      const events = await pepLogin(t, on);
      // XEP-0163 §4.3.2: the newest item of each +notify node the user may see; presence-model
      // nodes only of contacts whose roster gives the user a presence subscription (§4.1).
      const expected = [
        "a@localhost http://jabber.org/protocol/nick own",
        ...contacts.slice(0, n / 2).flatMap((c) => [`${c} ${NICK} n2`, `${c} ${META} m1`]),
        ...contacts.slice(n / 2, (3 * n) / 4).map((c) => `${c} ${META} m1`),
      ].sort();
      assert.deepEqual(events, expected);
      // Whatever n: one pubsub read, the login's one roster read, one roster query for the
      // probes and one for the presence-model nodes' access.
      const reads = [...calls].filter(([k]) => k.startsWith("pubsub."));
      assert.deepEqual(reads, [["pubsub.lastItems", 1]], JSON.stringify([...calls]));
      assert.equal(calls.get("roster.get") ?? 0, 1, JSON.stringify([...calls]));
      assert.equal(calls.get("roster.getItem") ?? 0, 0, JSON.stringify([...calls]));
      assert.equal(calls.get("roster.itemsAbout") ?? 0, 2, JSON.stringify([...calls]));
    } finally {
      await t.close();
    }
  });
}

// XEP-0313 message archive over in-memory connections: what is archived (both directions, by
// preference), XEP-0359 stanza ids, queries with forms and RSM paging both ways, metadata,
// errors, and offline messages.
import assert from "node:assert/strict";
import { type BareJid, child, type Element, elements, text, xml } from "../../mod.ts";
import { archivable, stripStanzaIds } from "../../src/modules/_mam_archiving.ts";
import { type TestClient, type TestServer, testServer } from "../../src/testing/mod.ts";

const MAM = "urn:xmpp:mam:2";
const RSM = "http://jabber.org/protocol/rsm";
const SID = "urn:xmpp:sid:0";
const FORWARD = "urn:xmpp:forward:0";
const DATA = "jabber:x:data";
const BASE = Date.parse("2026-06-01T00:00:00Z");

const chat = (to: string, body: string, id?: string, ...extra: Element[]) =>
  xml("message", { to, type: "chat", id }, xml("body", null, body), ...extra);

function form(fields: Record<string, string | string[]>, formType = MAM): Element {
  return xml(
    "x",
    { xmlns: DATA, type: "submit" },
    xml("field", { var: "FORM_TYPE", type: "hidden" }, xml("value", null, formType)),
    ...Object.entries(fields).map(([name, v]) =>
      xml("field", { var: name }, ...[v].flat().map((value) => xml("value", null, value)))
    ),
  );
}

function rsm(max?: number, position: Record<string, string> = {}): Element {
  return xml(
    "set",
    { xmlns: RSM },
    max === undefined ? undefined : xml("max", null, String(max)),
    ...Object.entries(position).map(([name, id]) => xml(name, null, id)),
  );
}

interface Answer {
  /** The archive ids of the results, in the order they came. */
  ids: string[];
  results: Element[];
  complete: boolean;
  first?: string;
  index?: string;
  last?: string;
  count?: string;
}

let queries = 0;

/** Runs a MAM query and collects its results and <fin/>. */
async function mamQuery(c: TestClient, ...payload: (Element | undefined)[]): Promise<Answer> {
  const queryid = `q${++queries}`;
  const start = c.peer.elements.length;
  const done = await c.iq(
    xml("iq", { type: "set" }, xml("query", { xmlns: MAM, queryid }, ...payload)),
  );
  const results = c.peer.elements.slice(start).filter((el) =>
    el.name === "message" && child(el, "result", MAM)?.attrs.queryid === queryid
  );
  const fin = child(done, "fin", MAM)!;
  const set = child(fin, "set", RSM)!;
  const first = child(set, "first");
  return {
    ids: results.map((r) => child(r, "result", MAM)!.attrs.id),
    results,
    complete: fin.attrs.complete === "true",
    first: first && text(first),
    index: first?.attrs.index,
    last: child(set, "last") && text(child(set, "last")),
    count: child(set, "count") && text(child(set, "count")),
  };
}

async function failure(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    return (e as Error).message.replace("iq error: ", "");
  }
  return "no error";
}

/** Fills an account's archive with `n` messages m0… one second apart, with a@x and b@x alternately. */
async function fill(t: TestServer, owner: string, n: number): Promise<void> {
  for (let i = 0; i < n; i++) {
    await t.server.storage.archive.append(owner as BareJid, {
      id: `m${i}`,
      stamp: new Date(BASE + i * 1000),
      with: i % 2 ? "b@x" : "a@x",
      direction: "in",
      stanza: `<message xmlns='jabber:client' from='${i % 2 ? "b" : "a"}@x/r' type='chat'>` +
        `<body>n${i}</body></message>`,
    });
  }
}

const range = (from: number, to: number) =>
  Array.from({ length: to - from }, (_, i) => `m${from + i}`);

Deno.test("archivable() takes chat and normal with a body, and honours XEP-0334 hints", () => {
  const body = xml("body", null, "hi");
  const hint = (name: string) => xml(name, { xmlns: "urn:xmpp:hints" });
  const cases: [string, Element, boolean][] = [
    ["chat with a body", xml("message", { type: "chat" }, body), true],
    ["normal with a body", xml("message", {}, body), true],
    ["chat without a body", xml("message", { type: "chat" }), false],
    ["chat state only", xml("message", { type: "chat" }, xml("active", { xmlns: "x" })), false],
    ["groupchat", xml("message", { type: "groupchat" }, body), false],
    ["headline", xml("message", { type: "headline" }, body), false],
    ["error", xml("message", { type: "error" }, body), false],
    ["no-store", xml("message", { type: "chat" }, body, hint("no-store")), false],
    ["no-permanent-store", xml("message", {}, body, hint("no-permanent-store")), false],
    ["store without a body", xml("message", { type: "chat" }, hint("store")), true],
  ];
  for (const [name, message, expected] of cases) assert.equal(archivable(message), expected, name);
});

Deno.test("stripStanzaIds() removes only the ids claiming the given JIDs", () => {
  const sid = (by: string) => xml("stanza-id", { xmlns: SID, by, id: "x" });
  const m = xml("message", {}, xml("body", null, "hi"), sid("b@localhost"), sid("room@muc"));
  assert.deepEqual(
    stripStanzaIds(m, ["b@localhost", "a@localhost"]),
    xml("message", {}, xml("body", null, "hi"), sid("room@muc")),
  );
  const clean = xml("message", {}, xml("body", null, "hi"));
  assert.equal(stripStanzaIds(clean, ["b@localhost"]), clean);
});

Deno.test("mam: a chat lands in both archives; the recipient's copy carries its stanza-id", async () => {
  const t = await testServer({ users: ["a@localhost", "b@localhost"] });
  try {
    const a = await t.connect("a@localhost/phone");
    const b = await t.connect("b@localhost/desk");
    // A forged id claiming Bob's archive, and one by a room, which stays.
    const forged = xml("stanza-id", { xmlns: SID, by: "b@localhost", id: "forged" });
    const room = xml("stanza-id", { xmlns: SID, by: "room@conference.x", id: "r1" });
    await a.send(chat("b@localhost", "hello", "c1", forged, room));
    const got = await b.next((el) => el.attrs.id === "c1");
    const sids = elements(got, "stanza-id", SID);
    assert.deepEqual(sids.map((s) => s.attrs.by), ["room@conference.x", "b@localhost"]);
    const id = sids[1].attrs.id;
    assert.notEqual(id, "forged");
    // Bob's archive: the message, received from Alice, under that id.
    const bob = await mamQuery(b);
    assert.deepEqual([bob.ids, bob.complete, bob.count, bob.index], [[id], true, "1", "0"]);
    const result = child(bob.results[0], "result", MAM)!;
    const forwarded = child(result, "forwarded", FORWARD)!;
    assert.match(child(forwarded, "delay", "urn:xmpp:delay")!.attrs.stamp, /^\d{4}-.*Z$/);
    const inner = child(forwarded, "message", "jabber:client")!;
    assert.equal(inner.attrs.from, "a@localhost/phone");
    assert.equal(text(child(inner, "body")), "hello");
    assert.equal(bob.results[0].attrs.from, "b@localhost");
    assert.equal(bob.results[0].attrs.to, b.jid);
    // The archived copy has no forged id either.
    assert.deepEqual(elements(inner, "stanza-id", SID).map((s) => s.attrs.by), [
      "room@conference.x",
    ]);
    // Alice's archive: the same message, sent, under an id of her own.
    const alice = await mamQuery(a);
    assert.equal(alice.ids.length, 1);
    assert.notEqual(alice.ids[0], id);
    const stored = await t.server.storage.archive.get("a@localhost" as BareJid, alice.ids[0]);
    assert.deepEqual([stored?.direction, stored?.with], ["out", "b@localhost"]);
    const received = await t.server.storage.archive.get("b@localhost" as BareJid, id);
    assert.deepEqual([received?.direction, received?.with], ["in", "a@localhost"]);
    // A chat state is not archived, and gets no stanza-id.
    await a.send(
      xml(
        "message",
        { to: b.jid, type: "chat", id: "cs" },
        xml("composing", {
          xmlns: "http://jabber.org/protocol/chatstates",
        }),
      ),
    );
    const state = await b.next((el) => el.attrs.id === "cs");
    assert.equal(child(state, "stanza-id", SID), undefined);
    assert.equal((await mamQuery(b)).count, "1");
  } finally {
    await t.close();
  }
});

Deno.test("mam: preferences are stored, answered and honoured", async () => {
  const t = await testServer({ users: ["a@localhost", "b@localhost", "c@localhost"] });
  try {
    const a = await t.connect("a@localhost/r");
    const b = await t.connect("b@localhost/r");
    const c = await t.connect("c@localhost/r");
    const prefsGet = xml("iq", { type: "get" }, xml("prefs", { xmlns: MAM }));
    const initial = child(await b.iq(prefsGet), "prefs", MAM)!;
    assert.equal(initial.attrs.default, "always");
    assert.deepEqual(initial.children.map((e) => (e as Element).name), ["always", "never"]);
    // Bob archives only his roster (empty), always Alice, never Carol.
    const set = xml(
      "prefs",
      { xmlns: MAM, default: "roster" },
      xml("always", null, xml("jid", null, "a@localhost")),
      xml("never", null, xml("jid", null, "c@localhost")),
    );
    const answer = child(await b.iq(xml("iq", { type: "set" }, set)), "prefs", MAM)!;
    assert.equal(answer.attrs.default, "roster");
    assert.deepEqual(
      elements(child(answer, "always", MAM)!, "jid", MAM).map((j) => text(j)),
      ["a@localhost"],
    );
    const stored = child(await b.iq(prefsGet), "prefs", MAM)!;
    assert.deepEqual(stored, answer);
    await a.send(chat("b@localhost", "from a", "p1"));
    await c.send(chat("b@localhost", "from c", "p2"));
    const fromC = await b.next((el) => el.attrs.id === "p2");
    assert.equal(child(fromC, "stanza-id", SID), undefined);
    const archived = await mamQuery(b);
    assert.equal(archived.count, "1");
    assert.equal(
      text(child(child(child(archived.results[0], "result", MAM)!, "forwarded")!, "message")!
        .children.find((e) => (e as Element).name === "body") as Element),
      "from a",
    );
    // Carol's own archive keeps what she sent (her preferences: the default, always).
    assert.equal((await mamQuery(c)).count, "1");
    // Default never: nothing more; a bad default changes nothing.
    await b.iq(xml("iq", { type: "set" }, xml("prefs", { xmlns: MAM, default: "never" })));
    await a.send(chat("b@localhost", "again", "p3"));
    await b.next((el) => el.attrs.id === "p3");
    assert.equal((await mamQuery(b)).count, "1");
    const bad = xml("iq", { type: "set" }, xml("prefs", { xmlns: MAM, default: "sometimes" }));
    assert.equal(await failure(b.iq(bad)), "bad-request");
    assert.equal(child(await b.iq(prefsGet), "prefs", MAM)!.attrs.default, "never");
  } finally {
    await t.close();
  }
});

Deno.test("mam: RSM pages forwards (with first index) and backwards with fin, last and count", async () => {
  const t = await testServer({ users: ["o@localhost"] });
  try {
    await fill(t, "o@localhost", 25);
    const o = await t.connect("o@localhost/r");
    const p1 = await mamQuery(o, rsm(10));
    assert.deepEqual(p1, { ...p1, ids: range(0, 10), complete: false, first: "m0", index: "0" });
    assert.deepEqual([p1.last, p1.count], ["m9", "25"]);
    const p2 = await mamQuery(o, rsm(10, { after: "m9" }));
    assert.deepEqual([p2.ids, p2.complete, p2.index], [range(10, 20), false, "10"]);
    const p3 = await mamQuery(o, rsm(10, { after: "m19" }));
    assert.deepEqual([p3.ids, p3.complete, p3.index, p3.last], [range(20, 25), true, "20", "m24"]);
    // Backwards: the last page, then the pages before it, each in chronological order.
    const b1 = await mamQuery(o, rsm(10, { before: "" }));
    // Backward pages carry no <first index/> (XEP-0059 §2.6 makes it optional; see readMamQuery).
    assert.deepEqual([b1.ids, b1.complete, b1.index, b1.first], [
      range(15, 25),
      false,
      undefined,
      "m15",
    ]);
    const b2 = await mamQuery(o, rsm(10, { before: "m15" }));
    assert.deepEqual([b2.ids, b2.complete, b2.index], [range(5, 15), false, undefined]);
    const b3 = await mamQuery(o, rsm(10, { before: "m5" }));
    assert.deepEqual([b3.ids, b3.complete, b3.index], [range(0, 5), true, undefined]);
    // <flip-page/>: the same page, newest first; the set is unchanged.
    const flipped = await mamQuery(o, rsm(10, { before: "" }), xml("flip-page", null));
    assert.deepEqual(flipped.ids, range(15, 25).reverse());
    assert.deepEqual([flipped.first, flipped.last, flipped.index], ["m15", "m24", undefined]);
    // max 0: the count alone.
    const counted = await mamQuery(o, rsm(0));
    assert.deepEqual([counted.ids, counted.count, counted.first], [[], "25", undefined]);
    // Without <set/>, the default page size (50) holds all of it.
    assert.deepEqual((await mamQuery(o)).ids, range(0, 25));
  } finally {
    await t.close();
  }
});

Deno.test("mam: the form filters by with, start, end, after-id, before-id and ids", async () => {
  const t = await testServer({ users: ["o@localhost"] });
  try {
    await fill(t, "o@localhost", 20);
    const o = await t.connect("o@localhost/r");
    const withB = await mamQuery(o, form({ with: "b@x" }), rsm(3));
    assert.deepEqual([withB.ids, withB.count], [["m1", "m3", "m5"], "10"]);
    // A full JID matches the account's messages (the archive keeps bare JIDs).
    assert.equal((await mamQuery(o, form({ with: "b@x/r" }))).count, "10");
    const stamp = (i: number) => new Date(BASE + i * 1000).toISOString().replace(".000", "");
    const span = await mamQuery(o, form({ start: stamp(4), end: stamp(7) }));
    assert.deepEqual([span.ids, span.complete], [range(4, 8), true]);
    const between = await mamQuery(o, form({ "after-id": "m10", "before-id": "m15" }), rsm(2));
    assert.deepEqual([between.ids, between.count, between.complete], [
      ["m11", "m12"],
      "4",
      false,
    ]);
    const lastBetween = await mamQuery(
      o,
      form({ "after-id": "m10", "before-id": "m15" }),
      rsm(2, { before: "" }),
    );
    assert.deepEqual([lastBetween.ids, lastBetween.index], [["m13", "m14"], undefined]);
    const some = await mamQuery(o, form({ ids: ["m7", "m2"] }));
    assert.deepEqual([some.ids, some.count], [["m2", "m7"], "2"]);
    // The form asked for (XEP-0313 §4.1.5).
    const f = await o.iq(xml("iq", { type: "get" }, xml("query", { xmlns: MAM })));
    const x = child(child(f, "query", MAM)!, "x", DATA)!;
    assert.equal(x.attrs.type, "form");
    assert.deepEqual(elements(x, "field", DATA).map((el) => el.attrs.var), [
      "FORM_TYPE",
      "with",
      "start",
      "end",
      "before-id",
      "after-id",
      "ids",
    ]);
  } finally {
    await t.close();
  }
});

Deno.test("mam: bad queries get the XEP's errors, and another's archive is forbidden", async () => {
  const t = await testServer({ users: ["o@localhost", "p@localhost"] });
  try {
    await fill(t, "o@localhost", 3);
    const o = await t.connect("o@localhost/r");
    const q = (...payload: (Element | undefined)[]) =>
      failure(o.iq(xml("iq", { type: "set" }, xml("query", { xmlns: MAM }, ...payload))));
    assert.equal(await q(rsm(5, { after: "nope" })), "item-not-found");
    assert.equal(await q(rsm(5, { before: "nope" })), "item-not-found");
    assert.equal(await q(form({ "after-id": "nope" })), "item-not-found");
    assert.equal(await q(form({ ids: ["m1", "nope"] })), "item-not-found");
    assert.equal(await q(form({ start: "yesterday" })), "bad-request");
    assert.equal(await q(form({ with: "@@" })), "bad-request");
    assert.equal(await q(form({ with: ["a@x", "b@x"] })), "bad-request");
    assert.equal(await q(form({}, "urn:example")), "bad-request");
    assert.equal(await q(rsm(undefined, { max: "ten" })), "bad-request");
    // XEP-0313 §4.1.5: a field the server does not know is feature-not-implemented.
    assert.equal(await q(form({ "{urn:example}search": "x" })), "feature-not-implemented");
    const p = await t.connect("p@localhost/r");
    const theirs = xml("iq", { type: "set", to: "o@localhost" }, xml("query", { xmlns: MAM }));
    assert.equal(await failure(p.iq(theirs)), "forbidden");
    // Nothing changed.
    assert.equal((await mamQuery(o)).count, "3");
  } finally {
    await t.close();
  }
});

Deno.test("mam: metadata gives the first and last message; disco lists the features", async () => {
  const t = await testServer({ users: ["o@localhost"] });
  try {
    const o = await t.connect("o@localhost/r");
    const meta = xml("iq", { type: "get" }, xml("metadata", { xmlns: MAM }));
    assert.deepEqual(child(await o.iq(meta), "metadata", MAM)!.children, []);
    await fill(t, "o@localhost", 4);
    const m = child(await o.iq(meta), "metadata", MAM)!;
    assert.deepEqual(child(m, "start", MAM)!.attrs, {
      id: "m0",
      timestamp: "2026-06-01T00:00:00Z",
    });
    assert.deepEqual(child(m, "end", MAM)!.attrs, { id: "m3", timestamp: "2026-06-01T00:00:03Z" });
    const info = await o.iq(
      xml(
        "iq",
        { type: "get", to: "o@localhost" },
        xml("query", {
          xmlns: "http://jabber.org/protocol/disco#info",
        }),
      ),
    );
    const features = elements(child(info, "query")!, "feature").map((f) => f.attrs.var);
    for (const f of [MAM, `${MAM}#extended`, SID]) assert.ok(features.includes(f), f);
  } finally {
    await t.close();
  }
});

Deno.test("mam: offline messages carry their archive id; what a client synced first is not sent again", async () => {
  const t = await testServer({ users: ["a@localhost", "b@localhost"] });
  try {
    const a = await t.connect("a@localhost/r");
    await a.send(chat("b@localhost", "while away", "o1"));
    await a.send(chat("b@localhost", "still away", "o2"));
    // Bob logs in: the offline copies carry the ids the archive has.
    const b = await t.connect("b@localhost/r");
    const o1 = await b.next((el) => el.attrs.id === "o1");
    const o2 = await b.next((el) => el.attrs.id === "o2");
    const archived = await mamQuery(b);
    assert.deepEqual(
      archived.ids,
      [o1, o2].map((m) => child(m, "stanza-id", SID)!.attrs.id),
    );
    assert.ok(child(o1, "delay", "urn:xmpp:delay"));
    await b.close();
    // A client that syncs from the archive before its initial presence gets the messages once:
    // the offline copy of what its query sent it is left out, the rest is delivered.
    await a.send(chat("b@localhost", "third", "o3"));
    await a.send(chat("b@localhost", "fourth", "o4"));
    const sync = await t.connect("b@localhost/sync", { presence: false });
    const synced = await mamQuery(sync, rsm(1, { after: archived.last! }));
    assert.equal(synced.ids.length, 1);
    await sync.send(xml("presence", null));
    // The presence (and the offline delivery it starts) is handled before this answer.
    await sync.iq(
      xml("iq", { type: "get", to: "localhost" }, xml("ping", { xmlns: "urn:xmpp:ping" })),
    );
    const o4 = await sync.next((el) => el.attrs.id === "o4");
    assert.notEqual(child(o4, "stanza-id", SID)!.attrs.id, synced.ids[0]);
    assert.equal(sync.peer.elements.some((el) => el.attrs.id === "o3"), false);
    assert.deepEqual(await t.server.storage.offline.list("b@localhost" as BareJid), []);
  } finally {
    await t.close();
  }
});

Deno.test("mam: without offline storage an archived message is not bounced; removal forgets prefs", async () => {
  const t = await testServer({ users: ["a@localhost", "b@localhost"] });
  try {
    await t.server.unload("offline");
    const a = await t.connect("a@localhost/r");
    await a.send(chat("b@localhost", "kept", "k1"));
    // No error comes back: the message is in Bob's archive (XEP-0160 is not loaded).
    await a.iq(
      xml("iq", { type: "get", to: "localhost" }, xml("ping", { xmlns: "urn:xmpp:ping" })),
    );
    assert.equal(a.peer.elements.some((el) => el.attrs.type === "error"), false);
    const b = await t.connect("b@localhost/r");
    assert.equal((await mamQuery(b)).count, "1");
    await b.iq(xml("iq", { type: "set" }, xml("prefs", { xmlns: MAM, default: "never" })));
    assert.ok(await t.server.storage.documents.get(`${MAM}#prefs`, "b@localhost"));
    await b.close();
    assert.equal(await t.server.removeUser("b@localhost" as BareJid), true);
    assert.equal(await t.server.storage.documents.get(`${MAM}#prefs`, "b@localhost"), undefined);
    assert.deepEqual(await t.server.storage.archive.metadata("b@localhost" as BareJid), {});
  } finally {
    await t.close();
  }
});

import assert from "node:assert/strict";
import { memoryStorage } from "../../../src/storage/memory.ts";
import { type TestClient, testServer } from "../../../src/testing/mod.ts";
import { child, type Element, elements, text, xml } from "../../../src/xml/element.ts";
import { NS } from "../../../src/xml/ns.ts";
import { codes, configure, createRoom, join, ROOM, say } from "./_muc.ts";

const USERS = ["alice@localhost", "bob@localhost", "carol@localhost"];

function mamQuery(queryid: string, set?: Record<string, string>, fields?: Record<string, string>) {
  return xml(
    "query",
    { xmlns: NS.MAM, queryid },
    fields &&
      xml(
        "x",
        { xmlns: NS.DATA_FORMS, type: "submit" },
        xml("field", { var: "FORM_TYPE", type: "hidden" }, xml("value", null, NS.MAM)),
        Object.entries(fields).map(([v, value]) =>
          xml("field", { var: v }, xml("value", null, value))
        ),
      ),
    set && xml("set", { xmlns: NS.RSM }, Object.entries(set).map(([k, v]) => xml(k, null, v))),
  );
}

/** Runs a query; returns the forwarded bodies, their archive ids and the <fin/>. */
async function page(client: TestClient, query: Element) {
  const fin = await client.iq(xml("iq", { type: "set", to: ROOM }, query));
  const queryid = query.attrs.queryid;
  const results: Element[] = [];
  for (;;) {
    const m = await client.next(
      (e) => e.name === "message" && child(e, "result", NS.MAM) !== undefined,
      50,
    )
      .catch(() => undefined);
    if (!m) break;
    results.push(m);
  }
  for (const r of results) {
    assert.equal(r.attrs.from, ROOM);
    assert.equal(child(r, "result", NS.MAM)?.attrs.queryid, queryid);
  }
  const forwarded = results.map((r) =>
    child(child(r, "result", NS.MAM)!, "forwarded", NS.FORWARD)!
  );
  return {
    bodies: forwarded.map((f) => text(child(child(f, "message")!, "body"))),
    ids: results.map((r) => String(child(r, "result", NS.MAM)!.attrs.id)),
    from: forwarded.map((f) => child(f, "message")!.attrs.from),
    stamped: forwarded.every((f) => child(f, "delay", NS.DELAY)?.attrs.stamp !== undefined),
    fin: child(fin, "fin", NS.MAM)!,
  };
}

function rsm(fin: Element) {
  const set = child(fin, "set", NS.RSM)!;
  return {
    complete: fin.attrs.complete,
    first: text(child(set, "first")),
    last: text(child(set, "last")),
    count: text(child(set, "count")),
  };
}

Deno.test("muc archive: groupchat gets the room's stanza id and is paged both ways", async () => {
  const t = await testServer({ users: USERS });
  try {
    const alice = await t.connect("alice@localhost/phone");
    const bob = await t.connect("bob@localhost/laptop");
    await createRoom(alice);
    await join(bob, `${ROOM}/Bob`);
    await bob.send(
      xml(
        "message",
        { to: ROOM, type: "groupchat", id: "forged" },
        xml("body", null, "m0"),
        xml("stanza-id", { xmlns: NS.STANZA_ID, id: "fake", by: ROOM }),
      ),
    );
    const live = await alice.next((e) => e.attrs.id === "forged");
    const sids = elements(live).filter((c) => c.name === "stanza-id");
    assert.equal(sids.length, 1);
    assert.equal(sids[0].attrs.by, ROOM);
    assert.notEqual(sids[0].attrs.id, "fake");
    for (const b of ["m1", "m2", "m3", "m4"]) await say(alice, b);
    await bob.next((e) => text(child(e, "body")) === "m4");

    const all = await page(alice, mamQuery("q1"));
    assert.deepEqual(all.bodies, ["m0", "m1", "m2", "m3", "m4"]);
    assert.equal(all.ids[0], sids[0].attrs.id);
    assert.ok(all.stamped);
    assert.deepEqual(rsm(all.fin), {
      complete: "true",
      first: all.ids[0],
      last: all.ids[4],
      count: "5",
    });

    const first = await page(alice, mamQuery("q2", { max: "2" }));
    assert.deepEqual(first.bodies, ["m0", "m1"]);
    assert.equal(first.fin.attrs.complete, undefined);
    const next = await page(alice, mamQuery("q3", { max: "2", after: first.ids[1] }));
    assert.deepEqual(next.bodies, ["m2", "m3"]);
    const last = await page(alice, mamQuery("q4", { max: "2", before: "" }));
    assert.deepEqual(last.bodies, ["m3", "m4"]);
    const byBob = await page(alice, mamQuery("q5", undefined, { with: `${ROOM}/Bob` }));
    assert.deepEqual(byBob.bodies, ["m0"]);
    assert.deepEqual(byBob.from, [`${ROOM}/Bob`]);
    await assert.rejects(
      alice.iq(xml("iq", { type: "set", to: ROOM }, mamQuery("q6", { after: "nope" }))),
      /item-not-found/,
    );
    await assert.rejects(
      alice.iq(xml("iq", { type: "set", to: ROOM }, mamQuery("q7", undefined, { color: "red" }))),
      /feature-not-implemented/,
    );
    // The #extended fields and <flip-page/>, as the user archive reads them.
    const picked = await page(alice, mamQuery("q8", undefined, { "after-id": all.ids[2] }));
    assert.deepEqual(picked.bodies, ["m3", "m4"]);
    const flip = mamQuery("q9", { max: "2" });
    const flipped = await page(alice, {
      ...flip,
      children: [...flip.children, xml("flip-page", { xmlns: NS.MAM })],
    });
    assert.deepEqual(flipped.bodies, ["m1", "m0"]);
    const form = await alice.iq(
      xml("iq", { type: "get", to: ROOM }, xml("query", { xmlns: NS.MAM })),
    );
    assert.ok(child(child(form, "query", NS.MAM)!, "x", NS.DATA_FORMS));
  } finally {
    await t.close();
  }
});

Deno.test("muc archive: members-only rooms and bans keep others out; turning it off says 171", async () => {
  const t = await testServer({ users: USERS });
  try {
    const alice = await t.connect("alice@localhost/phone");
    const carol = await t.connect("carol@localhost/pc");
    await createRoom(alice);
    await say(alice, "secret");
    await alice.next((e) => text(child(e, "body")) === "secret");
    assert.deepEqual((await page(carol, mamQuery("open"))).bodies, ["secret"]);
    await configure(alice, { "muc#roomconfig_membersonly": "1" });
    await assert.rejects(
      carol.iq(xml("iq", { type: "set", to: ROOM }, mamQuery("mo"))),
      /forbidden/,
    );
    await configure(alice, { "muc#roomconfig_enablearchiving": "0" });
    const notice = await alice.next((e) => e.name === "message" && codes(e).includes(171));
    assert.deepEqual(codes(notice).sort(), [104, 171]);
    await say(alice, "unarchived");
    const live = await alice.next((e) => text(child(e, "body")) === "unarchived");
    assert.equal(child(live, "stanza-id", NS.STANZA_ID), undefined);
    assert.deepEqual((await page(alice, mamQuery("off"))).bodies, ["secret"]);
  } finally {
    await t.close();
  }
});

Deno.test("muc archive: a persistent room's archive survives a restart; a temporary one goes", async () => {
  const storage = memoryStorage();
  const first = await testServer({ users: USERS, storage });
  try {
    const alice = await first.connect("alice@localhost/phone");
    await createRoom(alice);
    await configure(alice, { "muc#roomconfig_persistentroom": "1" });
    await say(alice, "kept");
    await alice.next((e) => text(child(e, "body")) === "kept");
    await join(alice, "scratch@conference.localhost/Alice");
    await configure(alice, {}, "scratch@conference.localhost");
    await say(alice, "gone", "scratch@conference.localhost");
    await alice.next((e) => text(child(e, "body")) === "gone");
  } finally {
    await first.close();
  }
  const second = await testServer({ users: USERS, storage });
  try {
    const bob = await second.connect("bob@localhost/laptop");
    assert.deepEqual((await page(bob, mamQuery("after-restart"))).bodies, ["kept"]);
    // The join history comes back from the archive too, before the subject.
    await bob.send(xml("presence", { to: `${ROOM}/Bob` }, xml("x", { xmlns: NS.MUC })));
    const history = await bob.next((e) => e.name === "message" && e.attrs.from === `${ROOM}/Alice`);
    assert.equal(text(child(history, "body")), "kept");
    assert.ok(child(history, "delay", NS.DELAY));
    const scratch = await storage.archive.query("scratch@conference.localhost" as never, {
      max: 10,
    });
    assert.equal(scratch.messages.length, 0);
  } finally {
    await second.close();
  }
});

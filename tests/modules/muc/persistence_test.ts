import assert from "node:assert/strict";
import { pgliteStorage } from "../../../adapters/postgres/pglite.ts";
import { postgresStorage } from "../../../adapters/postgres/postgres_js.ts";
import { databaseUrl, dropSchema, testSchema } from "../../adapters/postgres/_database_url.ts";
import { memoryStorage } from "../../../src/storage/memory.ts";
import type { Storage } from "../../../src/storage/storage.ts";
import { testServer } from "../../../src/testing/mod.ts";
import { child, elements, text, xml } from "../../../src/xml/element.ts";
import { NS } from "../../../src/xml/ns.ts";
import { codes, condition, configure, createRoom, join, joinPresence, ROOM } from "./_muc.ts";

const USERS = ["alice@localhost", "bob@localhost", "carol@localhost"];

async function firstRun(storage: Storage): Promise<void> {
  const t = await testServer({ users: USERS, storage });
  try {
    const alice = await t.connect("alice@localhost/phone");
    await createRoom(alice);
    await configure(alice, {
      "muc#roomconfig_persistentroom": "1",
      "muc#roomconfig_membersonly": "1",
      "muc#roomconfig_roomname": "Tea",
    });
    await alice.iq(xml(
      "iq",
      { type: "set", to: ROOM },
      xml(
        "query",
        { xmlns: NS.MUC_ADMIN },
        xml("item", { jid: "bob@localhost", affiliation: "member" }),
        xml("item", { jid: "carol@localhost", affiliation: "outcast" }),
      ),
    ));
    await alice.send(
      xml("message", { to: ROOM, type: "groupchat" }, xml("subject", null, "Darjeeling")),
    );
    await alice.next((e) =>
      e.name === "message" && child(e, "subject") !== undefined && text(child(e, "subject")) !== ""
    );
    await alice.send(xml("message", { to: ROOM, type: "groupchat" }, xml("body", null, "Kept")));
    await alice.next((e) => e.name === "message" && text(child(e, "body")) === "Kept");
    // A temporary room is not kept.
    await join(alice, "scratch@conference.localhost/Alice");
    await configure(alice, {}, "scratch@conference.localhost");
  } finally {
    await t.close();
  }
}

async function secondRun(storage: Storage): Promise<void> {
  const t = await testServer({ users: USERS, storage });
  try {
    const bob = await t.connect("bob@localhost/laptop");
    const rooms = await bob.iq(
      xml(
        "iq",
        { type: "get", to: "conference.localhost" },
        xml("query", { xmlns: NS.DISCO_ITEMS }),
      ),
    );
    assert.deepEqual(
      elements(child(rooms, "query", NS.DISCO_ITEMS)!, "item").map((i) => i.attrs),
      [{ jid: ROOM, name: "Tea" }],
    );
    // Bob is still a member of the members-only room; no 201: the room exists.
    const self = await join(bob, `${ROOM}/Bob`);
    assert.deepEqual(codes(self), [110, 170]); // 170: the room is archived
    const subject = await bob.next((e) =>
      e.name === "message" && child(e, "subject") !== undefined
    );
    assert.equal(text(child(subject, "subject")), "Darjeeling");
    const carol = await t.connect("carol@localhost/pc");
    await carol.send(joinPresence(`${ROOM}/Carol`));
    assert.equal(condition(await carol.next((e) => e.attrs.type === "error")), "auth/forbidden");
    // Alice is still the owner.
    const alice = await t.connect("alice@localhost/phone");
    const form = await alice.iq(
      xml("iq", { type: "get", to: ROOM }, xml("query", { xmlns: NS.MUC_OWNER })),
    );
    assert.ok(child(child(form, "query", NS.MUC_OWNER)!, "x", NS.DATA_FORMS));
    // The room's archive (XEP-0313) is in the same storage.
    const fin = await alice.iq(
      xml("iq", { type: "set", to: ROOM }, xml("query", { xmlns: NS.MAM, queryid: "q" })),
    );
    assert.equal(child(fin, "fin", NS.MAM)?.attrs.complete, "true");
    const archived = await alice.next((e) => child(e, "result", NS.MAM) !== undefined);
    const forwarded = child(child(archived, "result", NS.MAM)!, "forwarded", NS.FORWARD)!;
    assert.equal(text(child(child(forwarded, "message")!, "body")), "Kept");
    const features = await alice.iq(
      xml("iq", { type: "get", to: ROOM }, xml("query", { xmlns: NS.DISCO_INFO })),
    );
    const vars = elements(child(features, "query", NS.DISCO_INFO)!, "feature").map((f) =>
      f.attrs.var
    );
    assert.ok(vars.includes("muc_persistent") && vars.includes("muc_membersonly"));
  } finally {
    await t.close();
  }
}

Deno.test("muc: persistent rooms and affiliations survive a restart (memory storage)", async () => {
  const storage = memoryStorage();
  await firstRun(storage);
  await secondRun(storage);
});

Deno.test({
  name: "muc: persistent rooms and affiliations survive a restart (PGlite data directory)",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "parley-muc-" });
    try {
      await firstRun(await pgliteStorage({ dataDir: dir }));
      await secondRun(await pgliteStorage({ dataDir: dir }));
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

const url = databaseUrl();
Deno.test({
  name: "muc: persistent rooms and affiliations survive a restart (PostgreSQL)",
  ignore: url === undefined,
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const schema = testSchema("muc");
    try {
      await firstRun(await postgresStorage(url!, { schema }));
      await secondRun(await postgresStorage(url!, { schema }));
    } finally {
      await dropSchema(url!, schema);
    }
  },
});

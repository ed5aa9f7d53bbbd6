// RosterStore.apply() on the database drivers: a statement failing half-way through a batch
// leaves both rosters as they were (RFC 6121 §3: the two sides of a subscription change go
// together or not at all).
import assert from "node:assert/strict";
import type { BareJid } from "../../../src/jid/jid.ts";
import type { RosterItem } from "../../../src/storage/roster_store.ts";
import type { Storage } from "../../../src/storage/storage.ts";
import { pgliteStorage } from "../../../adapters/postgres/pglite.ts";
import { postgresStorage } from "../../../adapters/postgres/postgres_js.ts";
import { databaseUrl, dropSchema, testSchema } from "./_database_url.ts";

const url = databaseUrl();
const alice = "alice@apply.test" as BareJid;
const bob = "bob@apply.test" as BareJid;
const item = (jid: BareJid, groups: string[] = []): RosterItem => ({
  jid,
  groups,
  subscription: "from",
  ask: false,
  approved: false,
});

async function rollsBack(storage: Storage): Promise<void> {
  await storage.roster.addPending(alice, { from: bob, stanza: "<presence type='subscribe'/>" });
  const before = await storage.roster.get(alice);
  // The last op fails in the database (text cannot hold U+0000), after the others ran.
  await assert.rejects(storage.roster.apply([
    { op: "set", owner: alice, item: item(bob) },
    { op: "removePending", owner: alice, from: bob },
    { op: "set", owner: bob, item: item(alice, ["bad\u0000group"]) },
  ]));
  assert.deepEqual(await storage.roster.get(alice), before);
  assert.deepEqual(await storage.roster.get(bob), { version: "0", items: [] });
  assert.deepEqual((await storage.roster.listPending(alice)).map((p) => p.from), [bob]);
  // The same batch, fixed, commits whole.
  const results = await storage.roster.apply([
    { op: "set", owner: alice, item: item(bob) },
    { op: "removePending", owner: alice, from: bob },
    { op: "set", owner: bob, item: item(alice, ["good"]) },
  ]);
  assert.deepEqual(results.map((r) => r.changed), [true, true, true]);
  assert.deepEqual(await storage.roster.getItem(bob, alice), item(alice, ["good"]));
  assert.deepEqual(await storage.roster.listPending(alice), []);
}

Deno.test({
  name: "PGlite roster.apply() rolls back every change when one fails",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const storage = await pgliteStorage();
    try {
      await rollsBack(storage);
    } finally {
      await storage.close();
    }
  },
});

Deno.test({
  name: "PostgreSQL roster.apply() rolls back every change when one fails",
  ignore: url === undefined,
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const schema = testSchema("apply");
    const storage = await postgresStorage(url!, { schema });
    try {
      await rollsBack(storage);
    } finally {
      await storage.close();
      await dropSchema(url!, schema);
    }
  },
});

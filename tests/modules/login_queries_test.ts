// #11 item 9: a login reads its roster once (presence and blocking share it), and its probes
// and the block lists of its contacts take one query each, not one per contact.
import assert from "node:assert/strict";
import { type BareJid, memoryStorage, type Storage } from "../../mod.ts";
import { testServer } from "../../src/testing/mod.ts";

/** Counts calls of each storage method while `counting` is on. */
function counted(storage: Storage): { calls: Map<string, number>; on(): void } {
  const calls = new Map<string, number>();
  let counting = false;
  for (const store of ["roster", "blocklist"] as const) {
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

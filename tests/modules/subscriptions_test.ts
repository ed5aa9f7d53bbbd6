// RFC 6121 §3 with both accounts local: both sides of a subscription change are written in one
// roster transaction (RosterStore.apply), never one without the other.
import assert from "node:assert/strict";
import { memoryStorage, type RosterOp, xml } from "../../mod.ts";
import { testServer } from "../../src/testing/mod.ts";

Deno.test("subscriptions: a local subscription change writes both rosters in one transaction", async () => {
  const storage = memoryStorage();
  const batches: string[][] = [];
  const apply = storage.roster.apply.bind(storage.roster);
  storage.roster.apply = (ops: readonly RosterOp[]) => {
    batches.push(ops.map((o) => `${o.op} ${o.owner}`));
    return apply(ops);
  };
  const t = await testServer({ storage, users: ["a@localhost", "b@localhost"] });
  try {
    const a = await t.connect("a@localhost/r");
    const b = await t.connect("b@localhost/r");
    await a.send(xml("presence", { to: "b@localhost", type: "subscribe" }));
    await b.next((el) => el.name === "presence" && el.attrs.type === "subscribe");
    await b.send(xml("presence", { to: "a@localhost", type: "subscribed" }));
    await a.next((el) => el.name === "presence" && el.attrs.from === "b@localhost/r");
    // The request: a's item (ask) and b's pending request together; the approval: b's item
    // (from) and a's item (to), b's pending request gone, together.
    assert.deepEqual(batches, [
      ["set a@localhost", "addPending b@localhost"],
      ["removePending b@localhost", "set b@localhost", "set a@localhost"],
    ]);
    const [itemA, itemB] = await Promise.all([
      storage.roster.getItem("a@localhost" as never, "b@localhost" as never),
      storage.roster.getItem("b@localhost" as never, "a@localhost" as never),
    ]);
    assert.equal(itemA?.subscription, "to");
    assert.equal(itemB?.subscription, "from");
  } finally {
    await t.close();
  }
});

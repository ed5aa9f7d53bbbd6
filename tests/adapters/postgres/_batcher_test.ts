import assert from "node:assert/strict";
import { Batcher, isDataError } from "../../../adapters/postgres/_batcher.ts";

/** A writer whose batches wait until released, recording what each batch held. */
function gatedWriter() {
  const batches: string[][] = [];
  const gates: (() => void)[] = [];
  let started: (() => void) | undefined;
  const run = async (items: readonly string[]) => {
    batches.push([...items]);
    const gate = new Promise<void>((r) => gates.push(r));
    started?.();
    await gate;
    if (items.length > 1 && items.includes("bad")) {
      throw Object.assign(new Error("Batch refused"), { code: "23505" });
    }
    if (items.includes("lost")) throw new Error("Connection lost");
    if (items[0] === "bad") throw new Error("Item refused");
    return items.map((i) => i.toUpperCase());
  };
  /** Releases the batch in flight once it has started. */
  const release = async () => {
    if (gates.length === 0) {
      let timer: ReturnType<typeof setTimeout> | undefined;
      await Promise.race([
        new Promise<void>((r) => started = r),
        new Promise((_, reject) =>
          timer = setTimeout(() => reject(new Error("No batch started")), 5000)
        ),
      ]).finally(() => clearTimeout(timer));
    }
    gates.shift()!();
  };
  return { run, batches, release };
}

Deno.test("Batcher groups what is submitted in one tick, then what arrives while a batch is written", async () => {
  const w = gatedWriter();
  const b = new Batcher(w.run, { maxBatch: 3 });
  const first = ["a", "b"].map((i) => b.submit(i));
  await w.release(); // [a, b] in flight until now
  assert.deepEqual(await Promise.all(first), ["A", "B"]);
  const lone = b.submit("c");
  await Promise.resolve();
  const later = ["d", "e", "f", "g"].map((i) => b.submit(i)); // while [c] is written
  await w.release();
  await w.release();
  await w.release();
  assert.deepEqual([await lone, ...await Promise.all(later)], ["C", "D", "E", "F", "G"]);
  // maxBatch 3 splits what waited; order kept.
  assert.deepEqual(w.batches, [["a", "b"], ["c"], ["d", "e", "f"], ["g"]]);
});

Deno.test("Batcher retries a failed batch item by item, so that only the bad item fails", async () => {
  const w = gatedWriter();
  const b = new Batcher(w.run, { maxBatch: 10, retryAlone: isDataError });
  const results = Promise.allSettled(["x", "bad", "y"].map((i) => b.submit(i)));
  for (let i = 0; i < 4; i++) await w.release();
  const settled = await results;
  assert.deepEqual(settled.map((r) => r.status), ["fulfilled", "rejected", "fulfilled"]);
  assert.deepEqual(settled.map((r) => r.status === "fulfilled" ? r.value : r.reason.message), [
    "X",
    "Item refused",
    "Y",
  ]);
  assert.deepEqual(w.batches, [["x", "bad", "y"], ["x"], ["bad"], ["y"]]);
});

Deno.test("Batcher keeps items of one lane key in order, one batch in flight per lane", async () => {
  let inFlight = 0;
  let most = 0;
  const order: string[] = [];
  const b = new Batcher(async (items: readonly string[]) => {
    most = Math.max(most, ++inFlight);
    await new Promise((r) => setTimeout(r, 1));
    order.push(...items);
    inFlight--;
    return items.map(() => undefined);
  }, { maxBatch: 2, lanes: 4, laneKey: (i) => i.split(":")[0] });
  const keys = ["k1", "k2", "k3", "k4", "k5", "k6"];
  await Promise.all(keys.flatMap((k) => [0, 1, 2, 3, 4].map((n) => b.submit(`${k}:${n}`))));
  for (const k of keys) {
    assert.deepEqual(
      order.filter((i) => i.startsWith(`${k}:`)),
      [0, 1, 2, 3, 4].map((n) => `${k}:${n}`),
    );
  }
  assert.ok(most > 1 && most <= 4, `batches in flight at once: ${most}`);
});

Deno.test("Batcher fails the whole batch, without writing items again, when the connection is lost", async () => {
  const w = gatedWriter();
  const b = new Batcher(w.run, { maxBatch: 10, retryAlone: isDataError });
  const results = Promise.allSettled(["x", "lost", "y"].map((i) => b.submit(i)));
  await w.release();
  const settled = await results;
  assert.deepEqual(settled.map((r) => r.status === "rejected" && r.reason.message), [
    "Connection lost",
    "Connection lost",
    "Connection lost",
  ]);
  assert.deepEqual(w.batches, [["x", "lost", "y"]]);
});

Deno.test("isDataError() finds SQLSTATE classes 22 and 23 through wrapping errors", () => {
  const pg = (code: string) => Object.assign(new Error("x"), { code });
  const cases: [unknown, boolean][] = [
    [pg("23505"), true],
    [pg("22021"), true],
    [new Error("Failed query", { cause: pg("23505") }), true],
    [pg("57P01"), false],
    [pg("08006"), false],
    [pg("ECONNRESET"), false],
    [new Error("write CONNECTION_CLOSED"), false],
    ["23505", false],
  ];
  assert.deepEqual(cases.map(([e]) => isDataError(e)), cases.map(([, want]) => want));
});

// Transactions on lanes: nothing of a transaction goes to a connection but the one its BEGIN
// ran on; statements that postgres.js failed without sending are run again.
import assert from "node:assert/strict";
import {
  type LaneClient,
  type LaneQuery,
  retryUnsent,
  TransactionConnectionLostError,
  TransactionLanes,
} from "../../../adapters/postgres/_tx_lanes.ts";

/** A query like postgres.js's: `state` is set once it was sent to a connection. */
function query(result: Promise<unknown>, sent = true): LaneQuery & { state: unknown } {
  result.catch(() => {});
  return {
    state: sent ? {} : null,
    values() {
      return this;
    },
    then: (a, b) => result.then(a, b),
  };
}

/** A client that records statements; `close()` acts as the connection closing. */
function fakeClient(fail: (sql: string) => unknown = () => undefined) {
  const log: string[] = [];
  let onclose = () => {};
  const client: LaneClient = {
    unsafe(sql) {
      log.push(sql);
      const error = fail(sql);
      return query(error ? Promise.reject(error) : Promise.resolve([]));
    },
    end: () => Promise.resolve(),
  };
  const lanes = new TransactionLanes(1, (cb) => {
    onclose = cb;
    return client;
  });
  return { log, lanes, close: () => onclose() };
}

Deno.test("TransactionLanes.begin() runs BEGIN, the statements and COMMIT on its lane", async () => {
  const { log, lanes } = fakeClient();
  const result = await lanes.begin(async (tx) => {
    await tx.unsafe("insert 1");
    await tx.unsafe("insert 2");
    return "done";
  });
  assert.equal(result, "done");
  assert.deepEqual(log, ["begin", "insert 1", "insert 2", "commit"]);
});

Deno.test("TransactionLanes.begin() rolls back when the body fails on a live connection", async () => {
  const { log, lanes } = fakeClient((sql) => sql === "insert 2" ? new Error("unique") : undefined);
  await assert.rejects(
    lanes.begin(async (tx) => {
      await tx.unsafe("insert 1");
      await tx.unsafe("insert 2");
    }),
    /unique/,
  );
  assert.deepEqual(log, ["begin", "insert 1", "insert 2", "rollback"]);
});

Deno.test("TransactionLanes.begin() sends nothing more once its connection closed", async () => {
  const { log, lanes, close } = fakeClient();
  await assert.rejects(
    lanes.begin(async (tx) => {
      await tx.unsafe("insert 1");
      close(); // the backend is gone; the pool would reconnect for the next statement
      await tx.unsafe("insert 2");
    }),
    TransactionConnectionLostError,
  );
  // Neither the rest of the transaction nor ROLLBACK nor COMMIT reached a new connection.
  assert.deepEqual(log, ["begin", "insert 1"]);
  // The lane is free again, for the next transaction on the next connection.
  assert.equal(await lanes.begin(() => 1), 1);
  assert.deepEqual(log.slice(2), ["begin", "commit"]);
});

Deno.test("TransactionLanes.begin() does not commit when the connection closed after the body", async () => {
  const { log, lanes, close } = fakeClient();
  await assert.rejects(
    lanes.begin(async (tx) => {
      await tx.unsafe("insert 1");
      close();
    }),
    TransactionConnectionLostError,
  );
  assert.deepEqual(log, ["begin", "insert 1"]);
});

Deno.test("retryUnsent() runs again only statements that failed unsent with an ended session", async () => {
  const ended = Object.assign(new Error("terminating connection"), { code: "57P01" });
  const cases: { name: string; outcomes: [unknown, boolean][]; runs: number; ok: boolean }[] = [
    { name: "unsent, then fine", outcomes: [[ended, false], [undefined, true]], runs: 2, ok: true },
    { name: "sent and ended", outcomes: [[ended, true], [undefined, true]], runs: 1, ok: false },
    { name: "other error", outcomes: [[new Error("x"), false]], runs: 1, ok: false },
    {
      name: "attempts used up",
      outcomes: [[ended, false], [ended, false], [ended, false], [undefined, true]],
      runs: 3,
      ok: false,
    },
  ];
  for (const c of cases) {
    let runs = 0;
    const run = retryUnsent(() => {
      const [error, sent] = c.outcomes[runs++];
      return query(error ? Promise.reject(error) : Promise.resolve("rows"), sent);
    }, 3);
    if (c.ok) assert.equal(await run, "rows", c.name);
    else await assert.rejects(run, c.name);
    assert.equal(runs, c.runs, c.name);
  }
});

import assert from "node:assert/strict";
import { fairShare } from "../../../adapters/postgres/_fair_share.ts";

Deno.test("fairShare() lets a run go on within its budget, then waits for the event loop", async () => {
  let clock = 0;
  const gate = fairShare(8, () => clock);
  assert.equal(gate(), undefined); // opens a run
  clock = 7;
  assert.equal(gate(), undefined);
  clock = 8;
  const wait = gate();
  assert.ok(wait instanceof Promise);
  // Others' work while the run waits goes straight on.
  assert.equal(gate(), undefined);
  let resumed = false;
  const done = wait.then(() => resumed = true);
  await Promise.resolve();
  assert.equal(resumed, false, "resumed before the event loop had a turn");
  await done;
  // The timer closed the run: the next call opens a new one.
  clock = 100;
  assert.equal(gate(), undefined);
  assert.equal(gate(), undefined);
  await new Promise((r) => setTimeout(r, 0));
});

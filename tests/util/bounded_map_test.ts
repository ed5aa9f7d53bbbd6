import assert from "node:assert/strict";
import { setBounded } from "../../src/util/bounded_map.ts";

Deno.test("setBounded() evicts the oldest entries and keeps the newest", () => {
  const m = new Map<string, number>();
  for (let i = 0; i < 10; i++) setBounded(m, `k${i}`, i, 3);
  assert.deepEqual([...m.entries()], [["k7", 7], ["k8", 8], ["k9", 9]]);
  setBounded(m, "k8", 80, 3); // re-setting a key makes it the newest
  assert.deepEqual([...m.keys()], ["k7", "k9", "k8"]);
});

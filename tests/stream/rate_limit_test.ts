import assert from "node:assert/strict";
import { take } from "../../src/stream/rate_limit.ts";

Deno.test("take() lets a burst through, then asks to wait in proportion to the excess", () => {
  const rate = 1000, burst = 4000;
  const cases: [string, { tokens: number; at: number }, number, number, number, number][] = [
    ["within the burst", { tokens: 4000, at: 0 }, 3000, 0, 1000, 0],
    ["over the burst", { tokens: 4000, at: 0 }, 5000, 0, -1000, 1000],
    ["refilled over time", { tokens: 0, at: 0 }, 1500, 2000, 500, 0],
    ["refill capped at the burst", { tokens: 0, at: 0 }, 4500, 60_000, -500, 500],
    ["clock going back refills nothing", { tokens: 100, at: 5000 }, 200, 1000, -100, 100],
  ];
  for (const [name, bucket, bytes, now, tokens, delay] of cases) {
    const r = take(bucket, bytes, now, rate, burst);
    assert.deepEqual(r, { bucket: { tokens, at: now }, delayMs: delay }, name);
  }
});

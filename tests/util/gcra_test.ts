import { deepEqual } from "node:assert/strict";
import { type GcraRate, gcraRelease, gcraReserve } from "../../src/util/gcra.ts";

const ONE_PER_SECOND: GcraRate = { burst: 3, perMinute: 60 };

Deno.test("gcraReserve() lets the burst through, then spaces events by the rate", () => {
  // [arrival time, expected delay] for events reserved one after the other.
  const cases: [string, GcraRate, [number, number][]][] = [
    ["a burst of 3 at t=0 queues the rest one second apart", ONE_PER_SECOND, [
      [0, 0],
      [0, 0],
      [0, 0],
      [0, 1000],
      [0, 2000],
      [0, 3000],
    ]],
    ["events spaced at the rate never wait", ONE_PER_SECOND, [
      [0, 0],
      [1000, 0],
      [2000, 0],
      [3000, 0],
      [4000, 0],
    ]],
    ["an idle period refills the burst", ONE_PER_SECOND, [
      [0, 0],
      [0, 0],
      [0, 0],
      [0, 1000],
      [10_000, 0],
      [10_000, 0],
      [10_000, 0],
      [10_000, 1000],
    ]],
    ["a burst of 1 at 10 per second", { burst: 1, perMinute: 600 }, [
      [0, 0],
      [0, 100],
      [50, 150],
      [1000, 0],
    ]],
  ];
  for (const [what, rate, events] of cases) {
    let tat: number | undefined;
    const delays = events.map(([now]) => {
      const slot = gcraReserve(tat, rate, now);
      tat = slot.tat;
      return slot.delayMs;
    });
    deepEqual(delays, events.map(([, delay]) => delay), what);
  }
});

Deno.test("gcraRelease() gives one slot back and forgets a fresh state", () => {
  const cases: [number, number, number | undefined][] = [
    // [tat, now, expected]
    [5000, 0, 4000],
    [1000, 0, undefined],
    [5000, 4500, undefined],
    [5000, 3000, 4000],
  ];
  for (const [tat, now, expected] of cases) {
    deepEqual(gcraRelease(tat, ONE_PER_SECOND, now), expected, `${tat} at ${now}`);
  }
  // Reserving then releasing leaves the next event where it would have been.
  const first = gcraReserve(undefined, { burst: 1, perMinute: 60 }, 0);
  const released = gcraRelease(first.tat, { burst: 1, perMinute: 60 }, 0);
  deepEqual(gcraReserve(released, { burst: 1, perMinute: 60 }, 0).delayMs, 0);
});

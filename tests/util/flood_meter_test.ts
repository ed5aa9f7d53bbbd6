import { deepEqual } from "node:assert/strict";
import { FloodMeter } from "../../src/util/flood_meter.ts";

Deno.test("FloodMeter.note() logs a flood once per key and window", () => {
  const meter = new FloodMeter({ threshold: 3, windowMs: 1000 });
  const cases: [string, number, string][] = [
    ["a", 0, "info"],
    ["a", 10, "info"],
    ["b", 20, "info"],
    ["a", 30, "info"],
    ["a", 40, "warn"],
    ["a", 50, "debug"],
    ["a", 999, "debug"],
    ["b", 999, "info"],
    ["a", 1000, "info"], // a new window for "a"
    ["b", 1020, "info"], // and for "b"
  ];
  deepEqual(
    cases.map(([key, now]) => meter.note(key, now)),
    cases.map(([, , level]) => level),
  );
  deepEqual([meter.count("a", 1000), meter.count("b", 1500), meter.count("b", 2020)], [1, 1, 0]);
});

Deno.test("FloodMeter forgets the oldest keys beyond maxKeys", () => {
  const meter = new FloodMeter({ threshold: 1, maxKeys: 2 });
  meter.note("a", 0);
  meter.note("b", 1);
  meter.note("c", 2);
  deepEqual([meter.count("a", 3), meter.count("b", 3), meter.count("c", 3)], [0, 1, 1]);
});

import { deepEqual } from "node:assert/strict";
import { ConnectionLimiter } from "../../src/server/connection_limit.ts";

Deno.test("ConnectionLimiter caps open connections per address", () => {
  const limiter = new ConnectionLimiter(2);
  // [operation, address, expected result of acquire (or the count after release)]
  const steps: ["acquire" | "release", string | undefined, boolean | number][] = [
    ["acquire", "192.0.2.1", true],
    ["acquire", "192.0.2.1", true],
    ["acquire", "192.0.2.1", false],
    ["acquire", "192.0.2.2", true],
    ["acquire", undefined, true], // an unknown address is not limited
    ["acquire", undefined, true],
    ["release", "192.0.2.1", 1],
    ["acquire", "192.0.2.1", true],
    ["acquire", "192.0.2.1", false],
    ["release", "192.0.2.1", 1],
    ["release", "192.0.2.1", 0],
    ["release", "192.0.2.2", 0],
  ];
  deepEqual(
    steps.map(([op, address]) => {
      if (op === "acquire") return limiter.acquire(address);
      limiter.release(address);
      return limiter.count(address!);
    }),
    steps.map(([, , expected]) => expected),
  );
});

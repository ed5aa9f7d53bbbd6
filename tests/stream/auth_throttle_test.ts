import { deepEqual, throws } from "node:assert/strict";
import { type AuthThrottleOptions, createAuthThrottle } from "../../src/stream/auth_throttle.ts";

/** An attempt: [time in ms, address, account, outcome reported after the check]. */
type Attempt = [number, string | undefined, string, "ok" | "fail"];

const BASE: AuthThrottleOptions = {
  burst: 2,
  perAddressPerMinute: 60, // one per second
  perAccountPerMinute: 30, // one per two seconds
  maxDelayMs: 4000,
};

/** Runs the attempts in order; each gives its wait in ms, or "refused". */
async function run(
  attempts: readonly Attempt[],
  options: Partial<AuthThrottleOptions> = {},
): Promise<(number | "refused")[]> {
  let now = 0;
  const slept: number[] = [];
  const throttle = createAuthThrottle({
    ...BASE,
    ...options,
    now: () => now,
    sleep: (ms) => {
      slept.push(ms);
      return Promise.resolve();
    },
  });
  const results: (number | "refused")[] = [];
  for (const [t, address, account, outcome] of attempts) {
    now = t;
    const ticket = await throttle.admit(address, account);
    if (!ticket) {
      results.push("refused");
      continue;
    }
    results.push(ticket.delayMs);
    ticket.settle(outcome === "ok");
  }
  deepEqual(slept, results.filter((r) => typeof r === "number" && r > 0), "sleeps");
  return results;
}

const fails = (n: number, t: number, address: string, account: (i: number) => string) =>
  Array.from({ length: n }, (_, i): Attempt => [t, address, account(i), "fail"]);

Deno.test("createAuthThrottle() delays and then refuses guessing", async () => {
  const cases: [
    string,
    readonly Attempt[],
    (number | "refused")[],
    Partial<AuthThrottleOptions>?,
  ][] = [
    [
      "one address guessing many accounts: the address's bucket (1/s after 2)",
      fails(7, 0, "192.0.2.1", (i) => `user${i}@localhost`),
      [0, 0, 1000, 2000, 3000, 4000, "refused"],
    ],
    [
      "many addresses guessing one account: the account's bucket (1/2 s after 2)",
      fails(5, 0, "", () => "alice@localhost").map(([t, , a, o], i): Attempt => [
        t,
        `198.51.100.${i}`,
        a,
        o,
      ]),
      [0, 0, 2000, 4000, "refused"],
    ],
    [
      "one address, one account: the longer of the two waits",
      fails(4, 0, "192.0.2.1", () => "alice@localhost"),
      [0, 0, 2000, 4000],
    ],
    [
      "waiting pays the debt back: spaced guesses never wait",
      [0, 2000, 4000, 6000, 8000].map((t): Attempt => [t, "192.0.2.1", "a@localhost", "fail"]),
      [0, 0, 0, 0, 0],
    ],
    [
      "successes give their slots back",
      Array.from({ length: 6 }, (): Attempt => [0, "192.0.2.1", "alice@localhost", "ok"]),
      [0, 0, 0, 0, 0, 0],
    ],
    [
      "a refused attempt reserves nothing",
      [
        ...fails(5, 0, "192.0.2.1", (i) => `u${i}@localhost`),
        [0, "192.0.2.1", "x@localhost", "fail"],
        [1000, "192.0.2.1", "y@localhost", "fail"],
      ],
      [0, 0, 1000, 2000, 3000, "refused", 3000],
      { maxDelayMs: 3000 },
    ],
    [
      "an unknown address has no per-address limit",
      fails(4, 0, "", (i) => `user${i}@localhost`).map(([t, , a, o]): Attempt => [
        t,
        undefined,
        a,
        o,
      ]),
      [0, 0, 0, 0],
    ],
    [
      "rates of 0 turn the limits off",
      fails(5, 0, "192.0.2.1", () => "alice@localhost"),
      [0, 0, 0, 0, 0],
      { perAddressPerMinute: 0, perAccountPerMinute: 0 },
    ],
  ];
  for (const [what, attempts, expected, options] of cases) {
    deepEqual(await run(attempts, options), expected, what);
  }
});

Deno.test("createAuthThrottle() lets the owner in from an address they used while guessing goes on", async () => {
  const owner = "203.0.113.5";
  const results = await run([
    [0, owner, "alice@localhost", "ok"], // the owner's usual address
    // Attackers from two addresses use up the account's bucket.
    ...fails(3, 1000, "192.0.2.1", () => "alice@localhost"),
    ...fails(1, 1000, "192.0.2.2", () => "alice@localhost"),
    [1000, owner, "alice@localhost", "ok"], // not held by the account's bucket
    [1000, "198.51.100.9", "alice@localhost", "ok"], // a new address is: it queues
    [1000, owner, "alice@localhost", "fail"], // a typo, still from the owner's address
    [1000, owner, "alice@localhost", "ok"],
  ]);
  deepEqual(results, [0, 0, 0, 2000, 4000, 0, "refused", 0, 0]);
});

Deno.test("createAuthThrottle() rejects an invalid burst, rate or delay", () => {
  for (const bad of [{ burst: 0 }, { perAddressPerMinute: -1 }, { maxDelayMs: -5 }]) {
    throws(() => createAuthThrottle({ ...BASE, ...bad }), RangeError, JSON.stringify(bad));
  }
});

Deno.test("AuthThrottle.noteFailure() warns once per minute for a flood from one address", () => {
  let now = 0;
  const throttle = createAuthThrottle({ ...BASE, floodThreshold: 2, now: () => now });
  const levels = [0, 1, 2, 3, 4].map(() => throttle.noteFailure("192.0.2.1"));
  now = 60_000;
  levels.push(throttle.noteFailure("192.0.2.1"), throttle.noteFailure(undefined));
  deepEqual(levels, ["info", "info", "warn", "debug", "debug", "info", "info"]);
});

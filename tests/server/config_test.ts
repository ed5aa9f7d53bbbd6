import assert from "node:assert/strict";
import { DEFAULT_LIMITS, resolveConfig, type ServerConfig } from "../../src/server/config.ts";

Deno.test("resolveConfig() fills in defaults", () => {
  const r = resolveConfig({});
  assert.deepEqual(r.domains, ["localhost"]);
  assert.deepEqual(r.limits, DEFAULT_LIMITS);
  assert.equal(r.requireTls, true);
  assert.equal(r.limits.maxStanzaBytes, 262_144);
});

Deno.test("resolveConfig() throws TypeError on a wrong type and RangeError out of range", () => {
  assert.throws(() => resolveConfig({ domain: 5 } as unknown as ServerConfig), TypeError);
  assert.throws(() => resolveConfig({ requireTls: "yes" } as unknown as ServerConfig), TypeError);
  assert.throws(() => resolveConfig({ limits: { maxStanzaBytes: 100 } }), RangeError);
  assert.throws(() => resolveConfig({ limits: { bogus: 1 } as never }), TypeError);
  assert.throws(() => resolveConfig({ scramIterations: 10 }), RangeError);
  assert.throws(() => resolveConfig({ limits: { readBytesPerSecond: -1 } }), RangeError);
  assert.equal(resolveConfig({ limits: { readBytesPerSecond: 0 } }).limits.readBytesPerSecond, 0);
});

Deno.test("resolveConfig() checks the authentication and connection limits", () => {
  const r = resolveConfig({});
  assert.deepEqual(
    [
      r.limits.maxAuthFailures,
      r.limits.maxAuthErrors,
      r.limits.authFailureBurst,
      r.limits.authFailuresPerMinutePerAddress,
      r.limits.authFailuresPerMinutePerAccount,
      r.limits.maxAuthDelayMs,
      r.limits.maxConnectionsPerAddress,
    ],
    [3, 10, 10, 60, 60, 10_000, 100],
  );
  for (
    const bad of [
      { maxAuthErrors: 0 },
      { authFailureBurst: 0 },
      { authFailuresPerMinutePerAddress: -1 },
      { maxAuthDelayMs: 600_001 },
      { maxConnectionsPerAddress: 0 },
    ]
  ) {
    assert.throws(() => resolveConfig({ limits: bad }), RangeError, JSON.stringify(bad));
  }
  const off = resolveConfig({
    limits: { authFailuresPerMinutePerAddress: 0, authFailuresPerMinutePerAccount: 0 },
  });
  assert.equal(off.limits.authFailuresPerMinutePerAddress, 0);
});

Deno.test("resolveConfig() prepares admins and refuses what is not a bare JID", () => {
  assert.deepEqual(resolveConfig({}).admins, []);
  assert.deepEqual(resolveConfig({ admins: ["Admin@LocalHost"] }).admins, ["admin@localhost"]);
  assert.throws(() => resolveConfig({ admins: ["a@b/c"] }), TypeError);
  assert.throws(() => resolveConfig({ admins: ["localhost"] }), TypeError);
  assert.throws(() => resolveConfig({ admins: "a@b" as never }), TypeError);
});

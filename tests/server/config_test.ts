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

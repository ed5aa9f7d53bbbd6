// The registration and size-limit settings added for XEP-0077, XEP-0054 and XEP-0163.
import assert from "node:assert/strict";
import { resolveConfig } from "../../src/server/config.ts";
import { parseCli } from "../../adapters/cli/args.ts";

Deno.test("resolveConfig() turns registration off by default and checks its settings", () => {
  assert.deepEqual(resolveConfig({}).registration, {
    enabled: false,
    perIpIntervalMs: 60_000,
    invites: false,
  });
  assert.deepEqual(
    resolveConfig({ registration: { enabled: true, perIpIntervalMs: 0 } }).registration,
    { enabled: true, perIpIntervalMs: 0, invites: false },
  );
  assert.deepEqual(
    resolveConfig({ registration: { invites: true, inviteUrl: "https://x.example/invite" } })
      .registration,
    {
      enabled: false,
      perIpIntervalMs: 60_000,
      invites: true,
      inviteUrl: "https://x.example/invite",
    },
  );
  assert.throws(() => resolveConfig({ registration: { invites: 1 as never } }), TypeError);
  assert.throws(() => resolveConfig({ registration: { enabled: "yes" as never } }), TypeError);
  assert.throws(() => resolveConfig({ registration: { perIpIntervalMs: -1 } }), RangeError);
});

Deno.test("resolveConfig() has vCard and PEP item limits of 64 KiB by default", () => {
  const { limits } = resolveConfig({});
  assert.equal(limits.maxVcardBytes, 65_536);
  assert.equal(limits.maxPepItemBytes, 65_536);
  assert.throws(() => resolveConfig({ limits: { maxPepItemBytes: 10 } }), RangeError);
});

Deno.test("parseCli() enables registration with --allow-registration only", () => {
  assert.deepEqual(parseCli(["--allow-registration"]).config.registration, { enabled: true });
  assert.equal(parseCli([]).config.registration, undefined);
});

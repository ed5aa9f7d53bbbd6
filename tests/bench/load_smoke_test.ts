// Smoke test of the load generator (bench/load/) against an in-process server: it completes,
// logs in and delivers, with no protocol errors. Nothing here depends on speed.
import assert from "node:assert/strict";
import { type RosterSeed, startBenchServer } from "../../bench/parley_server.ts";
import { runScenario } from "../../bench/load/main.ts";
import { type LoadOptions, ringContacts } from "../../bench/load/scenarios.ts";

async function withServer(
  fn: (port: number) => Promise<void>,
  seed?: RosterSeed,
): Promise<void> {
  const { server, port } = await startBenchServer(0, seed?.users ?? 4, seed);
  try {
    await fn(port);
  } finally {
    await server.close();
  }
}

function options(port: number, mechanism: "SCRAM-SHA-1" | "PLAIN"): LoadOptions {
  return {
    target: { port, domain: "localhost", mechanism },
    users: 4,
    durationMs: 1000,
    concurrency: 4,
    pairs: 2,
    window: 4,
    connections: 4,
    closeWaitMs: 0,
  };
}

Deno.test("loginScenario() logs in repeatedly with SCRAM-SHA-1 and PLAIN, without errors", async () => {
  await withServer(async (port) => {
    for (const mechanism of ["SCRAM-SHA-1", "PLAIN"] as const) {
      const result = await runScenario("login", options(port, mechanism));
      assert.equal(result.scenario, "login");
      assert.deepEqual(result.errorSamples, []);
      assert.equal(result.errors, 0);
      assert.ok(result.count > 0, `${mechanism}: no login completed`);
    }
  });
});

Deno.test("messagesScenario() delivers every message between pairs, without errors", async () => {
  await withServer(async (port) => {
    const result = await runScenario("messages", options(port, "SCRAM-SHA-1"));
    assert.equal(result.scenario, "messages");
    assert.deepEqual(result.errorSamples, []);
    assert.equal(result.errors, 0);
    assert.ok(result.count > 0, "no message delivered");
  });
});

Deno.test("idleScenario() holds logged-in connections and closes them", async () => {
  await withServer(async (port) => {
    const result = await runScenario("idle", { ...options(port, "PLAIN"), durationMs: 100 });
    assert.deepEqual(
      { scenario: result.scenario, connections: result.connections, errors: result.errors },
      { scenario: "idle", connections: 4, errors: 0 },
    );
  });
});

Deno.test("ringContacts() gives every user K distinct mutual contacts", () => {
  for (let u = 1; u <= 7; u++) {
    const cs = ringContacts(u, 7, 4);
    assert.equal(new Set(cs).size, 4);
    assert.ok(!cs.includes(u));
    for (const c of cs) assert.ok(ringContacts(c, 7, 4).includes(u), `${u} ~ ${c}`);
  }
  assert.throws(() => ringContacts(1, 4, 3), RangeError);
  assert.throws(() => ringContacts(1, 4, 4), RangeError);
});

for (const mechanism of ["SCRAM-SHA-1", "PLAIN"] as const) {
  Deno.test(`fanoutScenario() delivers every contact's presence to every client (${mechanism})`, async () => {
    const seed = { users: 6, contacts: 4 };
    await withServer(async (port) => {
      const result = await runScenario("fanout", {
        ...options(port, mechanism),
        users: 6,
        contacts: 4,
        durationMs: 20_000,
      });
      assert.deepEqual(result.errorSamples, []);
      assert.deepEqual(
        {
          scenario: result.scenario,
          errors: result.errors,
          expected: result.expected,
          count: result.count,
          missing: result.missing,
          completeClients: result.completeClients,
        },
        { scenario: "fanout", errors: 0, expected: 24, count: 24, missing: 0, completeClients: 6 },
      );
    }, seed);
  });
}

Deno.test("loginScenario() logs in over STARTTLS and direct TLS, without errors", async () => {
  const { server, port, tlsPort, certPem } = await startBenchServer(0, 4, undefined, undefined, {
    tlsPort: 0,
  });
  try {
    for (const [tls, p] of [["starttls", port], ["direct", tlsPort!]] as const) {
      const o = options(p, "SCRAM-SHA-1");
      const result = await runScenario("login", {
        ...o,
        target: { ...o.target, tls, caCerts: [certPem] },
        resourcePrefix: "tls",
      });
      assert.deepEqual(result.errorSamples, [], tls);
      assert.ok(result.count > 0, `${tls}: no login completed`);
    }
  } finally {
    await server.close();
  }
});

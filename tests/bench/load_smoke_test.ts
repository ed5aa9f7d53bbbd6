// Smoke test of the load generator (bench/load/) against an in-process server: it completes,
// logs in and delivers, with no protocol errors. Nothing here depends on speed.
import assert from "node:assert/strict";
import { startBenchServer } from "../../bench/parley_server.ts";
import { runScenario } from "../../bench/load/main.ts";
import type { LoadOptions } from "../../bench/load/scenarios.ts";

async function withServer(fn: (port: number) => Promise<void>): Promise<void> {
  const { server, port } = await startBenchServer(0, 4);
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

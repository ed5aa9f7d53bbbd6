// The CLI's last resort: what nothing handled is logged and the process goes on.
import assert from "node:assert/strict";
import { setImmediate } from "node:timers";
import { keepServing } from "../../../adapters/cli/last_resort.ts";
import type { LogFields, Logger } from "../../../src/base/logger.ts";
import { waitFor } from "../../scenarios/_harness.ts";

Deno.test("keepServing() logs an unhandled rejection and an uncaught exception, and goes on", async () => {
  const logged: [string, LogFields | undefined][] = [];
  const logger: Logger = {
    debug() {},
    info() {},
    warn() {},
    error: (message, fields) => void logged.push([message, fields]),
  };
  const stop = keepServing(logger);
  try {
    // A rejection nobody awaits, and a throw from a setImmediate callback (where postgres.js
    // writes to its socket).
    void Promise.reject(new Error("Cannot do it"));
    setImmediate(() => {
      throw new TypeError("Cannot read properties of null (reading 'write')");
    });
    await waitFor(() => logged.length === 2, "both to be logged");
  } finally {
    stop();
  }
  const byMessage = new Map(logged);
  assert.equal(byMessage.get("Unhandled rejection, serving on")?.error, "Error: Cannot do it");
  assert.equal(
    byMessage.get("Uncaught exception, serving on")?.error,
    "TypeError: Cannot read properties of null (reading 'write')",
  );
});

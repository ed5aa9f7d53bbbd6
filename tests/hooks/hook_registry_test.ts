import assert from "node:assert/strict";
import { HANDLED, HookRegistry } from "../../src/hooks/hook_registry.ts";

Deno.test("HookRegistry.run() calls handlers by priority and stops at HANDLED", async () => {
  const hooks = new HookRegistry<{ e: string[] }>();
  hooks.add("e", (log) => void log.push("low"), { priority: -1 });
  hooks.add("e", (log) => void log.push("high"), { priority: 10 });
  const remove = hooks.add("e", (log) => {
    log.push("stop");
    return HANDLED;
  });
  const log: string[] = [];
  assert.equal(await hooks.run("e", log), true);
  assert.deepEqual(log, ["high", "stop"]);
  remove();
  const log2: string[] = [];
  assert.equal(await hooks.run("e", log2), false);
  assert.deepEqual(log2, ["high", "low"]);
});

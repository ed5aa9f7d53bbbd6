import assert from "node:assert/strict";
import { parseCli } from "../../../adapters/cli/args.ts";

Deno.test("parseCli() takes --admin more than once", () => {
  const o = parseCli(["--admin", "a@localhost", "--admin", "b@localhost"]);
  assert.deepEqual(o.config.admins, ["a@localhost", "b@localhost"]);
  assert.deepEqual(parseCli([]).config.admins, []);
});

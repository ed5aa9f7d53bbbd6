import assert from "node:assert/strict";
import { classify } from "../../src/router/classify.ts";
import { parseJid } from "../../src/jid/jid.ts";

Deno.test("classify() tells server, bare, full and remote destinations apart", () => {
  const hosted = new Set(["localhost"]);
  const kinds = [
    "localhost",
    "localhost/x",
    "alice@localhost",
    "alice@localhost/r",
    "a@other",
    "other",
  ]
    .map((j) => classify(parseJid(j), hosted).kind);
  assert.deepEqual(kinds, ["server", "server", "bare", "full", "remote", "remote"]);
});

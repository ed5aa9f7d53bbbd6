// #15 item 6: `deno task user invite` stores a one-time token and prints its xmpp: URI and
// landing page; bad --days are refused.
import assert from "node:assert/strict";
import { pgliteStorage } from "../../../adapters/postgres/pglite.ts";
import { InviteTokens } from "../../../src/storage/invite_tokens.ts";
import { denoRun } from "../_server_process.ts";

const ROOT = new URL("../../../", import.meta.url).pathname;
const USER = `${ROOT}adapters/cli/user_command.ts`;
const decoder = new TextDecoder();

Deno.test({
  name: "deno task user invite prints an xmpp: URI and a landing URL of a stored token",
  sanitizeResources: false,
  async fn() {
    const data = await Deno.makeTempDir({ prefix: "parley-invite-" });
    try {
      const out = await denoRun(USER, [
        "invite",
        "--days",
        "2",
        "--domain",
        "chat.example",
        "--storage",
        "pglite",
        "--data",
        data,
      ], { stdout: "piped", stderr: "piped", env: { NO_COLOR: "1" } }).output();
      const text = decoder.decode(out.stdout);
      assert.equal(out.code, 0, decoder.decode(out.stderr));
      const [uri, url, valid] = text.trim().split("\n");
      const m = /^xmpp:chat\.example\?register;preauth=([A-Za-z0-9_-]{24})$/.exec(uri);
      assert.ok(m, text);
      assert.equal(url, `http://chat.example:5280/invite/${m[1]}`);
      const until = Date.parse(/^Valid until (\S+),/.exec(valid)![1]);
      assert.ok(Math.abs(until - (Date.now() + 2 * 86_400_000)) < 120_000, valid);
      const storage = await pgliteStorage({ dataDir: `${data}/pglite` });
      try {
        assert.equal(await new InviteTokens(storage).valid(m[1]), true);
      } finally {
        await storage.close();
      }
      const bad = await denoRun(USER, ["invite", "--days", "0", "--storage", "memory"], {
        stdout: "piped",
        stderr: "piped",
      }).output();
      assert.equal(bad.code, 1);
      assert.match(decoder.decode(bad.stderr), /Cannot use --days 0/);
    } finally {
      await Deno.remove(data, { recursive: true });
    }
  },
});

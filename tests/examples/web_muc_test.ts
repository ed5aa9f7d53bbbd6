// The group chat browser test runs in a child `deno test -A`: playwright-core needs more
// permissions (it reads /proc, spawns Chromium) than the test suite grants.
import assert from "node:assert/strict";

const BROWSER_TEST = new URL("./_web_muc_browser.ts", import.meta.url).pathname;

Deno.test({
  name:
    "web example in Chromium (child process): Converse.js creates a room, chats, gets its history back",
  async fn() {
    const child = new Deno.Command(Deno.execPath(), {
      args: ["test", "-A", "--no-check", BROWSER_TEST],
      env: { NODE_TLS_REJECT_UNAUTHORIZED: "0", NO_COLOR: "1" },
      stdout: "piped",
      stderr: "piped",
      signal: AbortSignal.timeout(90_000),
    }).spawn();
    const out = await child.output();
    const text = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
    assert.equal(out.code, 0, text);
    assert.match(text, /(1 passed|1 ignored)/, text);
  },
});

// The browser test runs in a child `deno test -A`: playwright-core needs more permissions
// (it reads /proc, spawns Chromium) than the test suite grants.
import assert from "node:assert/strict";

const BROWSER_TEST = new URL("./_app_auth_browser.ts", import.meta.url).pathname;

Deno.test({
  name:
    "app_auth example in Chromium (child process): app login, then XMPP chat with no second password",
  async fn() {
    const child = new Deno.Command(Deno.execPath(), {
      args: ["test", "-A", "--no-check", BROWSER_TEST],
      env: { NO_COLOR: "1" },
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

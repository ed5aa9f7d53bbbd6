// Run by app_auth_browser_test.ts in a child process with -A (playwright-core reads /proc).
// Headless Chromium logs in to the example app's form; its chat page opens XMPP over
// WebSocket with the app's session cookie only, and chats with another app user in a second
// browser context.
import assert from "node:assert/strict";
import { chromium, type Page } from "playwright-core";
import { createServer } from "../../mod.ts";
import { AppUsers, createAuthApp } from "../../examples/app_auth/app.ts";

const CHROMIUM = "/usr/bin/chromium";
const ARTIFACTS = new URL("../artifacts/", import.meta.url);
const hasChromium = (() => {
  try {
    return Deno.statSync(CHROMIUM).isFile;
  } catch {
    return false;
  }
})();

async function logIn(page: Page, base: string, user: string): Promise<void> {
  await page.goto(`${base}/`);
  await page.locator("input[name=username]").fill(user);
  await page.locator("input[name=password]").fill(`${user}-pw`);
  await page.locator("form button").click();
  await page.waitForURL(`${base}/chat`);
  await page.locator("#status").getByText(`online as ${user}@localhost/`).waitFor();
}

Deno.test({
  name: "app_auth example in Chromium: log in to the app, chat over XMPP with no second password",
  ignore: !hasChromium,
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    await Deno.mkdir(ARTIFACTS, { recursive: true });
    const users = new AppUsers("localhost", { dave: "dave-pw", erin: "erin-pw" });
    const server = await createServer({ domain: "localhost", auth: users.provider() });
    const http = Deno.serve(
      { hostname: "127.0.0.1", port: 0, onListen: () => {} },
      createAuthApp(server, users).fetch,
    );
    const base = `http://127.0.0.1:${http.addr.port}`;
    const browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run"],
      timeout: 20_000,
    });
    const dave = await (await browser.newContext()).newPage();
    const erin = await (await browser.newContext()).newPage();
    try {
      dave.setDefaultTimeout(20_000);
      erin.setDefaultTimeout(20_000);
      await logIn(dave, base, "dave");
      await logIn(erin, base, "erin");
      await dave.locator("#to").fill("erin@localhost");
      await dave.locator("#body").fill("Hello Erin, from the app");
      await dave.locator("#send button").click();
      await erin.locator("#log").getByText("dave@localhost: Hello Erin, from the app").waitFor();
      await erin.screenshot({ path: new URL("app-auth-erin.png", ARTIFACTS).pathname });
      // The XMPP session is the app user's: bound on the server under her JID.
      assert.ok((await server.router.sessions("erin@localhost" as never)).length > 0);
    } finally {
      await browser.close().catch(() => {});
      await server.close();
      await http.shutdown();
    }
  },
});

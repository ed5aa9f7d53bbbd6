// Run by web_muc_test.ts in a child process with -A (playwright-core reads /proc and more).
// Group chat end to end in headless Chromium (Debian's /usr/bin/chromium): Converse.js from
// the example app creates a room on conference.localhost over WebSocket, a bot on TCP
// (xmpp.js) joins it, they exchange groupchat messages, and after a reload the room's history
// comes back (issue #13 item 5). Screenshots go to tests/artifacts/.
import assert from "node:assert/strict";
import { xml } from "@xmpp/client";
import { chromium, type Page } from "playwright-core";
import type { Session } from "../../mod.ts";
import { createApp } from "../../examples/web/app.ts";
import { connect, type LtxElement, startServer, withTimeout } from "../scenarios/_harness.ts";

const CHROMIUM = "/usr/bin/chromium";
const ARTIFACTS = new URL("../artifacts/", import.meta.url);
const ROOM = "tea@conference.localhost";
const MUC = "http://jabber.org/protocol/muc";
const hasChromium = (() => {
  try {
    return Deno.statSync(CHROMIUM).isFile;
  } catch {
    return false;
  }
})();

Deno.test({
  name:
    "web example: Converse.js creates a room, chats with a TCP bot, and gets the history after a reload",
  ignore: !hasChromium,
  sanitizeOps: false,
  sanitizeResources: false,
  fn: groupChat,
});

async function logIn(page: Page, port: number, bound: () => Promise<string>): Promise<string> {
  await page.goto(`http://127.0.0.1:${port}/chat`);
  await page.locator("#converse-login-jid").fill("alice");
  await page.locator("#converse-login-password").fill("alice-pw");
  await page.locator("converse-login-form [type=submit]").click();
  const jid = await withTimeout(bound(), "Converse.js to bind", 15_000);
  await page.locator("#controlbox .controlbox-pane").first().waitFor();
  return jid;
}

async function openRoom(page: Page): Promise<void> {
  // Converse.js routes #converse/room?jid=… to the room, asking for a nickname unless it
  // knows one (the second time, from the bookmark it stored).
  await page.evaluate((room) => location.hash = `converse/room?jid=${room}`, ROOM);
  await page.locator("input[name=nick], textarea.chat-textarea").first().waitFor();
  const nick = page.locator("input[name=nick]").first();
  if (await nick.isVisible()) {
    await nick.fill("Alice");
    await nick.press("Enter");
  }
  await page.locator("textarea.chat-textarea").first().waitFor();
}

async function groupChat(): Promise<void> {
  await Deno.mkdir(ARTIFACTS, { recursive: true });
  let bound = Promise.withResolvers<string>();
  const t = await startServer({
    modules: [{
      name: "observer",
      setup(api) {
        api.hook("session/bound", ({ session }: { session: Session }) => {
          if (session.jid.startsWith("alice@")) bound.resolve(session.jid);
        });
      },
    }],
  });
  const http = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    createApp(t.server).fetch,
  );
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run"],
    timeout: 20_000,
  });
  const bot = await connect(t.port, "bob", "bob-pw", { resource: "bot" });
  const page = await browser.newPage();
  const shot = (name: string) =>
    page.screenshot({ path: new URL(`muc-${name}`, ARTIFACTS).pathname }).catch(() => {});
  const log: string[] = [];
  page.on("console", (m) => log.push(`${m.type()}: ${m.text()}`));
  page.on("pageerror", (e) => log.push(`pageerror: ${e.message}`));
  await page.route(/^https?:\/\/(?!127\.0\.0\.1[:/])/, (r) => r.abort());
  try {
    page.setDefaultTimeout(20_000);
    await logIn(page, http.addr.port, () => bound.promise);
    await openRoom(page);
    await shot("1-created.png");
    // Converse.js accepted the new room as an instant room: the bot can enter.
    await bot.xmpp.send(xml("presence"));
    await bot.xmpp.send(xml("presence", { to: `${ROOM}/Bot` }, xml("x", { xmlns: MUC })));
    await bot.next(
      (s: LtxElement) =>
        s.is("presence") && s.attrs.from === `${ROOM}/Bot` && s.attrs.type !== "error",
      "the bot in the room",
      15_000,
    );
    await bot.xmpp.send(
      xml("message", { to: ROOM, type: "groupchat" }, xml("body", {}, "Hello room")),
    );
    await page.getByText("Hello room").first().waitFor();
    const textarea = page.locator("textarea.chat-textarea").first();
    await textarea.fill("Hi from Converse");
    await textarea.press("Enter");
    const said = await bot.next(
      (s: LtxElement) => s.is("message") && s.getChildText("body") === "Hi from Converse",
      "Converse's groupchat message at the bot",
      15_000,
    );
    assert.equal(said.attrs.from, `${ROOM}/Alice`);
    assert.equal(said.attrs.type, "groupchat");
    await shot("2-chatted.png");
    // A reload in a fresh browser profile (nothing cached): a new session, the room again,
    // and its history from the server.
    await page.close();
    bound = Promise.withResolvers<string>();
    const again = await (await browser.newContext()).newPage();
    again.setDefaultTimeout(20_000);
    await again.route(/^https?:\/\/(?!127\.0\.0\.1[:/])/, (r) => r.abort());
    await logIn(again, http.addr.port, () => bound.promise);
    await openRoom(again);
    await again.getByText("Hello room").first().waitFor();
    await again.getByText("Hi from Converse").first().waitFor();
    await again.screenshot({ path: new URL("muc-3-history.png", ARTIFACTS).pathname });
  } catch (e) {
    await shot("failure.png");
    await Deno.writeTextFile(new URL("muc-web-console.log", ARTIFACTS), log.join("\n"));
    throw e;
  } finally {
    await browser.close().catch(() => {});
    await bot.stop();
    await t.close();
    await http.shutdown();
  }
}

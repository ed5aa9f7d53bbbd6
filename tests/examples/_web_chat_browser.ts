// Run by web_chat_test.ts in a child process with -A (playwright-core reads /proc and more).
// End to end in headless Chromium (Debian's /usr/bin/chromium, driven by playwright-core):
// Converse.js from the example app logs in over WebSocket, gets a message from a bot on TCP
// (xmpp.js) and sends a reply that the bot receives. Screenshots go to tests/artifacts/.
import assert from "node:assert/strict";
import { xml } from "@xmpp/client";
import { chromium } from "playwright-core";
import type { BareJid, RosterItem, Session } from "../../mod.ts";
import { createApp } from "../../examples/web/app.ts";
import { connect, type LtxElement, startServer, withTimeout } from "../scenarios/_harness.ts";

const CHROMIUM = "/usr/bin/chromium";
const ARTIFACTS = new URL("../artifacts/", import.meta.url);
const hasChromium = (() => {
  try {
    return Deno.statSync(CHROMIUM).isFile;
  } catch {
    return false;
  }
})();

for (const transport of ["websocket", "bosh"] as const) {
  Deno.test({
    name:
      `web example: Converse.js in Chromium over ${transport} shows the roster, receives from a TCP bot and replies`,
    ignore: !hasChromium,
    sanitizeOps: false,
    sanitizeResources: false,
    fn: () => chat(transport),
  });
}

/** The example serves Converse.js from node_modules; `deno install` puts it there. */
async function ensureConverse(): Promise<void> {
  const dist = new URL("../../node_modules/converse.js/dist/converse.min.js", import.meta.url);
  try {
    await Deno.stat(dist);
  } catch {
    const out = await new Deno.Command(Deno.execPath(), { args: ["install"], stdout: "null" })
      .output();
    assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
  }
}

async function chat(transport: "websocket" | "bosh"): Promise<void> {
  await ensureConverse();
  await Deno.mkdir(ARTIFACTS, { recursive: true });
  const bound = Promise.withResolvers<string>();
  const t = await startServer({
    modules: [{
      name: "observer",
      setup(api) {
        api.hook("session/bound", ({ session }: { session: Session }) => {
          if (session.jid.startsWith("alice@") && session.info.kind === transport) {
            bound.resolve(session.jid);
          }
        });
      },
    }],
  });
  // Alice's roster holds bob, in a group, so that Converse has a roster to show.
  const item = {
    name: "Bob",
    groups: ["Friends"],
    subscription: "both",
    ask: false,
    approved: false,
  };
  await t.server.storage.roster.setItem(
    "alice@localhost" as BareJid,
    { jid: "bob@localhost" as BareJid, ...item } as RosterItem,
  );
  const http = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    createApp(t.server).fetch,
  );
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
    timeout: 20_000,
  });
  const bot = await connect(t.port, "bob", "bob-pw", { resource: "bot" });
  // Available, so that Converse's messages to the bare JID bob@localhost reach the bot.
  await bot.xmpp.send(xml("presence"));
  const page = await browser.newPage();
  const shot = (name: string) =>
    page.screenshot({ path: new URL(`${transport}-${name}`, ARTIFACTS).pathname }).catch(
      () => {},
    );
  const log: string[] = [];
  page.on("console", (m) => log.push(`${m.type()}: ${m.text()}`));
  page.on("pageerror", (e) => log.push(`pageerror: ${e.message}`));
  page.on("requestfailed", (r) => log.push(`requestfailed: ${r.url()}`));
  page.on("response", (r) => {
    if (r.status() >= 400) log.push(`${r.status()}: ${r.url()}`);
  });
  // Nothing leaves the machine: the client is served by the app, never by a CDN.
  await page.route(/^https?:\/\/(?!127\.0\.0\.1[:/])/, (r) => r.abort());
  try {
    page.setDefaultTimeout(20_000); // a loaded CI machine starts Chromium and Converse.js slowly
    await page.goto(
      `http://127.0.0.1:${http.addr.port}/chat${transport === "bosh" ? "?bosh" : ""}`,
    );
    await page.locator("#converse-login-jid").fill("alice");
    await page.locator("#converse-login-password").fill("alice-pw");
    await shot("web-1-login.png");
    await page.locator("converse-login-form [type=submit]").click();
    const jid = await withTimeout(bound.promise, "Converse.js to bind", 15_000);
    await page.locator("converse-roster, #controlbox .controlbox-pane").first().waitFor();
    // The roster (RFC 6121 roster get): bob under his group.
    const roster = page.locator("converse-roster");
    await roster.getByText("Friends").first().waitFor();
    await roster.getByText("Bob").first().waitFor();
    await shot("web-2-logged-in.png");

    await bot.xmpp.send(
      xml(
        "message",
        { to: jid, type: "chat", id: "bot1" },
        xml("body", {}, "Hello from the bot"),
      ),
    );
    // Converse lists the unread conversation in the control box; open it.
    await page.locator("converse-roster").getByText("Bob").first().click();
    await page.getByText("Hello from the bot").first().waitFor();
    await shot("web-3-received.png");

    const textarea = page.locator("textarea.chat-textarea").first();
    await textarea.fill("Hi bot, this is Converse");
    await textarea.press("Enter");
    const reply = await bot.next(
      (s: LtxElement) => s.is("message") && s.getChildText("body") !== null,
      "the reply at the bot",
      15_000,
    );
    assert.equal(reply.getChildText("body"), "Hi bot, this is Converse");
    assert.equal(reply.attrs.from, jid);
    await shot("web-4-replied.png");
  } catch (e) {
    await shot("web-failure.png");
    await Deno.writeTextFile(new URL(`${transport}-web-console.log`, ARTIFACTS), log.join("\n"));
    throw e;
  } finally {
    await browser.close().catch(() => {});
    await bot.stop();
    await t.close();
    await http.shutdown();
  }
}

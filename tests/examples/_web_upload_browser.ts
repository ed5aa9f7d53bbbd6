// Run by web_upload_test.ts in a child process with -A (playwright-core reads /proc and more).
// XEP-0363 from a browser: Converse.js (the example app, headless Chromium) finds the upload
// service, uploads an image with XMLHttpRequest to the upload port (another origin, so CORS
// preflight and all), sends its URL to a bot on TCP, and shows an image the bot uploaded with
// fetch (the GET side). Screenshots go to tests/artifacts/.
import assert from "node:assert/strict";
import { xml } from "@xmpp/client";
import { Buffer } from "node:buffer";
import { chromium } from "playwright-core";
import type { BareJid, RosterItem } from "../../mod.ts";
import { fsFileStore } from "../../adapters/hono_websocket/fs_file_store.ts";
import { httpTransport } from "../../adapters/hono_websocket/transport.ts";
import { createApp } from "../../examples/web/app.ts";
import { connect, type LtxElement, startServer } from "../scenarios/_harness.ts";
import { iq } from "../scenarios/_iq.ts";

const CHROMIUM = "/usr/bin/chromium";
const ARTIFACTS = new URL("../artifacts/", import.meta.url);
const SECRET = "browser upload test secret";
// A 2×2 PNG (red, green, blue, white).
const PNG = Uint8Array.from(
  atob(
    "iVBORw0KGgoAAAANSUhEUgAAAAIAAAACCAIAAAD91JpzAAAAFklEQVR4nGP4z8DAwMDAxMDAwMDAAAANHQEDasKb6QAAAABJRU5ErkJggg==",
  ),
  (c) => c.charCodeAt(0),
);
const hasChromium = (() => {
  try {
    return Deno.statSync(CHROMIUM).isFile;
  } catch {
    return false;
  }
})();

Deno.test({
  name: "Converse.js uploads an image through XEP-0363 and shows one the bot uploaded",
  ignore: !hasChromium,
  sanitizeOps: false,
  sanitizeResources: false,
  fn: upload,
});

async function upload(): Promise<void> {
  await Deno.mkdir(ARTIFACTS, { recursive: true });
  const data = await Deno.makeTempDir({ prefix: "parley-web-upload-" });
  let uploadPort = 0;
  const t = await startServer({
    upload: { url: () => `http://127.0.0.1:${uploadPort}/upload`, secret: SECRET },
  });
  await t.server.listen(httpTransport(t.server, {
    hostname: "127.0.0.1",
    port: 0,
    upload: { secret: SECRET, store: fsFileStore(`${data}/uploads`) },
    onListen: (a) => uploadPort = a.port,
  }));
  const item = { name: "Bob", groups: ["Friends"], subscription: "both", ask: false };
  await t.server.storage.roster.setItem(
    "alice@localhost" as BareJid,
    { jid: "bob@localhost" as BareJid, approved: false, ...item } as RosterItem,
  );
  // The page on one port, the uploads on another: the browser's cross-origin rules apply.
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
  await bot.xmpp.send(xml("presence"));
  const page = await browser.newPage();
  const shot = (name: string) =>
    page.screenshot({ path: new URL(`upload-${name}`, ARTIFACTS).pathname }).catch(() => {});
  const log: string[] = [];
  page.on("console", (m) => log.push(`${m.type()}: ${m.text()}`));
  page.on("requestfailed", (r) => log.push(`requestfailed: ${r.method()} ${r.url()}`));
  page.on("response", (r) => {
    if (r.status() >= 400) log.push(`${r.status()}: ${r.request().method()} ${r.url()}`);
  });
  await page.route(/^https?:\/\/(?!127\.0\.0\.1[:/])/, (r) => r.abort());
  try {
    page.setDefaultTimeout(20_000);
    await page.goto(`http://127.0.0.1:${http.addr.port}/chat`);
    await page.locator("#converse-login-jid").fill("alice");
    await page.locator("#converse-login-password").fill("alice-pw");
    await page.locator("converse-login-form [type=submit]").click();
    await page.locator("converse-roster").getByText("Bob").first().click();
    // The paperclip appears once Converse found the service in the domain's disco#items.
    const input = page.locator("input.fileupload").first();
    await input.waitFor({ state: "attached" });
    await input.setInputFiles({ name: "dot.png", mimeType: "image/png", buffer: Buffer.from(PNG) });
    const got = await bot.next(
      (s: LtxElement) => s.is("message") && s.getChildText("body") !== null,
      "the upload's URL at the bot",
      20_000,
    );
    const url = got.getChildText("body")!;
    assert.match(
      url,
      new RegExp(`^http://127\\.0\\.0\\.1:${uploadPort}/upload/[0-9a-f]+/dot\\.png$`),
    );
    assert.equal(got.getChild("x", "jabber:x:oob")?.getChildText("url"), url);
    const fetched = await fetch(url);
    assert.equal(fetched.headers.get("Content-Type"), "image/png");
    assert.deepEqual(new Uint8Array(await fetched.arrayBuffer()), PNG);
    // A cross-origin PUT with an Authorization header: Chromium sends it only after a CORS
    // preflight (not shown to page events) allowed the method and headers.
    assert.notEqual(uploadPort, http.addr.port);
    await shot("1-sent.png");

    // The GET side: the bot uploads an image with fetch and sends its URL; Converse shows it.
    const reply = await iq(
      bot,
      "get",
      xml("request", {
        xmlns: "urn:xmpp:http:upload:0",
        filename: "from-bot.png",
        size: String(PNG.length),
        "content-type": "image/png",
      }),
      "upload.localhost",
    );
    const slot = reply.getChild("slot", "urn:xmpp:http:upload:0")!;
    const put = slot.getChild("put")!;
    const res = await fetch(put.attrs.url, {
      method: "PUT",
      headers: { Authorization: put.getChild("header")!.text(), "Content-Type": "image/png" },
      body: PNG,
    });
    assert.equal(res.status, 201);
    const getUrl = slot.getChild("get")!.attrs.url;
    await bot.xmpp.send(
      xml(
        "message",
        { to: "alice@localhost", type: "chat", id: "img1" },
        xml("body", {}, getUrl),
        xml("x", { xmlns: "jabber:x:oob" }, xml("url", {}, getUrl)),
      ),
    );
    const img = page.locator(`img[src="${getUrl}"]`).first();
    await img.waitFor();
    // Loaded and decoded: the browser knows its width (a string: this file has no DOM types).
    await page.waitForFunction(
      `[...document.querySelectorAll("img")].some((el) => el.src === ${
        JSON.stringify(getUrl)
      } && el.complete && el.naturalWidth === 2)`,
    );
    await shot("2-shown.png");
  } catch (e) {
    await shot("failure.png");
    await Deno.writeTextFile(new URL("upload-console.log", ARTIFACTS), log.join("\n"));
    throw e;
  } finally {
    await browser.close().catch(() => {});
    await bot.stop();
    await t.close();
    await http.shutdown();
    await Deno.remove(data, { recursive: true });
  }
}

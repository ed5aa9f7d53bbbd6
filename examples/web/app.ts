/**
 * An ordinary Hono app that adds chat: its own routes and page, the XMPP endpoints mounted
 * with one call, and the Converse.js web client served from node_modules (no CDN).
 *
 * @module
 */
import { Hono } from "hono";
import type { XmppServer } from "../../mod.ts";
import { mountXmpp } from "../../adapters/hono_websocket/mod.ts";

const CONVERSE_DIST = new URL("../../node_modules/converse.js/dist/", import.meta.url);

const TYPES: Record<string, string> = {
  js: "text/javascript; charset=utf-8",
  css: "text/css; charset=utf-8",
  json: "application/json",
  map: "application/json",
  wasm: "application/wasm",
  svg: "image/svg+xml",
  png: "image/png",
  woff: "font/woff",
  woff2: "font/woff2",
  ttf: "font/ttf",
  mp3: "audio/mpeg",
  ogg: "audio/ogg",
};

function chatPage(domain: string): string {
  return `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>My app · chat</title>
  <link rel="stylesheet" href="/converse/converse.min.css">
  <script type="module" src="/converse/converse.min.js"></script>
</head>
<body class="converse-fullscreen">
<script type="module">
  // WebSocket by default; /chat?bosh uses BOSH instead.
  const transport = new URLSearchParams(location.search).has("bosh")
    ? { bosh_service_url: location.origin + "/http-bind" }
    : { websocket_url: (location.protocol === "https:" ? "wss://" : "ws://") + location.host + "/xmpp-websocket" };
  converse.initialize({
    ...transport,
    assets_path: "/converse/",
    discover_connection_methods: false,
    view_mode: "fullscreen",
    default_domain: ${JSON.stringify(domain)},
    locked_domain: ${JSON.stringify(domain)},
    allow_registration: false,
    auto_reconnect: false,
    play_sounds: false,
    show_desktop_notifications: false,
    whitelisted_plugins: [],
    loglevel: "warn",
  });
</script>
</body>
</html>`;
}

/**
 * Builds the example app around a running XMPP server.
 *
 * @param server The XMPP server.
 * @returns The Hono app.
 */
export function createApp(server: XmppServer): Hono {
  const app = new Hono();
  // The app's own routes.
  app.get("/", (c) =>
    c.html(`<!doctype html><title>My app</title><h1>My app</h1>
<p>This is an ordinary Hono app. <a href="/chat">Open the chat</a> (Converse.js, served locally).</p>
<p>XMPP clients: WebSocket <code>/xmpp-websocket</code>, BOSH <code>/http-bind</code>,
discovery <a href="/.well-known/host-meta">/.well-known/host-meta</a>.</p>`));
  app.get("/api/time", (c) => c.json({ now: new Date().toISOString() }));
  // The few lines that add chat: the endpoints, and a page with the web client.
  mountXmpp(app, server);
  app.get("/chat", (c) => c.html(chatPage(server.domain)));
  app.get("/converse/*", async (c) => {
    const rel = c.req.path.slice("/converse/".length);
    if (rel.split("/").some((part) => part === ".." || part === "")) return c.notFound();
    const file = new URL(rel, CONVERSE_DIST);
    if (!file.href.startsWith(CONVERSE_DIST.href)) return c.notFound();
    try {
      const body = await Deno.readFile(file);
      const type = TYPES[rel.slice(rel.lastIndexOf(".") + 1)] ?? "application/octet-stream";
      return new Response(body, { headers: { "content-type": type } });
    } catch {
      return c.notFound();
    }
  });
  return app;
}

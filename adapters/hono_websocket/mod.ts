/**
 * The web adapter: XMPP over WebSocket (RFC 7395) and BOSH (XEP-0124, XEP-0206) as Hono
 * handlers, with XEP-0156 connection discovery, and the HTTP side of XEP-0363 file upload.
 * Runs on Deno (`Deno.upgradeWebSocket`).
 *
 * Connections over `ws://`/`http://` are not TLS: SCRAM is offered, PLAIN only with
 * `allowPlainWithoutTls`. `wss://`/`https://` requests, and with `trustProxy` those a proxy
 * marks `X-Forwarded-Proto: https`, count as TLS.
 *
 * @example Add chat to an existing Hono app
 * ```ts ignore
 * import { Hono } from "hono";
 * import { createServer } from "@parley/server";
 * import { mountXmpp, xmppWebSocket } from "@parley/server/hono-websocket";
 *
 * const server = await createServer({ domain: "localhost" });
 * const app = new Hono();
 * app.get("/", (c) => c.text("My app"));
 * app.get("/xmpp-websocket", xmppWebSocket(server)); // just WebSocket, or:
 * mountXmpp(app, server, { websocketPath: "/ws" }); // WebSocket, BOSH and host-meta
 * Deno.serve(app.fetch);
 * ```
 *
 * @module
 */
export { xmppWebSocket } from "./websocket.ts";
export type { XmppWebSocketHandler, XmppWebSocketOptions } from "./websocket.ts";
export { xmppBosh } from "./bosh.ts";
export type { BoshHandler, BoshOptions } from "./bosh.ts";
export { hostMeta, hostMetaJson, hostMetaLinks } from "./host_meta.ts";
export type { HostMetaOptions } from "./host_meta.ts";
export { mountXmpp } from "./mount.ts";
export { mountInvites } from "./invite_page.ts";
export type { InvitePageOptions } from "./invite_page.ts";
export type { MountOptions } from "./mount.ts";
export { originAllowed, requestIsSecure } from "./http_policy.ts";
export type { OriginPolicy } from "./http_policy.ts";
export { httpTransport } from "./transport.ts";
export { mountUpload, uploadExpiry } from "./upload.ts";
export type { UploadExpiry, UploadHandlerOptions } from "./upload.ts";
export { fsFileStore } from "./fs_file_store.ts";
export type {
  ByteRange,
  FileStore,
  StoredFile,
  StoredFileInfo,
} from "../../src/storage/file_store.ts";
export type { HttpTransportOptions } from "./transport.ts";

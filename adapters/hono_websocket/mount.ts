/**
 * Mounts every web endpoint on a Hono app in one call.
 *
 * @module
 */
import type { Hono } from "hono";
import type { XmppServer } from "../../src/server/server.ts";
import { type BoshOptions, xmppBosh } from "./bosh.ts";
import { hostMeta, hostMetaJson } from "./host_meta.ts";
import { type InvitePageOptions, mountInvites } from "./invite_page.ts";
import { mountUpload, type UploadHandlerOptions } from "./upload.ts";
import { xmppWebSocket, type XmppWebSocketOptions } from "./websocket.ts";

/** Options of {@linkcode mountXmpp}. */
export interface MountOptions {
  /** WebSocket path; default "/xmpp-websocket". */
  readonly websocketPath?: string;
  /** BOSH path; default "/http-bind"; `false` disables BOSH. */
  readonly boshPath?: string | false;
  /** Serve `/.well-known/host-meta` and `host-meta.json`; default `true`. */
  readonly hostMeta?: boolean;
  /** Options of the WebSocket endpoint (origins, trustProxy, PLAIN, redirection). */
  readonly websocket?: XmppWebSocketOptions;
  /** Options of the BOSH endpoint. */
  readonly bosh?: BoshOptions;
  /** XEP-0363 file upload routes (`/upload/…`), with the upload module's secret; default none. */
  readonly upload?: UploadHandlerOptions;
  /**
   * The invitation landing page (`/invite/:token`); default on when the server takes
   * invitations (`registration.invites`).
   */
  readonly invites?: boolean | InvitePageOptions;
}

/**
 * Adds `/xmpp-websocket` (RFC 7395), `/http-bind` (XEP-0206) and XEP-0156 host-meta to an app,
 * and with `upload` the XEP-0363 upload routes.
 *
 * @param app The Hono app.
 * @param server The XMPP server.
 * @param options Paths and endpoint options.
 * @returns The app.
 * @example
 * ```ts ignore
 * import { Hono } from "hono";
 * import { createServer } from "@parley/server";
 * import { mountXmpp } from "@parley/server/hono-websocket";
 *
 * const app = new Hono();
 * mountXmpp(app, await createServer({ domain: "localhost" }));
 * Deno.serve(app.fetch);
 * ```
 */
// deno-lint-ignore no-explicit-any
export function mountXmpp<A extends Hono<any, any, any>>(
  app: A,
  server: XmppServer,
  options: MountOptions = {},
): A {
  const wsPath = options.websocketPath ?? "/xmpp-websocket";
  const boshPath = options.boshPath ?? "/http-bind";
  app.get(wsPath, xmppWebSocket(server, options.websocket));
  if (boshPath !== false) {
    const bosh = xmppBosh(server, options.bosh);
    app.post(boshPath, bosh);
    app.options(boshPath, bosh);
  }
  if (options.hostMeta ?? true) {
    const links = {
      websocket: wsPath,
      bosh: boshPath === false ? undefined : boshPath,
      trustProxy: options.websocket?.trustProxy,
    };
    app.get("/.well-known/host-meta", hostMeta(links));
    app.get("/.well-known/host-meta.json", hostMetaJson(links));
  }
  if (options.upload) mountUpload(app, options.upload);
  const invites = options.invites ?? server.config.registration.invites;
  if (invites) mountInvites(app, server, invites === true ? {} : invites);
  return app;
}

/**
 * Connection discovery for web clients (XEP-0156): `/.well-known/host-meta` (XRD) and
 * `/.well-known/host-meta.json` (JRD).
 *
 * @module
 */
import type { Context } from "hono";
import { escapeAttr } from "../../src/xml/serializer.ts";

/** The endpoints to advertise: absolute URLs, or paths resolved against the request. */
export interface HostMetaOptions {
  /** The WebSocket endpoint, e.g. "/xmpp-websocket" (ws/wss follows the request). */
  readonly websocket?: string;
  /** The BOSH endpoint, e.g. "/http-bind". */
  readonly bosh?: string;
  /** Honour `X-Forwarded-Proto`/`X-Forwarded-Host` when resolving paths. Default `false`. */
  readonly trustProxy?: boolean;
}

const WS_REL = "urn:xmpp:alt-connections:websocket";
const BOSH_REL = "urn:xmpp:alt-connections:xbosh";

/**
 * Resolves the advertised links for a request.
 *
 * @param request The request (its origin resolves relative paths).
 * @param options The endpoints.
 * @returns `[rel, href]` pairs.
 * @example
 * ```ts
 * import { hostMetaLinks } from "./host_meta.ts";
 * const links = hostMetaLinks(new Request("http://localhost:5280/"), { websocket: "/xmpp-websocket" });
 * if (links[0][1] !== "ws://localhost:5280/xmpp-websocket") throw new Error(links[0][1]);
 * ```
 */
export function hostMetaLinks(request: Request, options: HostMetaOptions): [string, string][] {
  const url = new URL(request.url);
  let proto = url.protocol;
  let host = url.host;
  if (options.trustProxy) {
    const p = request.headers.get("x-forwarded-proto")?.split(",")[0].trim();
    if (p) proto = `${p}:`;
    host = request.headers.get("x-forwarded-host")?.split(",")[0].trim() ?? host;
  }
  const base = `${proto}//${host}`;
  const links: [string, string][] = [];
  if (options.websocket) {
    const ws = new URL(options.websocket, base);
    if (ws.protocol === "http:") ws.protocol = "ws:";
    if (ws.protocol === "https:") ws.protocol = "wss:";
    links.push([WS_REL, ws.href]);
  }
  if (options.bosh) links.push([BOSH_REL, new URL(options.bosh, base).href]);
  return links;
}

/**
 * The handler of `/.well-known/host-meta` (XRD, XEP-0156 §3.1).
 *
 * @param options The endpoints.
 * @returns A Hono handler.
 */
export function hostMeta(options: HostMetaOptions): (c: Context) => Response {
  return (c) => {
    const links = hostMetaLinks(c.req.raw, options)
      .map(([rel, href]) => `  <Link rel="${rel}" href="${escapeAttr(href)}"/>\n`).join("");
    const body = `<?xml version='1.0' encoding='utf-8'?>\n` +
      `<XRD xmlns='http://docs.oasis-open.org/ns/xri/xrd-1.0'>\n${links}</XRD>\n`;
    return new Response(body, {
      headers: { "content-type": "application/xrd+xml", "access-control-allow-origin": "*" },
    });
  };
}

/**
 * The handler of `/.well-known/host-meta.json` (JRD, XEP-0156 §3.1).
 *
 * @param options The endpoints.
 * @returns A Hono handler.
 */
export function hostMetaJson(options: HostMetaOptions): (c: Context) => Response {
  return (c) => {
    const links = hostMetaLinks(c.req.raw, options).map(([rel, href]) => ({ rel, href }));
    return new Response(JSON.stringify({ links }), {
      headers: { "content-type": "application/json", "access-control-allow-origin": "*" },
    });
  };
}

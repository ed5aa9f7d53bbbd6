/**
 * XMPP over WebSocket (RFC 7395) as a Hono handler.
 *
 * @module
 */
import type { Context } from "hono";
import type { XmppServer } from "../../src/server/server.ts";
import { seeOtherUri, websocketFraming } from "../../src/stream/framing.ts";
import { webSocketStream } from "./_ws_stream.ts";
import { clientAddress, originAllowed, type OriginPolicy, requestIsSecure } from "./http_policy.ts";

/** Options of {@linkcode xmppWebSocket}. */
export interface XmppWebSocketOptions {
  /** Browser origins allowed to connect; default same-origin and loopback origins. */
  readonly origins?: OriginPolicy;
  /**
   * Trust `X-Forwarded-Proto`/`X-Forwarded-For` from a TLS-terminating proxy: with
   * `X-Forwarded-Proto: https` the connection counts as TLS. Default `false`.
   */
  readonly trustProxy?: boolean;
  /**
   * Offer PLAIN on a connection that is not TLS (plain `ws://`): local development only.
   * SCRAM is offered either way. Default `false`.
   */
  readonly allowPlainWithoutTls?: boolean;
  /**
   * Refuse connections that are not TLS (policy-violation after `<open/>`). Default `false`:
   * browsers on `http://localhost` use `ws://`.
   */
  readonly requireTls?: boolean;
  /**
   * Send every client elsewhere (RFC 7395 §3.6.1): after its `<open/>`, the client gets
   * `<close see-other-uri='…'/>`. A function may decide per request (`undefined`: serve it).
   */
  readonly seeOtherUri?: string | ((request: Request) => string | undefined);
  /** Seconds between WebSocket pings; a client that misses the pong is dropped. Default 30. */
  readonly pingIntervalSeconds?: number;
  /** Bytes buffered in the socket before writes wait (backpressure). Default 65536. */
  readonly highWaterMark?: number;
  /**
   * Bytes a client may send ahead of what the server has read (its read rate is
   * `limits.readBytesPerSecond`) before it gets `<policy-violation/>`: WebSocket reads cannot
   * be paused, so this bounds what a fast sender makes the server hold. Default 1048576.
   */
  readonly maxUnreadBytes?: number;
  /**
   * Logs the socket in from the upgrade request (#15): the host application checks what it
   * already trusts (its session cookie, an `Authorization: Bearer` token) and returns the
   * user's bare JID, or `undefined` to let the client authenticate as usual. The connection
   * then offers SASL EXTERNAL, which completes without credentials; the JID must be on the
   * domain the client opens its stream to.
   *
   * @example
   * ```ts ignore
   * xmppWebSocket(server, {
   *   authenticate: async (c) => {
   *     const token = c.req.header("authorization")?.replace(/^Bearer /, "");
   *     return token ? await verifyJwt(token, "localhost") : undefined;
   *   },
   * });
   * ```
   */
  readonly authenticate?: (c: Context) => string | undefined | Promise<string | undefined>;
}

/** A Hono handler: `(c) => Response`. */
export type XmppWebSocketHandler = (c: Context) => Response | Promise<Response>;

function wantsXmpp(request: Request): boolean {
  const header = request.headers.get("sec-websocket-protocol") ?? "";
  return header.split(",").some((p) => p.trim() === "xmpp");
}

/**
 * Creates the Hono handler of the XMPP WebSocket endpoint. Requests must ask for the `xmpp`
 * subprotocol (RFC 7395 §3.3; else 400) from an allowed Origin (else 403); the answer carries
 * `Sec-WebSocket-Protocol: xmpp`. Each connection then runs through the same negotiation,
 * limits and router as TCP.
 *
 * @param server The XMPP server.
 * @param options Origins, TLS trust, PLAIN, redirection, keepalive.
 * @returns The handler.
 * @example
 * ```ts ignore
 * import { Hono } from "hono";
 * import { createServer } from "@parley/server";
 * import { xmppWebSocket } from "@parley/server/hono-websocket";
 *
 * const server = await createServer({ domain: "localhost" });
 * const app = new Hono();
 * app.get("/xmpp-websocket", xmppWebSocket(server));
 * Deno.serve(app.fetch);
 * ```
 */
export function xmppWebSocket(
  server: XmppServer,
  options: XmppWebSocketOptions = {},
): XmppWebSocketHandler {
  const trustProxy = options.trustProxy ?? false;
  const highWaterMark = options.highWaterMark ?? 65536;
  const maxUnreadBytes = options.maxUnreadBytes ?? 1_048_576;
  if (!Number.isInteger(maxUnreadBytes) || maxUnreadBytes < 1) {
    throw new RangeError(`Option "maxUnreadBytes" must be a positive integer`);
  }
  const idleTimeout = options.pingIntervalSeconds ?? 30;
  if (!Number.isInteger(idleTimeout) || idleTimeout < 1) {
    throw new RangeError(`Option "pingIntervalSeconds" must be a positive integer`);
  }
  return async (c) => {
    const request = c.req.raw;
    if (!originAllowed(request, options.origins)) {
      return new Response("Origin not allowed", { status: 403 });
    }
    if (request.headers.get("upgrade")?.toLowerCase() !== "websocket") {
      return new Response("Expected a WebSocket upgrade", {
        status: 426,
        headers: { upgrade: "websocket" },
      });
    }
    if (!wantsXmpp(request)) {
      return new Response('The "xmpp" WebSocket subprotocol is required (RFC 7395)', {
        status: 400,
      });
    }
    // The connection's address is readable only before the upgrade.
    const remoteAddress = clientAddress(request, trustProxy, remoteOf(c));
    const authenticatedAs = options.authenticate ? await options.authenticate(c) : undefined;
    const { socket, response } = Deno.upgradeWebSocket(request, {
      protocol: "xmpp",
      idleTimeout,
    });
    const redirect = typeof options.seeOtherUri === "function"
      ? options.seeOtherUri(request)
      : options.seeOtherUri;
    if (redirect !== undefined) {
      socket.addEventListener("message", () => {
        socket.send(seeOtherUri(redirect));
        socket.close(1000);
      }, { once: true });
      return response;
    }
    const secure = requestIsSecure(request, trustProxy);
    const info = {
      kind: "websocket",
      secure,
      remoteAddress,
      ...(authenticatedAs ? { authenticatedAs } : {}),
    };
    void server.handle(webSocketStream(socket, info, { highWaterMark, maxUnreadBytes }), {
      framing: websocketFraming,
      requireTls: options.requireTls ?? false,
      allowPlainWithoutTls: options.allowPlainWithoutTls ?? false,
    });
    return response;
  };
}

function remoteOf(c: Context): string | undefined {
  try {
    const addr = (c.env as { remoteAddr?: { hostname?: string } } | undefined)?.remoteAddr;
    return addr?.hostname;
  } catch {
    return undefined; // not a Deno.serve connection info
  }
}

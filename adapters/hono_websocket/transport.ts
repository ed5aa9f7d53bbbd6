/**
 * The web endpoints as a server transport: a Hono app on `Deno.serve`, started by
 * `server.listen(httpTransport(server, …))` and stopped by `server.close()`.
 *
 * @module
 */
import { Hono } from "hono";
import type { Transport, XmppServer } from "../../src/server/server.ts";
import { type MountOptions, mountXmpp } from "./mount.ts";
import { uploadExpiry } from "./upload.ts";

/** Options of {@linkcode httpTransport}. */
export interface HttpTransportOptions extends MountOptions {
  /** Address to listen on. Default "0.0.0.0". */
  readonly hostname?: string;
  /** Port; 0 picks a free one. Default 5280. */
  readonly port?: number;
  /** TLS certificate and key (PEM) for https:// and wss://. */
  readonly tls?: { readonly cert: string; readonly key: string };
  /** Called once listening, with the bound port. */
  readonly onListen?: (addr: { port: number; hostname: string }) => void;
  /** Called when deleting expired uploads failed (the timer goes on). */
  readonly onUploadExpiryError?: (error: unknown) => void;
}

/**
 * Serves `/xmpp-websocket`, `/http-bind` and host-meta on their own HTTP port, and with
 * `upload` the XEP-0363 upload routes and the expiry of old files.
 *
 * @param server The XMPP server whose sessions the endpoints create.
 * @param options Address, port, TLS and endpoint options.
 * @returns The transport, for `server.listen`.
 * @example
 * ```ts ignore
 * import { createServer } from "@parley/server";
 * import { httpTransport } from "@parley/server/hono-websocket";
 * const server = await createServer({ domain: "localhost" });
 * await server.listen(httpTransport(server, { port: 5280 }));
 * ```
 */
export function httpTransport(server: XmppServer, options: HttpTransportOptions = {}): Transport {
  return {
    start() {
      const app = mountXmpp(new Hono(), server, options);
      const onListen = options.onListen ?? (() => {});
      const http = options.tls
        ? Deno.serve({
          hostname: options.hostname ?? "0.0.0.0",
          port: options.port ?? 5280,
          cert: options.tls.cert,
          key: options.tls.key,
          onListen,
        }, app.fetch)
        : Deno.serve({
          hostname: options.hostname ?? "0.0.0.0",
          port: options.port ?? 5280,
          onListen,
        }, app.fetch);
      // XEP-0363: files older than `expiryDays` are deleted hourly while the port is served.
      const upload = options.upload;
      const expiry = upload && uploadExpiry(upload.store, {
        expiryDays: upload.expiryDays,
        now: upload.now,
        onError: (e) => options.onUploadExpiryError?.(e),
      });
      return Promise.resolve({
        close: () => {
          expiry?.stop();
          return http.shutdown();
        },
      });
    },
  };
}

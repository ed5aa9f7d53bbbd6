/**
 * The server side of a TLS handshake over an accepted `node:net` socket. Private.
 *
 * @module
 */

import * as tls from "node:tls";
import { Buffer } from "node:buffer";
import type * as net from "node:net";
import type { TlsCredentials } from "./certificate.ts";

/** What `acceptTls()` needs besides the socket. */
export interface AcceptTlsOptions<T> {
  /** Certificate and key. */
  readonly credentials: TlsCredentials;
  /** Time allowed for the handshake. */
  readonly timeoutMs: number;
  /** Bytes read from the socket but not consumed, oldest first. */
  readonly unread?: readonly Uint8Array[];
  /**
   * Called synchronously on the `secure` event, so that the caller's listeners are on the
   * TLS socket before any later event.
   */
  readonly onSecure: (secure: tls.TLSSocket) => T;
}

/**
 * Wraps `socket` in a server-side TLS socket and waits for the handshake.
 *
 * `Deno.startTls` is client-only, so this uses `node:tls`. Bytes already read from the
 * socket (`unread`, e.g. a ClientHello that arrived before STARTTLS was acted on) are put
 * back with `socket.unshift()`; the TLS socket consumes them before new data.
 *
 * @param socket The accepted socket, with no `data` listener left.
 * @param options Credentials, timeout, unread bytes and the `secure` callback.
 * @returns What `onSecure` returned.
 * @throws {Error} "TLS handshake failed" (with the cause) on an error, a close or the
 * timeout; both sockets are then destroyed.
 */
export function acceptTls<T>(socket: net.Socket, options: AcceptTlsOptions<T>): Promise<T> {
  const { credentials, timeoutMs, unread = [] } = options;
  if (unread.length > 0) socket.unshift(Buffer.concat(unread));
  const secure = new tls.TLSSocket(socket, {
    isServer: true,
    cert: credentials.certPem,
    key: credentials.keyPem,
  });
  // An error of the raw socket is the TLS socket's error.
  socket.on("error", (error) => secure.destroy(error));
  return new Promise((resolve, reject) => {
    const cleanup = () => {
      clearTimeout(timer);
      secure.off("secure", onSecure);
      secure.off("error", onFailure);
      secure.off("close", onClose);
    };
    const onSecure = () => {
      cleanup();
      try {
        resolve(options.onSecure(secure));
      } catch (error) {
        secure.destroy();
        reject(error);
      }
    };
    const onFailure = (cause: unknown) => {
      cleanup();
      // The failure is reported through the promise; later errors of the dead sockets add
      // nothing and must not crash the process.
      secure.on("error", () => {});
      secure.destroy();
      socket.destroy();
      reject(new Error("TLS handshake failed", { cause }));
    };
    const onClose = () => onFailure(new Error("Connection closed during the TLS handshake"));
    const timer = setTimeout(
      () => onFailure(new Error(`No TLS handshake within ${timeoutMs} ms`)),
      timeoutMs,
    );
    secure.once("secure", onSecure);
    secure.once("error", onFailure);
    secure.once("close", onClose);
  });
}

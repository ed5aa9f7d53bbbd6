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
  /** Ask the peer for a certificate (server-to-server, XEP-0178); it may send none. */
  readonly requestCert?: boolean;
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
    secureContext: secureContextOf(credentials),
    // The chain is checked by the caller against its own trust anchors.
    ...options.requestCert ? { requestCert: true, rejectUnauthorized: false } : {},
  });
  forwardErrors(socket, secure);
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

/**
 * An error of the raw socket is the TLS socket's error. A function of its own, so that the
 * listener, which lives as long as the connection, holds only the TLS socket and not what
 * the handshake needed.
 */
function forwardErrors(socket: net.Socket, secure: tls.TLSSocket): void {
  socket.on("error", (error) => secure.destroy(error));
}

/**
 * One secure context per credentials object, shared by every connection and listener that
 * uses it (STARTTLS on 5222 and direct TLS on 5223 get the same object from the CLI). Given
 * `cert` and `key` instead, `TLSSocket` builds a context per connection, and parsing and
 * checking the private key (`createPrivateKey` in `validateKeyStrength`) was 14% of the
 * server's busy CPU in a STARTTLS login loop.
 */
const contexts = new WeakMap<TlsCredentials, tls.SecureContext>();

/**
 * The secure context of `credentials`, created on first use.
 *
 * @param credentials Certificate and key.
 * @returns The same context for the same object.
 */
export function secureContextOf(credentials: TlsCredentials): tls.SecureContext {
  let context = contexts.get(credentials);
  if (!context) {
    context = tls.createSecureContext({ cert: credentials.certPem, key: credentials.keyPem });
    contexts.set(credentials, context);
  }
  return context;
}

/** What `tlsExporter()` needs of a TLS socket (Node's API; Deno 2.9.6 lacks the method). */
interface ExportingSocket {
  getProtocol(): string | null;
  exportKeyingMaterial?(length: number, label: string, context?: Uint8Array): Uint8Array;
}

/**
 * The `tls-exporter` channel binding data of a connection (RFC 9266 §2): 32 bytes exported
 * with the label "EXPORTER-Channel-Binding" and an empty context. Only on TLS 1.3 (RFC 9266
 * §3 defines it for earlier versions only with the extended master secret, which we cannot
 * check), and only where the runtime can export keying material: Deno 2.9.6's `node:tls`
 * has no `exportKeyingMaterial`, so there this returns `undefined` and only
 * `tls-server-end-point` is offered.
 *
 * @param socket The TLS socket, after its handshake.
 * @returns The 32 bytes, or `undefined`.
 */
export function tlsExporter(socket: tls.TLSSocket): Uint8Array | undefined {
  const s = socket as unknown as ExportingSocket;
  if (typeof s.exportKeyingMaterial !== "function" || s.getProtocol() !== "TLSv1.3") {
    return undefined;
  }
  try {
    const bytes = s.exportKeyingMaterial(32, "EXPORTER-Channel-Binding", Buffer.alloc(0));
    return bytes?.length === 32 ? new Uint8Array(bytes) : undefined;
  } catch {
    return undefined; // not exportable on this connection: the binding is simply not offered
  }
}

/**
 * The channel binding fields {@linkcode tlsExporter} adds to a connection's `TransportInfo`:
 * `{ tlsExporter }` where it has data, else nothing (not even an undefined key).
 *
 * @param socket The TLS socket, after its handshake.
 * @returns The fields to spread into the `TransportInfo`.
 */
export function exporterInfo(socket: tls.TLSSocket): { tlsExporter?: Uint8Array } {
  const data = tlsExporter(socket);
  return data ? { tlsExporter: data } : {};
}

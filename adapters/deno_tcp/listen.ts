/**
 * A TCP listener that turns each connection into a {@linkcode ByteStream}, with STARTTLS
 * (RFC 6120 §5) or direct TLS (XEP-0368).
 *
 * @module
 */

import * as net from "node:net";
import type * as tls from "node:tls";
import type { ByteChannel, ByteStream, TransportInfo } from "../../src/base/transport.ts";
import { type Logger, silentLogger } from "../../src/base/logger.ts";
import { FloodMeter } from "../../src/util/flood_meter.ts";
import { type TlsCredentials, verifiedDomains } from "./certificate.ts";
import { type SocketStreams, socketStreams } from "./_socket_streams.ts";
import { acceptTls, exporterInfo } from "./_tls.ts";

/** Options of {@linkcode listenTcp}. */
export interface ListenTcpOptions {
  /** Address to bind. Default "0.0.0.0" (every IPv4 interface, like `Deno.listen`). */
  readonly hostname?: string;
  /** Port to bind; 0 picks a free ephemeral port (read it from `TcpListener.port`). */
  readonly port: number;
  /** Certificate and key. Required for `directTls`; on plain TCP, enables `startTls()`. */
  readonly tls?: TlsCredentials;
  /** XEP-0368: TLS from the first byte; connections reach the handler once secure. */
  readonly directTls?: boolean;
  /**
   * Ask TLS peers for a certificate and report, as `info.peerDomains`, the DNS names of one
   * issued by a CA in `trust` (PEM). For server-to-server (XEP-0178); off by default.
   */
  readonly clientCertificates?: { readonly trust: readonly string[] };
  /** Time allowed for a TLS handshake, direct or after STARTTLS. Default 30 000 ms. */
  readonly handshakeTimeoutMs?: number;
  /**
   * Where failed TLS handshakes and listener errors are logged: a failed direct-TLS handshake
   * at `info`, and a flood of failed handshakes from one address (direct or STARTTLS) once a
   * minute at `warn`. Default silent.
   */
  readonly logger?: Logger;
}

/** A listening TCP socket. */
export interface TcpListener {
  /** The bound address. */
  readonly hostname: string;
  /** The bound port (the chosen one when `port` was 0). */
  readonly port: number;
  /** Stops accepting and destroys every open connection; resolves once all are closed. */
  close(): Promise<void>;
}

/** Receives each accepted connection. An exception it throws closes that connection. */
export type ConnectionHandler = (stream: ByteStream) => void;

const DEFAULT_HANDSHAKE_TIMEOUT_MS = 30_000;
/** How long `ByteStream.close()` waits for the peer to close before destroying the socket. */
const CLOSE_GRACE_MS = 3_000;
const KEEP_ALIVE_DELAY_MS = 60_000;
/**
 * What the plain streams of an upgraded connection fail with. One object for all: each
 * upgraded connection keeps its plain streams, and an error of its own with its stack
 * trace was half a KiB each (#16).
 */
const UPGRADED = new Error("The connection was upgraded to TLS");

/**
 * Listens on TCP and hands every connection to `onConnection` as a {@linkcode ByteStream}.
 *
 * - Plain TCP (`info.kind` "tcp"): with `tls` set, the stream has `startTls()`. The core
 *   must release its reader and writer and must not read past `<starttls/>` before
 *   calling it. Bytes the client sent after `<starttls/>` that the core has not read (in
 *   valid XMPP only the TLS ClientHello, sent after `<proceed/>`) are handed to the TLS
 *   layer, not lost. The old streams then error with "The connection was upgraded to
 *   TLS"; `startTls()` resolves to a new stream with `secure: true` and
 *   `tlsServerEndPoint`, or rejects with "TLS handshake failed" (the connection is then
 *   destroyed) on a bad handshake or after `handshakeTimeoutMs`.
 * - Direct TLS (`info.kind` "tls"): the handler gets the stream once the handshake is done.
 *
 * Each stream's `readable` ends when the peer closes and errors with the socket's error, e.g.
 * ECONNRESET. Its read-ahead is 64 KiB, beyond which reading from the kernel socket stops
 * (also under TLS), so a client that sends faster than the core reads is slowed down by TCP
 * flow control instead of filling the server's memory.
 * Cancelling it only stops reading. A `writable` write resolves once the socket took the
 * chunk; closing the writable half-closes the socket. `close()` ends the socket and
 * destroys it if the peer has not closed within 3 s. TCP_NODELAY and keep-alive are on.
 * Each stream also has a `channel` with the same reads and writes without web streams, which
 * the core uses; `readable` and `writable` are then never built (a consumer uses one or the
 * other).
 *
 * @param options Address, port and TLS settings.
 * @param onConnection Receives each connection.
 * @returns The listener, once bound.
 * @throws {TypeError} When `port` is not a number or `directTls` is set without `tls`.
 * @throws {RangeError} When `port` or `handshakeTimeoutMs` is out of range.
 *
 * @example Echo one chunk back over plain TCP
 * ```ts ignore
 * import { listenTcp } from "@parley/server/deno-tcp";
 *
 * const listener = await listenTcp({ hostname: "127.0.0.1", port: 0 }, async (stream) => {
 *   const reader = stream.readable.getReader();
 *   const { value } = await reader.read();
 *   const writer = stream.writable.getWriter();
 *   if (value) await writer.write(value);
 *   await stream.close();
 * });
 * console.log(`Listening on ${listener.hostname}:${listener.port}`);
 * await listener.close();
 * ```
 */
export async function listenTcp(
  options: ListenTcpOptions,
  onConnection: ConnectionHandler,
): Promise<TcpListener> {
  const {
    hostname = "0.0.0.0",
    port,
    tls: credentials,
    directTls = false,
    handshakeTimeoutMs = DEFAULT_HANDSHAKE_TIMEOUT_MS,
    logger = silentLogger,
    clientCertificates,
  } = options;
  if (typeof port !== "number") throw new TypeError(`Invalid port "${port}": not a number`);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new RangeError(`Invalid port "${port}": expected an integer from 0 to 65535`);
  }
  if (!(handshakeTimeoutMs > 0 && Number.isFinite(handshakeTimeoutMs))) {
    throw new RangeError(`Invalid handshakeTimeoutMs "${handshakeTimeoutMs}": expected > 0`);
  }
  if (directTls && !credentials) {
    throw new TypeError('Cannot listen with direct TLS: no "tls" credentials');
  }

  /** Every socket not yet closed, raw and TLS, so that close() can destroy them. */
  const open = new Set<net.Socket>();
  const track = (socket: net.Socket) => {
    open.add(socket);
    socket.once("close", () => open.delete(socket));
  };
  /**
   * Ends `socket`, destroying it after the grace period; resolves once closed. `drain` makes
   * its streams read and drop what still arrives.
   */
  const closeSocket = (socket: net.Socket, drain: () => void) =>
    new Promise<void>((resolve) => {
      if (!open.has(socket)) return resolve();
      const timer = setTimeout(() => socket.destroy(), CLOSE_GRACE_MS);
      socket.once("close", () => {
        clearTimeout(timer);
        resolve();
      });
      // Once our data is flushed and the peer has sent its FIN, nothing is left to wait for;
      // Deno's TLSSocket does not always emit "close" by itself then.
      const finished = () => {
        if (socket.readableEnded && socket.writableFinished) socket.destroy();
      };
      socket.once("end", finished);
      socket.end(finished);
      // The reader is gone: drain (and drop) what is left so the peer's FIN can be seen.
      drain();
    });
  // #9 item 5: one connection's failed handshake at info, a flood from one address at warn.
  const tlsFailures = new FloodMeter();
  const tlsFailed = (remoteAddress: string | undefined, error: unknown, direct: boolean) => {
    const level = tlsFailures.note(remoteAddress ?? "", Date.now());
    // A failed STARTTLS handshake is logged by the session; here only the flood.
    if (!direct && level !== "warn") return;
    logger[level](
      level === "warn"
        ? "TLS handshake failures flood from one address"
        : "Direct TLS handshake failed",
      { remoteAddress, error: describe(error) },
    );
  };
  const deliver = (stream: ByteStream, remoteAddress: string | undefined) => {
    try {
      onConnection(stream);
    } catch (error) {
      logger.error("Connection handler failed", { remoteAddress, error: describe(error) });
      void stream.close();
    }
  };
  /** Takes over a TLS socket whose handshake is done. Synchronous: no event may be missed. */
  const secureStream = (
    secure: tls.TLSSocket,
    raw: net.Socket,
    kind: "tcp" | "tls",
    remoteAddress: string | undefined,
    tlsServerEndPoint: Uint8Array | undefined,
  ): ByteStream => {
    track(secure);
    // Flow control must reach the raw socket: pausing `secure` alone does not stop reading.
    const streams = socketStreams(secure, { under: raw });
    const info = { kind, secure: true, remoteAddress, tlsServerEndPoint, ...exporterInfo(secure) };
    const close = () => closeSocket(secure, () => streams.drain());
    if (!clientCertificates) return new TcpStream(streams, info, close);
    // The peer certificate's verified names, when client certificates are asked for.
    const raw509 = secure.getPeerCertificate()?.raw;
    const peerDomains = raw509 && verifiedDomains(raw509, clientCertificates.trust);
    return new TcpStream(streams, peerDomains ? { ...info, peerDomains } : info, close);
  };
  const plainStream = (socket: net.Socket, remoteAddress: string | undefined): ByteStream => {
    const streams = socketStreams(socket);
    let upgrade: Promise<ByteStream> | undefined;
    const close = () =>
      upgrade
        ? upgrade.then((upgraded) => upgraded.close(), () => {})
        : closeSocket(socket, () => streams.drain());
    const info: TransportInfo = { kind: "tcp", secure: false, remoteAddress };
    if (!credentials) return new TcpStream(streams, info, close);
    const startTls = (): Promise<ByteStream> => {
      if (upgrade) return Promise.reject(new Error("Cannot start TLS: already started"));
      if (streams.locked) {
        return Promise.reject(
          new TypeError("Cannot start TLS: the readable or the writable is still locked"),
        );
      }
      if (!open.has(socket)) {
        return Promise.reject(new Error("Cannot start TLS: the connection is closed"));
      }
      // RFC 6120 §5.4.3.3: from here on, the bytes on the socket are TLS.
      const unread = streams.detach(UPGRADED);
      upgrade = acceptTls(socket, {
        credentials,
        timeoutMs: handshakeTimeoutMs,
        unread,
        requestCert: clientCertificates !== undefined,
        onSecure: (secure) =>
          secureStream(secure, socket, "tcp", remoteAddress, credentials.tlsServerEndPoint),
      });
      upgrade.catch((error) => tlsFailed(remoteAddress, error, false));
      return upgrade;
    };
    return new TcpStream(streams, info, close, startTls);
  };

  const server = net.createServer({ allowHalfOpen: false }, (socket) => {
    track(socket);
    const remoteAddress = socket.remoteAddress;
    socket.setNoDelay(true);
    socket.setKeepAlive(true, KEEP_ALIVE_DELAY_MS);
    if (!directTls || !credentials) {
      deliver(plainStream(socket, remoteAddress), remoteAddress);
      return;
    }
    acceptTls(socket, {
      credentials,
      timeoutMs: handshakeTimeoutMs,
      requestCert: clientCertificates !== undefined,
      onSecure: (secure) =>
        secureStream(secure, socket, "tls", remoteAddress, credentials.tlsServerEndPoint),
    }).then(
      (stream) => deliver(stream, remoteAddress),
      (error) => tlsFailed(remoteAddress, error, true),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen({ port, host: hostname }, () => {
      server.off("error", reject);
      resolve();
    });
  });
  server.on("error", (error) => logger.error("TCP listener failed", { error: describe(error) }));
  const address = server.address() as net.AddressInfo;

  let closing: Promise<void> | undefined;
  return {
    hostname: address.address,
    port: address.port,
    close() {
      closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const socket of open) socket.destroy();
      });
      return closing;
    },
  };
}

/**
 * The ByteStream of a socket: `readable` and `writable` are built only when asked for (the
 * core reads and writes through `channel`). A class: an idle connection holds one (#16).
 */
class TcpStream implements ByteStream {
  readonly #streams: SocketStreams;
  readonly info: TransportInfo;
  readonly close: () => Promise<void>;
  readonly startTls?: () => Promise<ByteStream>;

  constructor(
    streams: SocketStreams,
    info: TransportInfo,
    close: () => Promise<void>,
    startTls?: () => Promise<ByteStream>,
  ) {
    this.#streams = streams;
    this.info = info;
    this.close = close;
    if (startTls) this.startTls = startTls;
  }

  get readable(): ReadableStream<Uint8Array> {
    return this.#streams.readable;
  }

  get writable(): WritableStream<Uint8Array> {
    return this.#streams.writable;
  }

  get channel(): ByteChannel {
    return this.#streams.channel;
  }
}

/** An error's message, with its cause's. */
function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  return error.cause instanceof Error ? `${error.message}: ${error.cause.message}` : error.message;
}

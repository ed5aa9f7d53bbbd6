/**
 * The capability the core asks of a transport: a duplex byte stream.
 *
 * @module
 */

/** What a transport tells the core about a connection. */
export interface TransportInfo {
  /** Transport name, e.g. "tcp", "tls" (direct TLS), "websocket". */
  readonly kind: string;
  /** Whether the bytes are protected by TLS (or an equivalent the operator trusts). */
  readonly secure: boolean;
  /** Remote address, for logs and rate limits; never a secret. */
  readonly remoteAddress?: string;
  /**
   * Channel binding data for `tls-server-end-point` (RFC 5929 §4): the hash of the server
   * certificate. Present only on a TLS connection whose certificate the adapter knows.
   */
  readonly tlsServerEndPoint?: Uint8Array;
  /**
   * Channel binding data for `tls-exporter` (RFC 9266 §2): 32 bytes of keying material
   * exported with the label "EXPORTER-Channel-Binding" and an empty context. Present only on
   * a TLS 1.3 connection whose runtime can export keying material.
   */
  readonly tlsExporter?: Uint8Array;
  /**
   * The account the transport already authenticated (the host application checked its
   * session or bearer token when the connection was made): offered as SASL EXTERNAL.
   */
  readonly authenticatedAs?: string;
}

/** A duplex byte stream, as an adapter gives it to the core. */
export interface ByteStream {
  /** Bytes from the peer. */
  readonly readable: ReadableStream<Uint8Array>;
  /** Bytes to the peer. */
  readonly writable: WritableStream<Uint8Array>;
  /** Facts about the connection. */
  readonly info: TransportInfo;
  /**
   * Upgrades the connection to TLS in place (STARTTLS). Only where the transport can.
   * The core releases its reader and writer before calling it.
   */
  startTls?(): Promise<ByteStream>;
  /** Closes the connection. */
  close(): Promise<void>;
}

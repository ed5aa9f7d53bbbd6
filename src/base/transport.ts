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
  /**
   * The DNS names (RFC 6125 §6.4 reference identities, wildcards as written) of the peer's
   * certificate, present only when the adapter asked for one and it chains to a trusted CA:
   * what SASL EXTERNAL on server-to-server streams (XEP-0178) relies on.
   */
  readonly peerDomains?: readonly string[];
}

/**
 * Reads and writes of a {@linkcode ByteStream} without web streams: a lighter way in, for
 * transports that hold many idle connections (a pending `read()` is one promise, where a
 * `ReadableStream` read keeps a reader, a read request and their promises per connection).
 * It has one consumer, which uses either it or the stream's `readable` and `writable`, never
 * both. Reading has the same backpressure as the `readable`: the transport reads ahead a
 * bounded amount, then stops reading from the peer until `read()` is called again.
 */
export interface ByteChannel {
  /**
   * The next chunk from the peer, or `undefined` once the peer ended the stream (or after
   * {@linkcode ByteChannel.cancel}). One read at a time.
   *
   * @returns The chunk; rejects on a transport error (e.g. a reset).
   */
  read(): Promise<Uint8Array | undefined>;
  /**
   * Writes bytes to the peer.
   *
   * @param bytes The bytes; not to be changed afterwards.
   * @returns Resolves once the transport took them; rejects when it cannot (closed, failed).
   */
  write(bytes: Uint8Array): Promise<void>;
  /**
   * Stops reading (like cancelling the `readable`): a pending read resolves to `undefined`.
   * Does not close the connection; {@linkcode ByteStream.close} does.
   *
   * @returns When done.
   */
  cancel(): Promise<void>;
}

/** A duplex byte stream, as an adapter gives it to the core. */
export interface ByteStream {
  /** Bytes from the peer. */
  readonly readable: ReadableStream<Uint8Array>;
  /** Bytes to the peer. */
  readonly writable: WritableStream<Uint8Array>;
  /**
   * The same bytes without web streams, where the transport offers it (the TCP adapter
   * does): the core then uses it instead of `readable` and `writable`, which the adapter may
   * build only when asked for.
   */
  readonly channel?: ByteChannel;
  /** Facts about the connection. */
  readonly info: TransportInfo;
  /**
   * Upgrades the connection to TLS in place (STARTTLS). Only where the transport can.
   * The core releases its reader and writer (or stops using the channel) before calling it.
   */
  startTls?(): Promise<ByteStream>;
  /** Closes the connection. */
  close(): Promise<void>;
}

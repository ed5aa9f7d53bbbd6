/**
 * The stream header as the negotiation receives it.
 *
 * @module
 */

/**
 * A parsed `<stream:stream>` (or, on WebSocket, `<open/>`) header. Structurally identical to
 * the `StreamHeader` of `src/xml/stream_parser.ts`, so the parser's value can be passed as is;
 * it is declared here so that negotiation does not depend on the parser.
 */
export interface StreamHeader {
  /** Local name of the stream element: "stream" (or "open" with WebSocket framing). */
  readonly name: string;
  /** Resolved namespace of the stream element: http://etherx.jabber.org/streams. */
  readonly xmlns: string;
  /** The default namespace declared on the header, e.g. "jabber:client" ("" if none). */
  readonly contentNs: string;
  /** Attributes by qualified name (`xml:lang`), without namespace declarations. */
  readonly attrs: Readonly<Record<string, string>>;
}

/**
 * What {@linkcode StreamParser} reports: the stream header, each top-level element, the end
 * of the stream.
 *
 * @module
 */
import type { Element } from "./element.ts";

/** The stream header `<stream:stream ...>` (RFC 6120 §4.7), as the "open" event carries it. */
export interface StreamHeader {
  /**
   * Local name of the stream element. The parser does not check it: a session should expect
   * "stream", and `xmlns` http://etherx.jabber.org/streams.
   */
  readonly name: string;
  /** Resolved namespace of the stream element. */
  readonly xmlns: string;
  /** The default namespace declared on the header, e.g. "jabber:client" ("" if none). */
  readonly contentNs: string;
  /** Attributes by qualified name (`xml:lang`), without namespace declarations. */
  readonly attrs: Readonly<Record<string, string>>;
}

/**
 * An event of an XMPP stream: "open" for the stream header, "element" for each complete
 * top-level element (a stanza or a nonza such as `<stream:features/>`), "close" for
 * `</stream:stream>`.
 */
export type StreamEvent =
  | { readonly kind: "open"; readonly header: StreamHeader }
  | { readonly kind: "element"; readonly element: Element }
  | { readonly kind: "close" };

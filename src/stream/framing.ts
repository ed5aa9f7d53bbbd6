/**
 * How a transport writes stream headers, elements and stream ends. TCP writes an XML stream
 * (RFC 6120 §4); WebSocket (RFC 7395) writes framed `<open/>` and `<close/>`.
 *
 * @module
 */
import type { Element } from "../xml/element.ts";
import { serialize, streamClose, streamOpen } from "../xml/serializer.ts";

/** The wire format of a transport. */
export interface Framing {
  /** Whether every message holds one complete element (parser in framed mode). */
  readonly framed: boolean;
  /** Writes our stream header. */
  open(attrs: Readonly<Record<string, string>>): string;
  /** Writes one top-level element. */
  element(el: Element): string;
  /** Writes the end of our stream. */
  close(): string;
}

/**
 * The XML stream framing of TCP (RFC 6120 §4.2).
 *
 * @example
 * ```ts
 * import { streamFraming } from "./framing.ts";
 * if (!streamFraming.close().includes("stream:stream")) throw new Error();
 * ```
 */
export const streamFraming: Framing = {
  framed: false,
  open: (attrs) => streamOpen({ ...attrs }),
  element: (el) => serialize(el),
  close: () => streamClose(),
};

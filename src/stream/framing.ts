/**
 * How a transport writes stream headers, elements and stream ends. TCP writes an XML stream
 * (RFC 6120 §4); WebSocket (RFC 7395) writes framed `<open/>` and `<close/>`.
 *
 * @module
 */
import { type Element, xml } from "../xml/element.ts";
import { NS } from "../xml/ns.ts";
import { serialize, streamClose, streamOpen } from "../xml/serializer.ts";
import type { StreamEvent } from "../xml/stream_event.ts";

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
  /**
   * Framed transports only: whether every chunk the transport delivers (one WebSocket
   * message) must hold exactly one complete element (RFC 7395 §3.3.3).
   */
  readonly oneElementPerChunk?: boolean;
  /**
   * Framed transports only: maps a top-level element to the stream event it stands for, e.g.
   * RFC 7395 `<open/>` to "open" and `<close/>` to "close".
   */
  decode?(el: Element): StreamEvent;
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

/** One element as a document of its own: `stream:` elements declare their prefix. */
function standalone(el: Element): string {
  const text = serialize(el, "");
  if (el.xmlns !== NS.STREAM) return text;
  const at = 1 + "stream:".length + el.name.length;
  return text.slice(0, at) + ` xmlns:stream="${NS.STREAM}"` + text.slice(at);
}

/**
 * The WebSocket framing of RFC 7395 §3.3: `<open/>` and `<close/>` in
 * urn:ietf:params:xml:ns:xmpp-framing instead of the stream element, every element written
 * as a standalone document (so stanzas carry `xmlns='jabber:client'`), one per message.
 *
 * @example
 * ```ts
 * import { websocketFraming } from "./framing.ts";
 * import { xml } from "../xml/element.ts";
 * const ev = websocketFraming.decode!(xml("close", { xmlns: "urn:ietf:params:xml:ns:xmpp-framing" }));
 * if (ev.kind !== "close") throw new Error();
 * if (!websocketFraming.close().startsWith("<close")) throw new Error();
 * ```
 */
export const websocketFraming: Framing = {
  framed: true,
  oneElementPerChunk: true,
  open: (attrs) => serialize(xml("open", { xmlns: NS.FRAMING, ...attrs }), ""),
  element: standalone,
  close: () => serialize(xml("close", { xmlns: NS.FRAMING }), ""),
  decode(el) {
    if (el.xmlns === NS.FRAMING && el.name === "open") {
      const { xmlns: _, ...attrs } = el.attrs;
      return { kind: "open", header: { name: "open", xmlns: NS.FRAMING, contentNs: "", attrs } };
    }
    if (el.xmlns === NS.FRAMING && el.name === "close") return { kind: "close" };
    return { kind: "element", element: el };
  },
};

/**
 * Builds the `<close/>` that redirects a WebSocket client to another endpoint
 * (RFC 7395 §3.6.1, `see-other-uri`).
 *
 * @param uri The WebSocket URI the client should use instead.
 * @returns The serialized `<close/>`.
 * @example
 * ```ts
 * import { seeOtherUri } from "./framing.ts";
 * if (!seeOtherUri("wss://b.example/ws").includes("see-other-uri")) throw new Error();
 * ```
 */
export function seeOtherUri(uri: string): string {
  return serialize(xml("close", { xmlns: NS.FRAMING, "see-other-uri": uri }), "");
}

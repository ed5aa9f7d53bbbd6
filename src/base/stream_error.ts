/**
 * Stream errors (RFC 6120 §4.9): unrecoverable, they end the stream.
 *
 * @module
 */
import { type Element, xml } from "../xml/element.ts";
import { NS } from "../xml/ns.ts";

/** The defined stream error conditions of RFC 6120 §4.9.3. */
export type StreamErrorCondition =
  | "bad-format"
  | "bad-namespace-prefix"
  | "conflict"
  | "connection-timeout"
  | "host-gone"
  | "host-unknown"
  | "improper-addressing"
  | "internal-server-error"
  | "invalid-from"
  | "invalid-namespace"
  | "invalid-xml"
  | "not-authorized"
  | "not-well-formed"
  | "policy-violation"
  | "remote-connection-failed"
  | "reset"
  | "resource-constraint"
  | "restricted-xml"
  | "see-other-host"
  | "system-shutdown"
  | "undefined-condition"
  | "unsupported-encoding"
  | "unsupported-feature"
  | "unsupported-stanza-type"
  | "unsupported-version";

/** A stream-level failure; throwing one closes the stream with `<stream:error/>`. */
export class StreamError extends Error {
  /** The RFC 6120 condition. */
  readonly condition: StreamErrorCondition;
  /** Optional human-readable text sent in `<text/>`. */
  readonly text?: string;
  /** Content of the condition element, e.g. the URI of see-other-host. */
  readonly detail?: string;

  /**
   * Creates a stream error.
   *
   * @param condition The RFC 6120 condition.
   * @param text Optional text for the peer.
   * @param detail Optional content of the condition element.
   */
  constructor(condition: StreamErrorCondition, text?: string, detail?: string) {
    super(text ? `Stream error "${condition}": ${text}` : `Stream error "${condition}"`);
    this.name = "StreamError";
    this.condition = condition;
    this.text = text;
    this.detail = detail;
  }

  /**
   * Builds the `<stream:error/>` element.
   *
   * @returns The element in the streams namespace.
   */
  toElement(): Element {
    return streamErrorElement(this.condition, this.text, this.detail);
  }
}

/**
 * Builds a `<stream:error/>` element.
 *
 * @param condition The RFC 6120 condition.
 * @param text Optional text for the peer.
 * @param detail Optional content of the condition element.
 * @returns The element.
 * @example
 * ```ts
 * import { streamErrorElement } from "./stream_error.ts";
 * const e = streamErrorElement("host-unknown");
 * if (e.name !== "error") throw new Error();
 * ```
 */
export function streamErrorElement(
  condition: StreamErrorCondition,
  text?: string,
  detail?: string,
): Element {
  return xml(
    "error",
    { xmlns: NS.STREAM },
    xml(condition, { xmlns: NS.STREAMS }, detail),
    text ? xml("text", { xmlns: NS.STREAMS, "xml:lang": "en" }, text) : undefined,
  );
}

/**
 * Reads a `<stream:error/>` the peer sent: the name of its condition element (RFC 6120
 * §4.9.2), or "undefined-condition" when it names none. Its text is not returned: it is the
 * peer's, and is not logged.
 *
 * @param element A top-level element from the peer.
 * @returns The condition, or `undefined` when the element is not a stream error.
 * @example
 * ```ts
 * import { receivedStreamError, streamErrorElement } from "./stream_error.ts";
 * if (receivedStreamError(streamErrorElement("conflict")) !== "conflict") throw new Error();
 * ```
 */
export function receivedStreamError(element: Element): string | undefined {
  if (element.name !== "error" || element.xmlns !== NS.STREAM) return undefined;
  for (const child of element.children) {
    if (typeof child !== "string" && child.xmlns === NS.STREAMS && child.name !== "text") {
      return child.name;
    }
  }
  return "undefined-condition";
}

/**
 * Stanza errors (RFC 6120 §8.3): recoverable, reported to the sender of one stanza.
 *
 * @module
 */
import { type Element, xml } from "../xml/element.ts";
import { NS } from "../xml/ns.ts";

/** The defined stanza error conditions of RFC 6120 §8.3.3. */
export type StanzaErrorCondition =
  | "bad-request"
  | "conflict"
  | "feature-not-implemented"
  | "forbidden"
  | "gone"
  | "internal-server-error"
  | "item-not-found"
  | "jid-malformed"
  | "not-acceptable"
  | "not-allowed"
  | "not-authorized"
  | "policy-violation"
  | "recipient-unavailable"
  | "redirect"
  | "registration-required"
  | "remote-server-not-found"
  | "remote-server-timeout"
  | "resource-constraint"
  | "service-unavailable"
  | "subscription-required"
  | "undefined-condition"
  | "unexpected-request";

/** The error types of RFC 6120 §8.3.2. */
export type StanzaErrorType = "auth" | "cancel" | "continue" | "modify" | "wait";

/** A failure to handle one stanza; the framework answers it with an error stanza. */
export class StanzaError extends Error {
  /** The RFC 6120 condition. */
  readonly condition: StanzaErrorCondition;
  /** The RFC 6120 error type. */
  readonly type: StanzaErrorType;
  /** Optional text for the sender. */
  readonly text?: string;
  /** Optional application-specific condition (RFC 6120 §8.3.2), e.g. a pubsub#errors element. */
  readonly app?: Element;

  /**
   * Creates a stanza error.
   *
   * @param condition The RFC 6120 condition.
   * @param type The error type.
   * @param text Optional text for the sender.
   * @param app Optional application-specific condition element.
   */
  constructor(
    condition: StanzaErrorCondition,
    type: StanzaErrorType,
    text?: string,
    app?: Element,
  ) {
    super(text ? `Stanza error "${condition}": ${text}` : `Stanza error "${condition}"`);
    this.name = "StanzaError";
    this.condition = condition;
    this.type = type;
    this.text = text;
    this.app = app;
  }
}

/**
 * Builds the error reply to a stanza (RFC 6120 §8.3.1): same name and id, `to` and `from`
 * swapped, `type="error"`, and the `<error/>` child. The original payload is not echoed.
 *
 * @param stanza The stanza that failed. It must not itself be of type error.
 * @param error The condition to report.
 * @param from The address the error comes from; defaults to the stanza's `to`.
 * @returns The error stanza.
 * @example
 * ```ts
 * import { errorReply, StanzaError } from "./stanza_error.ts";
 * import { xml } from "../xml/element.ts";
 * const iq = xml("iq", { xmlns: "jabber:client", type: "get", id: "1", from: "a@b/c" });
 * const reply = errorReply(iq, new StanzaError("service-unavailable", "cancel"));
 * if (reply.attrs.type !== "error" || reply.attrs.to !== "a@b/c") throw new Error();
 * ```
 */
export function errorReply(stanza: Element, error: StanzaError, from?: string): Element {
  return xml(
    stanza.name,
    {
      xmlns: stanza.xmlns || NS.CLIENT,
      type: "error",
      id: stanza.attrs.id,
      to: stanza.attrs.from,
      from: from ?? stanza.attrs.to,
    },
    xml(
      "error",
      { type: error.type },
      xml(error.condition, { xmlns: NS.STANZAS }),
      error.text ? xml("text", { xmlns: NS.STANZAS, "xml:lang": "en" }, error.text) : undefined,
      error.app,
    ),
  );
}

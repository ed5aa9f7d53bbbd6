/**
 * Checks a top-level element from a bound client and stamps its sender (RFC 6120 §8.1.2.1),
 * as a pure function.
 *
 * @module
 */
import { type FullJid, toBare, tryParseJid } from "../jid/jid.ts";
import { StreamError } from "../base/stream_error.ts";
import { type Element, withAttrs } from "../xml/element.ts";
import { NS } from "../xml/ns.ts";
import { StanzaError } from "../base/stanza_error.ts";

/** What to do with an element from a bound client. */
export type IntakeResult =
  /** Route the stamped stanza. */
  | { readonly kind: "route"; readonly stanza: Element }
  /** Answer the stanza with this error (never for error stanzas). */
  | { readonly kind: "reply"; readonly error: StanzaError; readonly stanza: Element }
  /** Drop silently (an error stanza that cannot be answered). */
  | { readonly kind: "drop" }
  /** A top-level element that is not a stanza: hand it to the nonza hook. */
  | { readonly kind: "nonza" }
  /** End the stream. */
  | { readonly kind: "stream-error"; readonly error: StreamError };

const STANZAS = new Set(["message", "presence", "iq"]);
const IQ_TYPES = new Set(["get", "set", "result", "error"]);
// RFC 6121 §4.7.1: the presence types; anything else is a bad request.
const PRESENCE_TYPES = new Set([
  "unavailable",
  "subscribe",
  "subscribed",
  "unsubscribe",
  "unsubscribed",
  "probe",
  "error",
]);

function childCount(el: Element): number {
  let n = 0;
  for (const c of el.children) if (typeof c !== "string") n++;
  return n;
}

/**
 * Validates an element received from a bound client and stamps `from` with the session's
 * full JID.
 *
 * @param el The top-level element as parsed.
 * @param jid The session's full JID.
 * @returns The decision.
 * @example
 * ```ts
 * import { intake } from "./intake.ts";
 * import { xml } from "../xml/element.ts";
 * import type { FullJid } from "../jid/jid.ts";
 * const r = intake(xml("message", { xmlns: "jabber:client", to: "b@localhost" }), "a@localhost/r" as FullJid);
 * if (r.kind !== "route" || r.stanza.attrs.from !== "a@localhost/r") throw new Error();
 * ```
 */
export function intake(el: Element, jid: FullJid): IntakeResult {
  if (!STANZAS.has(el.name)) return { kind: "nonza" };
  if (el.xmlns !== NS.CLIENT) {
    // RFC 6120 §4.9.3.10: stanzas of a c2s stream are qualified by jabber:client.
    return { kind: "stream-error", error: new StreamError("invalid-namespace") };
  }
  const isError = el.attrs.type === "error";
  const from = el.attrs.from;
  if (from !== undefined) {
    const parsed = tryParseJid(from);
    // RFC 6120 §4.9.3.9 and §8.1.2.1: a 'from' that is neither the session's full JID nor its
    // bare JID is not an authorized address.
    if (!parsed || (parsed.full !== jid && parsed.full !== toBare(jid))) {
      return { kind: "stream-error", error: new StreamError("invalid-from") };
    }
  }
  const stanza = withAttrs(el, { from: jid });
  const fail = (error: StanzaError): IntakeResult =>
    isError ? { kind: "drop" } : { kind: "reply", error, stanza };
  if (stanza.attrs.to !== undefined && !tryParseJid(stanza.attrs.to)) {
    return fail(new StanzaError("jid-malformed", "modify"));
  }
  if (el.name === "iq") {
    const type = el.attrs.type;
    if (!type || !IQ_TYPES.has(type)) {
      return fail(new StanzaError("bad-request", "modify", "Invalid iq type"));
    }
    // RFC 6120 §8.2.3: the id is required, and a get or set has exactly one child.
    if (!el.attrs.id) return fail(new StanzaError("bad-request", "modify", "Missing iq id"));
    if ((type === "get" || type === "set") && childCount(el) !== 1) {
      return fail(new StanzaError("bad-request", "modify", "An iq get or set needs one child"));
    }
    if (type === "result" && childCount(el) > 1) {
      return fail(new StanzaError("bad-request", "modify", "An iq result has at most one child"));
    }
  } else if (el.name === "presence") {
    const type = el.attrs.type;
    if (type !== undefined && !PRESENCE_TYPES.has(type)) {
      return fail(new StanzaError("bad-request", "modify", `Unknown presence type "${type}"`));
    }
  }
  return { kind: "route", stanza };
}

/**
 * The pure decisions of server-to-server streams: which stanzas an incoming stream may carry
 * (RFC 6120 §4.9.3, §13.2; XEP-0220 §2.3), what queued stanzas become when a remote domain
 * cannot be reached (RFC 6120 §10.4.3), and the dialback elements (XEP-0220 §2).
 *
 * @module
 */
import { StanzaError } from "../../base/stanza_error.ts";
import { StreamError } from "../../base/stream_error.ts";
import { tryParseJid } from "../../jid/jid.ts";
import { type Element, xml } from "../../xml/element.ts";
import { NS } from "../../xml/ns.ts";

const STANZAS = new Set(["message", "presence", "iq"]);

/** The key of an authenticated domain pair: originating (the peer's) and receiving (ours). */
export function pairKey(originating: string, receiving: string): string {
  return `${originating} ${receiving}`;
}

/**
 * Why a top-level element of an incoming s2s stream may not be routed, or `undefined` when it
 * may. Before any dialback success every stanza is `<not-authorized/>`; a `from` whose domain
 * the stream is not authenticated for is `<invalid-from/>`; a `to` outside the pairs the
 * stream is authenticated for is `<host-unknown/>`.
 *
 * @param el The element, in `jabber:server`.
 * @param pairs The authenticated pairs ({@linkcode pairKey}).
 * @returns The stream error, or `undefined`.
 * @example
 * ```ts
 * import { inboundStanzaError, pairKey } from "./checks.ts";
 * import { xml } from "../../xml/element.ts";
 * const pairs = new Set([pairKey("b.example", "a.example")]);
 * const spoofed = xml("message", { xmlns: "jabber:server", from: "x@evil.example", to: "u@a.example" });
 * if (inboundStanzaError(spoofed, pairs)?.condition !== "invalid-from") throw new Error();
 * ```
 */
export function inboundStanzaError(
  el: Element,
  pairs: ReadonlySet<string>,
): StreamError | undefined {
  if (!STANZAS.has(el.name)) return new StreamError("unsupported-stanza-type");
  if (el.xmlns !== NS.SERVER) return new StreamError("invalid-namespace");
  if (pairs.size === 0) return new StreamError("not-authorized");
  const from = tryParseJid(el.attrs.from ?? "");
  const to = tryParseJid(el.attrs.to ?? "");
  if (!from || !to) return new StreamError("improper-addressing");
  const originating = [...pairs].some((p) => p.startsWith(from.domain + " "));
  if (!originating) return new StreamError("invalid-from");
  if (!pairs.has(pairKey(from.domain, to.domain))) return new StreamError("host-unknown");
  return undefined;
}

/**
 * What happens to a stanza that cannot reach its remote domain (RFC 6120 §10.4.3): messages and
 * iq requests bounce with the condition, presence and responses are dropped.
 *
 * @param stanza The stanza.
 * @param condition Why: the domain was not found, or did not answer in time.
 * @returns The error to bounce it with, or `undefined` to drop it.
 * @example
 * ```ts
 * import { undeliverableError } from "./checks.ts";
 * import { xml } from "../../xml/element.ts";
 * if (undeliverableError(xml("presence", {}), "remote-server-timeout")) throw new Error();
 * ```
 */
export function undeliverableError(
  stanza: Element,
  condition: "remote-server-not-found" | "remote-server-timeout",
): StanzaError | undefined {
  const type = stanza.attrs.type;
  if (stanza.name === "presence" || type === "error") return undefined;
  if (stanza.name === "iq" && type !== "get" && type !== "set") return undefined;
  return new StanzaError(condition, condition === "remote-server-timeout" ? "wait" : "cancel");
}

/**
 * A dialback element (XEP-0220 §2): `<db:result/>` or `<db:verify/>`.
 *
 * @param name "result" or "verify".
 * @param attrs from, to, and id or type.
 * @param key The key, for requests.
 * @returns The element.
 */
export function dialbackElement(
  name: "result" | "verify",
  attrs: Readonly<Record<string, string | undefined>>,
  key?: string,
): Element {
  return xml(name, { xmlns: NS.DIALBACK, ...attrs }, key);
}

/**
 * A dialback error reply (XEP-0220 §2.4): `type='error'` with a stanza error condition.
 *
 * @param request The `<db:result/>` or `<db:verify/>` being answered.
 * @param condition E.g. `item-not-found` for a domain we do not host.
 * @returns The reply.
 */
export function dialbackError(request: Element, condition: string): Element {
  return xml(
    request.name,
    {
      xmlns: NS.DIALBACK,
      from: request.attrs.to,
      to: request.attrs.from,
      id: request.attrs.id,
      type: "error",
    },
    xml("error", { type: "cancel" }, xml(condition, { xmlns: NS.STANZAS })),
  );
}

/**
 * Whether a certificate's DNS names cover a domain (RFC 6125 §6.4.3): an exact match, or a
 * wildcard `*.` standing for exactly one leftmost label.
 *
 * @param domain The domain claimed (prepared, lowercase).
 * @param names The certificate's DNS names.
 * @returns Whether one of them matches.
 * @example
 * ```ts
 * import { certificateCovers } from "./checks.ts";
 * if (!certificateCovers("a.example", ["*.example"]) || certificateCovers("b.a.example", ["*.example"])) {
 *   throw new Error();
 * }
 * ```
 */
export function certificateCovers(domain: string, names: readonly string[]): boolean {
  return names.some((raw) => {
    const name = raw.toLowerCase().replace(/\.$/, "");
    if (!name.startsWith("*.")) return name === domain;
    const dot = domain.indexOf(".");
    return dot > 0 && domain.slice(dot + 1) === name.slice(2);
  });
}

/**
 * Where a stanza goes, decided from its `to` address alone (RFC 6120 §10).
 *
 * @module
 */
import type { Jid } from "../jid/jid.ts";

/** The destination class of a stanza. */
export type Destination =
  /** The server itself: no `to`, or a hosted domain (with or without resource). */
  | { readonly kind: "server"; readonly domain: string }
  /** A bare JID of a hosted domain (an account, whether it exists or not). */
  | { readonly kind: "bare"; readonly jid: Jid }
  /** A full JID of a hosted domain. */
  | { readonly kind: "full"; readonly jid: Jid }
  /** A domain this server does not host (federation, a later issue). */
  | { readonly kind: "remote"; readonly jid: Jid };

/**
 * Classifies a stanza's destination.
 *
 * @param to The parsed `to` address.
 * @param hosted The hosted domains.
 * @returns The destination class.
 * @example
 * ```ts
 * import { classify } from "./classify.ts";
 * import { parseJid } from "../jid/jid.ts";
 * const d = classify(parseJid("alice@localhost/phone"), new Set(["localhost"]));
 * if (d.kind !== "full") throw new Error();
 * ```
 */
export function classify(to: Jid, hosted: ReadonlySet<string>): Destination {
  if (!hosted.has(to.domain)) return { kind: "remote", jid: to };
  if (!to.local) return { kind: "server", domain: to.domain };
  return to.resource ? { kind: "full", jid: to } : { kind: "bare", jid: to };
}

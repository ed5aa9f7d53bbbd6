/**
 * Where a stanza goes, decided from its `to` address alone (RFC 6120 §10).
 *
 * @module
 */
import type { Jid } from "../jid/jid.ts";
import type { DomainKind } from "./domains.ts";

/** The destination class of a stanza. */
export type Destination =
  /** The server itself: no `to`, or a hosted domain (with or without resource). */
  | { readonly kind: "server"; readonly domain: string }
  /** A bare JID of a hosted domain (an account, whether it exists or not). */
  | { readonly kind: "bare"; readonly jid: Jid }
  /** A full JID of a hosted domain. */
  | { readonly kind: "full"; readonly jid: Jid }
  /** A component's domain or any JID of it. */
  | { readonly kind: "component"; readonly jid: Jid }
  /** A domain this server neither hosts nor serves with a component (federation). */
  | { readonly kind: "remote"; readonly jid: Jid };

/** What {@linkcode classify} needs to know of domains. */
export interface DomainKinds {
  /** The kind of a prepared domain. */
  kind(domain: string): DomainKind;
}

/**
 * Classifies a stanza's destination.
 *
 * @param to The parsed `to` address.
 * @param domains What each domain is.
 * @returns The destination class.
 * @example
 * ```ts
 * import { classify } from "./classify.ts";
 * import { parseJid } from "../jid/jid.ts";
 * const domains = { kind: (d: string) => d === "localhost" ? "hosted" as const : "remote" as const };
 * const d = classify(parseJid("alice@localhost/phone"), domains);
 * if (d.kind !== "full") throw new Error();
 * ```
 */
export function classify(to: Jid, domains: DomainKinds): Destination {
  switch (domains.kind(to.domain)) {
    case "remote":
      return { kind: "remote", jid: to };
    case "component":
      return { kind: "component", jid: to };
    case "hosted":
      if (!to.local) return { kind: "server", domain: to.domain };
      return to.resource ? { kind: "full", jid: to } : { kind: "bare", jid: to };
  }
}

/**
 * JIDs (RFC 7622): parsing, preparation and the branded string types used everywhere.
 *
 * Preparation approximates the PRECIS profiles with web-standard APIs: the localpart is
 * NFC-normalized and lower-cased (UsernameCaseMapped), the domain lower-cased without a final
 * dot, the resource NFC-normalized (OpaqueString).
 *
 * @module
 */

/** A prepared bare JID `local@domain` (or a domain alone). */
export type BareJid = string & { readonly __jid: "bare" };
/** A prepared full JID `local@domain/resource`. */
export type FullJid = string & { readonly __jid: "full" };

/** A parsed, prepared JID. */
export interface Jid {
  /** Localpart, "" when absent. */
  readonly local: string;
  /** Domainpart. */
  readonly domain: string;
  /** Resourcepart, "" when absent. */
  readonly resource: string;
  /** The bare JID. */
  readonly bare: BareJid;
  /** The full JID when there is a resource, else the bare JID. */
  readonly full: BareJid | FullJid;
}

/** A JID that cannot be prepared; maps to the `jid-malformed` stanza error. */
export class JidError extends SyntaxError {
  /**
   * Creates a JID error.
   *
   * @param message What is wrong with the JID.
   */
  constructor(message: string) {
    super(message);
    this.name = "JidError";
  }
}

const encoder = new TextEncoder();
const MAX_PART = 1023; // RFC 7622 §3.2-3.4: each part is 1 to 1023 octets
// deno-lint-ignore no-control-regex
const FORBIDDEN_LOCAL = /[\s"&'/:<>@\u0000-\u001f\u007f]/u;
// deno-lint-ignore no-control-regex
const FORBIDDEN_DOMAIN = /[\s@/\u0000-\u001f\u007f]/u;
// deno-lint-ignore no-control-regex
const FORBIDDEN_RESOURCE = /[\u0000-\u001f\u007f]/u;

function checkLength(part: string, what: string, raw: string): void {
  const len = part.length > MAX_PART / 3 ? encoder.encode(part).length : part.length;
  if (len === 0 || len > MAX_PART) throw new JidError(`Cannot parse JID "${raw}": bad ${what}`);
}

/**
 * Prepares a localpart (UsernameCaseMapped approximation).
 *
 * @param local The raw localpart.
 * @returns The prepared localpart.
 * @throws {JidError} When it is empty, too long or holds a forbidden character.
 * @example
 * ```ts
 * import { prepLocal } from "./jid.ts";
 * if (prepLocal("Alice") !== "alice") throw new Error();
 * ```
 */
export function prepLocal(local: string): string {
  const out = local.normalize("NFC").toLowerCase();
  checkLength(out, "localpart", local);
  if (FORBIDDEN_LOCAL.test(out)) throw new JidError(`Cannot parse localpart "${local}"`);
  return out;
}

/**
 * Prepares a domainpart.
 *
 * @param domain The raw domainpart.
 * @returns The prepared domainpart.
 * @throws {JidError} When it is empty, too long or holds a forbidden character.
 * @example
 * ```ts
 * import { prepDomain } from "./jid.ts";
 * if (prepDomain("LocalHost.") !== "localhost") throw new Error();
 * ```
 */
export function prepDomain(domain: string): string {
  let out = domain.normalize("NFC").toLowerCase();
  if (out.endsWith(".")) out = out.slice(0, -1);
  checkLength(out, "domainpart", domain);
  if (FORBIDDEN_DOMAIN.test(out)) throw new JidError(`Cannot parse domainpart "${domain}"`);
  return out;
}

/**
 * Prepares a resourcepart (OpaqueString approximation).
 *
 * @param resource The raw resourcepart.
 * @returns The prepared resourcepart.
 * @throws {JidError} When it is empty, too long or holds a control character.
 * @example
 * ```ts
 * import { prepResource } from "./jid.ts";
 * if (prepResource("phone") !== "phone") throw new Error();
 * ```
 */
export function prepResource(resource: string): string {
  const out = resource.normalize("NFC");
  checkLength(out, "resourcepart", resource);
  if (FORBIDDEN_RESOURCE.test(out)) throw new JidError(`Cannot parse resourcepart "${resource}"`);
  return out;
}

/**
 * Parses and prepares a JID string.
 *
 * @param raw The JID as received.
 * @returns The parsed JID.
 * @throws {JidError} When the JID is malformed.
 * @example
 * ```ts
 * import { parseJid } from "./jid.ts";
 * const j = parseJid("Alice@Example.com/Phone");
 * if (j.bare !== "alice@example.com" || j.resource !== "Phone") throw new Error();
 * ```
 */
export function parseJid(raw: string): Jid {
  // RFC 7622 §3.1: the resource starts at the first "/", the localpart ends at the first "@"
  // before it.
  const slash = raw.indexOf("/");
  const head = slash === -1 ? raw : raw.slice(0, slash);
  const at = head.indexOf("@");
  const local = at === -1 ? "" : prepLocal(head.slice(0, at));
  const domain = prepDomain(at === -1 ? head : head.slice(at + 1));
  const resource = slash === -1 ? "" : prepResource(raw.slice(slash + 1));
  const bare = (local ? `${local}@${domain}` : domain) as BareJid;
  const full = resource ? `${bare}/${resource}` as FullJid : bare;
  return { local, domain, resource, bare, full };
}

/**
 * Parses a JID, returning `undefined` instead of throwing.
 *
 * @param raw The JID as received.
 * @returns The parsed JID, or `undefined` when it is malformed.
 * @example
 * ```ts
 * import { tryParseJid } from "./jid.ts";
 * if (tryParseJid("a@b@c") !== undefined) throw new Error();
 * ```
 */
export function tryParseJid(raw: string): Jid | undefined {
  try {
    return parseJid(raw);
  } catch (e) {
    if (e instanceof JidError) return undefined;
    throw e;
  }
}

/**
 * Builds a bare JID from prepared parts.
 *
 * @param local Prepared localpart.
 * @param domain Prepared domainpart.
 * @returns The bare JID.
 * @example
 * ```ts
 * import { bareJid } from "./jid.ts";
 * if (bareJid("alice", "localhost") !== "alice@localhost") throw new Error();
 * ```
 */
export function bareJid(local: string, domain: string): BareJid {
  return (local ? `${local}@${domain}` : domain) as BareJid;
}

/**
 * Builds a full JID from a bare JID and a prepared resource.
 *
 * @param bare The bare JID.
 * @param resource Prepared resourcepart.
 * @returns The full JID.
 * @example
 * ```ts
 * import { fullJid } from "./jid.ts";
 * import type { BareJid } from "./jid.ts";
 * if (fullJid("a@b" as BareJid, "r") !== "a@b/r") throw new Error();
 * ```
 */
export function fullJid(bare: BareJid, resource: string): FullJid {
  return `${bare}/${resource}` as FullJid;
}

/**
 * Returns the bare part of a prepared JID string.
 *
 * @param jid A prepared bare or full JID.
 * @returns The bare JID.
 * @example
 * ```ts
 * import { toBare } from "./jid.ts";
 * import type { FullJid } from "./jid.ts";
 * if (toBare("a@b/r" as FullJid) !== "a@b") throw new Error();
 * ```
 */
export function toBare(jid: BareJid | FullJid): BareJid {
  const slash = jid.indexOf("/");
  return (slash === -1 ? jid : jid.slice(0, slash)) as BareJid;
}

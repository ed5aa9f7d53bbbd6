/**
 * Invitations (#15 item 6, XEP-0401 / XEP-0445): one-time registration tokens kept in the
 * document store, under the SHA-256 of the token so that a copy of the database does not
 * hold usable tokens.
 *
 * @module
 */
import { documentCollection } from "./document_collection.ts";
import type { DocumentStore } from "./document_store.ts";

/** The document namespace of invitations. */
const NS = "invites";
const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, "0"));

/** A stored invitation (the token itself is not stored). */
interface StoredInvite {
  /** When it stops being accepted, ms since the epoch. */
  readonly expires: number;
  /** Who created it (a bare JID, or "cli"). */
  readonly createdBy: string;
}

/** A new invitation. */
export interface Invite {
  /** The secret token (XEP-0401 `preauth`). */
  readonly token: string;
  /** When it expires. */
  readonly expires: Date;
  /** The XEP-0401 URI: `xmpp:DOMAIN?register;preauth=TOKEN`. */
  readonly uri: string;
}

/** Options of {@linkcode InviteTokens.create}. */
export interface InviteOptions {
  /** The domain the new account will be on. */
  readonly domain: string;
  /** How long the invitation is accepted, in ms; default 7 days. */
  readonly ttlMs?: number;
  /** Who creates it (logged with it). */
  readonly createdBy?: string;
}

/** One-time registration tokens. */
export class InviteTokens {
  readonly #docs;
  readonly #now: () => number;

  /**
   * Opens the invitations of a storage.
   *
   * @param storage Where the invitations live (`storage.documents`).
   * @param now The clock, in ms.
   */
  constructor(storage: { readonly documents: DocumentStore }, now: () => number = Date.now) {
    this.#docs = documentCollection<StoredInvite>(storage, NS);
    this.#now = now;
  }

  /**
   * Creates an invitation.
   *
   * @param options The domain, lifetime and creator.
   * @returns The token, its expiry and URI.
   * @throws {RangeError} When `ttlMs` is not positive.
   */
  async create(options: InviteOptions): Promise<Invite> {
    const ttl = options.ttlMs ?? 7 * 24 * 3600_000;
    if (!(ttl > 0)) throw new RangeError(`Cannot create an invitation: ttlMs ${ttl} is not > 0`);
    const bytes = crypto.getRandomValues(new Uint8Array(18));
    const token = btoa(String.fromCharCode(...bytes)).replaceAll("+", "-").replaceAll("/", "_");
    const expires = this.#now() + ttl;
    await this.#docs.put(await key(token), { expires, createdBy: options.createdBy ?? "" });
    return { token, expires: new Date(expires), uri: inviteUri(options.domain, token) };
  }

  /**
   * Whether a token is known and not expired (it stays usable).
   *
   * @param token The token.
   * @returns `true` when it may be redeemed.
   */
  async valid(token: string): Promise<boolean> {
    if (!wellFormed(token)) return false;
    const invite = await this.#docs.get(await key(token));
    return invite !== undefined && invite.expires > this.#now();
  }

  /**
   * Uses a token up.
   *
   * @param token The token.
   * @returns `true` once for a valid token, `false` when used, expired or unknown.
   */
  async redeem(token: string): Promise<boolean> {
    if (!wellFormed(token)) return false;
    const k = await key(token);
    const entry = await this.#docs.entry(k);
    if (!entry) return false;
    // The version check makes two redemptions at once succeed only once.
    const removed = await this.#docs.delete(k, { ifVersion: entry.version });
    return removed && entry.value.expires > this.#now();
  }
}

function wellFormed(token: string): boolean {
  return /^[A-Za-z0-9_-]{16,64}$/.test(token);
}

async function key(token: string): Promise<string> {
  const hash = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(token));
  let s = "";
  for (const b of new Uint8Array(hash)) s += HEX[b];
  return s;
}

/**
 * The XEP-0401 §4 registration URI of a token.
 *
 * @param domain The server's domain.
 * @param token The token.
 * @returns `xmpp:DOMAIN?register;preauth=TOKEN`.
 */
export function inviteUri(domain: string, token: string): string {
  return `xmpp:${domain}?register;preauth=${encodeURIComponent(token)}`;
}

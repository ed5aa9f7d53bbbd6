/**
 * What a server-side SASL mechanism is given, and what one step of it returns.
 *
 * @module
 */
import type { BareJid } from "../jid/jid.ts";
import type { Credentials } from "../storage/account_store.ts";
import type { ChannelBindings } from "./channel_binding.ts";
import { SaslError } from "./sasl_error.ts";

/** The mechanisms Parley implements, in the order of preference it advertises them. */
export type SaslMechanismName =
  | "SCRAM-SHA-256-PLUS"
  | "SCRAM-SHA-1-PLUS"
  | "SCRAM-SHA-256"
  | "SCRAM-SHA-1"
  | "PLAIN"
  /** XEP-0484 FAST tokens; offered only inside SASL2's `<fast/>`. */
  | "HT-SHA-256-NONE"
  | "HT-SHA-256-ENDP"
  /** RFC 7628 bearer tokens checked by the host application. */
  | "OAUTHBEARER"
  /** RFC 4422 Appendix A: the transport authenticated the connection. */
  | "EXTERNAL"
  /** RFC 4505: a guest with a fresh, random account. */
  | "ANONYMOUS";

/** The SCRAM family among {@linkcode SaslMechanismName}. */
export type ScramMechanismName = Exclude<
  SaslMechanismName,
  | "PLAIN"
  | "HT-SHA-256-NONE"
  | "HT-SHA-256-ENDP"
  | "OAUTHBEARER"
  | "EXTERNAL"
  | "ANONYMOUS"
>;

/** A FAST token the server could accept (XEP-0484), as stored: its SHA-256 only. */
export interface TokenCandidate {
  /** An id the server uses to tell which token was used (for rotation). */
  readonly id: string;
  /** SHA-256 of the token's UTF-8 bytes. */
  readonly keyHash: Uint8Array;
}

/** What a mechanism needs from the stream and the server. */
export interface SaslContext {
  /** The hosted domain of the stream: the authenticated JID is `username@domain`. */
  readonly domain: string;
  /**
   * The channel binding data of this connection by type (`tls-exporter`, RFC 9266;
   * `tls-server-end-point`, RFC 5929 §4). Pass exactly what was advertised with the -PLUS
   * mechanisms: a type with data is what makes a client's "y" flag a downgrade (RFC 5802 §6).
   */
  readonly channelBindings?: ChannelBindings;
  /** The account's credentials, `undefined` when there is none; may throw on storage failure. */
  getCredentials(jid: BareJid): Promise<Credentials | undefined>;
  /** Cryptographically strong random bytes. */
  randomBytes(n: number): Uint8Array;
  /**
   * HMAC key from which stable fake salts are derived for unknown users, so that asking twice
   * for the same unknown user gives the same salt. Without it, the fake salt is random per
   * attempt, which a client that asks twice can tell from a real account.
   */
  readonly fakeSaltKey?: Uint8Array;
  /** Length of the server's part of the SCRAM nonce, in characters; 24 by default. */
  readonly nonceLength?: number;
  /**
   * The account's live FAST tokens bound to a mechanism (XEP-0484), as SHA-256 hashes; may
   * throw on storage failure. Without it, no token is accepted.
   */
  tokens?(jid: BareJid, mechanism: string): Promise<readonly TokenCandidate[]>;
  /**
   * Checks a password for an account that has no stored credentials (an application's own
   * users, PLAIN only); may throw on failure of the application.
   */
  verifyPassword?(jid: BareJid, password: string): Promise<boolean>;
  /**
   * The account an OAUTHBEARER token (RFC 7628) authenticates on a hosted domain, or
   * `undefined` when it is not valid (expired, forged, for another audience, an unknown
   * user); may throw on failure of the verifier.
   */
  verifyToken?(token: string, domain: string): Promise<BareJid | undefined>;
  /**
   * XEP-0474 downgrade protection: the mechanisms and channel binding types this stream
   * advertised. SCRAM's server-first-message then carries `h=`, their hash, so that a client
   * notices a list a middlebox shortened.
   */
  readonly downgradeProtection?: {
    readonly mechanisms: readonly string[];
    readonly channelBindings: readonly string[];
  };
  /** The account the transport authenticated (SASL EXTERNAL), if any. */
  readonly external?: BareJid;
}

/**
 * One step of a mechanism: a challenge (with the state to continue from) or success. Failure is
 * a thrown {@linkcode SaslError}.
 */
export type SaslResult<S> =
  | {
    /** The server sends `<challenge/>` and waits for `<response/>`. */
    readonly kind: "challenge";
    /** The challenge data (possibly empty). */
    readonly data: Uint8Array;
    /** The state to pass with the response. */
    readonly state: S;
  }
  | {
    /** The exchange succeeded. */
    readonly kind: "success";
    /** The authenticated (and authorized) bare JID. */
    readonly jid: BareJid;
    /** Additional data for `<success/>` (SCRAM's server-final message), RFC 6120 §6.4.6. */
    readonly data?: Uint8Array;
    /** The id of the FAST token that authenticated, for a hashed-token mechanism. */
    readonly tokenId?: string;
  };

/**
 * Looks up credentials, turning a storage failure into `temporary-auth-failure`
 * (RFC 6120 §6.5.11) whose `cause` is the original error.
 *
 * @param ctx The context.
 * @param jid The account.
 * @returns The credentials, or `undefined` when there is no such account.
 * @throws {SaslError} `temporary-auth-failure` when the lookup throws.
 * @example
 * ```ts
 * import { lookupCredentials } from "./context.ts";
 * import type { BareJid } from "../jid/jid.ts";
 * const ctx = {
 *   domain: "localhost",
 *   getCredentials: () => Promise.reject(new Error("database down")),
 *   randomBytes: (n: number) => new Uint8Array(n),
 * };
 * const e = await lookupCredentials(ctx, "a@localhost" as BareJid).catch((e) => e);
 * if (e.condition !== "temporary-auth-failure") throw new Error();
 * ```
 */
export async function lookupCredentials(
  ctx: SaslContext,
  jid: BareJid,
): Promise<Credentials | undefined> {
  try {
    return await ctx.getCredentials(jid);
  } catch (cause) {
    throw new SaslError("temporary-auth-failure", undefined, { cause });
  }
}

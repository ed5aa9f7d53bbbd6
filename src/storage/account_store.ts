/**
 * Accounts and their credentials. Credentials are SCRAM data only (RFC 5802 §3): never a
 * password, never anything a password can be recovered from cheaply.
 *
 * @module
 */
import type { BareJid } from "../jid/jid.ts";

/** SCRAM data for one hash function, all binary values in base64. */
export interface ScramCredential {
  /** The salt, base64. */
  readonly salt: string;
  /** The PBKDF2 iteration count. */
  readonly iterations: number;
  /** StoredKey = H(HMAC(SaltedPassword, "Client Key")), base64. */
  readonly storedKey: string;
  /** ServerKey = HMAC(SaltedPassword, "Server Key"), base64. */
  readonly serverKey: string;
}

/** The credentials of one account: SCRAM data for SHA-1 and SHA-256. */
export interface Credentials {
  /** For SCRAM-SHA-1 and SCRAM-SHA-1-PLUS. */
  readonly sha1: ScramCredential;
  /** For SCRAM-SHA-256 and SCRAM-SHA-256-PLUS. */
  readonly sha256: ScramCredential;
}

/** Stores accounts, keyed by their prepared bare JID. */
export interface AccountStore {
  /**
   * Creates an account.
   * @returns `false` when the account already exists (nothing is changed).
   */
  create(jid: BareJid, credentials: Credentials): Promise<boolean>;
  /** The account's credentials, or `undefined` when there is no such account. */
  getCredentials(jid: BareJid): Promise<Credentials | undefined>;
  /**
   * Replaces the credentials of an existing account.
   * @returns `false` when there is no such account.
   */
  setCredentials(jid: BareJid, credentials: Credentials): Promise<boolean>;
  /** Whether the account exists. */
  exists(jid: BareJid): Promise<boolean>;
  /**
   * Removes an account.
   * @returns `false` when there was no such account.
   */
  remove(jid: BareJid): Promise<boolean>;
  /** Every account, sorted. */
  list(): Promise<BareJid[]>;
}

/**
 * App-owned identity: a host application's users log in to XMPP with what the application
 * already checks (a password, a session token or JWT), and exist for the server (offline
 * delivery, subscriptions, vCards) without ever having logged in.
 *
 * @module
 */
import { type BareJid, tryParseJid } from "../jid/jid.ts";
import type { AccountStore, Credentials } from "../storage/account_store.ts";

/**
 * The host application's users, passed to `createServer` as `auth`. With `mode` "stack" (the
 * default) it adds to the account store: stored accounts log in as before, the application's
 * users besides; with "replace" the application alone answers.
 *
 * @example
 * ```ts
 * import type { AuthProvider } from "./auth_provider.ts";
 * import type { BareJid } from "../jid/jid.ts";
 * const users = new Set(["dave@localhost"]);
 * const provider: AuthProvider = {
 *   exists: (jid) => Promise.resolve(users.has(jid)),
 *   verifyToken: (token) => Promise.resolve(token === "t0k3n" ? "dave@localhost" as BareJid : undefined),
 * };
 * if (!await provider.exists("dave@localhost" as BareJid)) throw new Error();
 * ```
 */
export interface AuthProvider {
  /** "stack" (default): the account store first, then the application; "replace": only it. */
  readonly mode?: "stack" | "replace";
  /**
   * Whether the application has this user: consulted for delivery (offline storage),
   * subscriptions, vCards and logins, also for users who never logged in.
   */
  exists(jid: BareJid): Promise<boolean>;
  /**
   * Checks a password (SASL PLAIN, on protected streams only): for applications that keep
   * passwords their own way. Consulted only for users without stored credentials.
   */
  verifyPassword?(jid: BareJid, password: string): Promise<boolean>;
  /**
   * SCRAM credentials the application keeps (`deriveCredentials` output), so that SCRAM works
   * for its users too.
   */
  getCredentials?(jid: BareJid): Promise<Credentials | undefined>;
  /**
   * The user a bearer token authenticates (SASL OAUTHBEARER, RFC 7628), or `undefined` when
   * the token is not valid: expired, wrongly signed, for another audience. A JWT verifier
   * that checks issuer, audience and expiry is in `@parley/server/jwt`.
   *
   * @param token The token.
   * @param domain The hosted domain the client authenticates on.
   */
  verifyToken?(token: string, domain: string): Promise<BareJid | undefined>;
  /** Every user, for admin commands. */
  list?(): Promise<BareJid[]>;
}

/** How the server knows accounts: the account store and the application together. */
export interface Identity {
  /** SCRAM credentials. */
  getCredentials(jid: BareJid): Promise<Credentials | undefined>;
  /** Whether the account exists. */
  exists(jid: BareJid): Promise<boolean>;
  /** Every account, sorted. */
  list(): Promise<BareJid[]>;
  /** PLAIN for users without credentials, when the application checks passwords. */
  verifyPassword?(jid: BareJid, password: string): Promise<boolean>;
  /** OAUTHBEARER, when the application checks tokens. */
  verifyToken?(token: string, domain: string): Promise<BareJid | undefined>;
}

/**
 * Combines the account store with an application's provider.
 *
 * @param accounts The account store.
 * @param provider The application's users, if any.
 * @returns The identity the server consults.
 * @example
 * ```ts
 * import { identity } from "./auth_provider.ts";
 * import { memoryStorage } from "../storage/memory.ts";
 * import type { BareJid } from "../jid/jid.ts";
 * const id = identity(memoryStorage().accounts, {
 *   exists: (jid) => Promise.resolve(jid === "dave@localhost"),
 * });
 * if (!await id.exists("dave@localhost" as BareJid)) throw new Error();
 * ```
 */
export function identity(accounts: AccountStore, provider?: AuthProvider): Identity {
  if (!provider) {
    return {
      getCredentials: (jid) => accounts.getCredentials(jid),
      exists: (jid) => accounts.exists(jid),
      list: () => accounts.list(),
    };
  }
  const stack = provider.mode !== "replace";
  const exists = async (jid: BareJid) =>
    (stack && await accounts.exists(jid)) || await provider.exists(jid);
  const verify = provider.verifyToken?.bind(provider);
  return {
    async getCredentials(jid) {
      const stored = stack ? await accounts.getCredentials(jid) : undefined;
      return stored ?? await provider.getCredentials?.(jid);
    },
    exists,
    async list() {
      const mine = stack ? await accounts.list() : [];
      const theirs = await provider.list?.() ?? [];
      return [...new Set([...mine, ...theirs])].sort();
    },
    verifyPassword: provider.verifyPassword?.bind(provider),
    verifyToken: verify
      ? async (token, domain) => {
        const jid = await verify(token, domain);
        // A token names a user of this domain whom the application knows.
        const parsed = jid === undefined ? undefined : tryParseJid(jid);
        if (!parsed?.local || parsed.domain !== domain || parsed.resource) return undefined;
        return await exists(parsed.bare) ? parsed.bare : undefined;
      }
      : undefined,
  };
}

/**
 * XEP-0484 FAST tokens kept in `storage.documents` (namespace `urn:xmpp:fast:0`, one document
 * per account): only the SHA-256 of each token is stored (see `sasl/hashed_token.ts`), with its
 * mechanism, client (XEP-0388 user-agent id), expiry and a fingerprint of the account's
 * credentials, so that a changed password invalidates every token at once.
 *
 * @module
 */
import type { BareJid } from "../jid/jid.ts";
import type { TokenCandidate } from "../sasl/hashed_token.ts";
import type { Storage } from "../storage/storage.ts";
import type { Credentials } from "../storage/account_store.ts";
import { fromBase64, toBase64 } from "../util/base64.ts";
import { NS } from "../xml/ns.ts";
import type { FastTokenAuthority, IssuedToken } from "../stream/negotiation_types.ts";

/** Options of {@linkcode fastTokens}. */
export interface FastTokenOptions {
  /** How long a token is accepted, in ms; default 14 days. */
  readonly lifetimeMs?: number;
  /** Tokens one account may hold (the oldest go first); default 32. */
  readonly maxPerAccount?: number;
  /** The current time; default `Date.now`. */
  readonly now?: () => number;
  /**
   * The account's credentials, whose SCRAM-SHA-256 StoredKey fingerprints a token; default
   * the account store (a server with an `AuthProvider` passes its own lookup).
   */
  readonly credentials?: (jid: BareJid) => Promise<Credentials | undefined>;
}

/** A token as stored: never the token itself. */
interface StoredToken {
  readonly id: string;
  /** SHA-256 of the token, base64. */
  readonly hash: string;
  readonly mechanism: string;
  readonly agent: string;
  /** Expiry, ms since the epoch. */
  readonly expiry: number;
  /** The account's SCRAM-SHA-256 StoredKey when the token was issued. */
  readonly fingerprint: string;
}

interface TokenDocument {
  readonly tokens: readonly StoredToken[];
}

/** 72 random bytes: 96 base64url characters, longer than the HMAC-SHA-256 block. */
const TOKEN_BYTES = 72;

function base64url(bytes: Uint8Array): string {
  return toBase64(bytes).replaceAll("+", "-").replaceAll("/", "_").replaceAll("=", "");
}

/**
 * FAST tokens on a server's storage.
 *
 * @param storage Accounts (for the fingerprint) and documents.
 * @param options Lifetime, per-account cap and clock.
 * @returns The authority negotiation uses, and `forget` for a removed account.
 * @example
 * ```ts
 * import { fastTokens } from "./fast_tokens.ts";
 * import { memoryStorage } from "../storage/memory.ts";
 * import type { BareJid } from "../jid/jid.ts";
 * const tokens = fastTokens(memoryStorage());
 * const issued = await tokens.issue("a@localhost" as BareJid, "HT-SHA-256-NONE", "ua-1");
 * if (issued.token.length < 65) throw new Error();
 * if ((await tokens.tokens("a@localhost" as BareJid, "HT-SHA-256-NONE")).length !== 1) throw new Error();
 * ```
 */
export function fastTokens(
  storage: Storage,
  options: FastTokenOptions = {},
): FastTokenAuthority & { forget(jid: BareJid): Promise<void> } {
  const lifetimeMs = options.lifetimeMs ?? 14 * 24 * 3600_000;
  const max = options.maxPerAccount ?? 32;
  const now = options.now ?? Date.now;
  const docs = storage.documents;
  const credentials = options.credentials ?? ((jid) => storage.accounts.getCredentials(jid));

  async function fingerprint(jid: BareJid): Promise<string> {
    return (await credentials(jid))?.sha256.storedKey ?? "";
  }

  function change(jid: BareJid, fn: (tokens: StoredToken[]) => StoredToken[]): Promise<unknown> {
    return docs.update(NS.FAST, jid, (current) => {
      const tokens = ((current as TokenDocument | undefined)?.tokens ?? [])
        .filter((t) => t.expiry > now());
      const next = fn(tokens);
      return next.length === 0 ? undefined : { tokens: next } satisfies TokenDocument;
    });
  }

  return {
    async tokens(jid: BareJid, mechanism: string): Promise<TokenCandidate[]> {
      const doc = await docs.get(NS.FAST, jid);
      const tokens = (doc?.value as TokenDocument | undefined)?.tokens ?? [];
      const print = await fingerprint(jid);
      const t = now();
      // XEP-0484 §3.3: a token is bound to its mechanism; expired ones and those issued
      // before the password changed are not accepted.
      return tokens
        .filter((x) => x.mechanism === mechanism && x.expiry > t && x.fingerprint === print)
        .flatMap((x) => {
          const keyHash = fromBase64(x.hash);
          return keyHash ? [{ id: x.id, keyHash }] : [];
        });
    },
    async issue(jid, mechanism, userAgent, replacing): Promise<IssuedToken> {
      const token = base64url(crypto.getRandomValues(new Uint8Array(TOKEN_BYTES)));
      const hash = new Uint8Array(
        await crypto.subtle.digest("SHA-256", new TextEncoder().encode(token)),
      );
      const expiry = now() + lifetimeMs;
      const stored: StoredToken = {
        id: crypto.randomUUID(),
        hash: toBase64(hash),
        mechanism,
        agent: userAgent ?? "",
        expiry,
        fingerprint: await fingerprint(jid),
      };
      // One live token per client, plus the one it authenticated with until the new one is
      // used (rotation).
      await change(jid, (tokens) =>
        [
          ...tokens.filter((t) => t.agent !== stored.agent || t.id === replacing),
          stored,
        ].slice(-max));
      return { token, expiry: new Date(expiry) };
    },
    async used(jid, tokenId) {
      await change(jid, (tokens) => {
        const agent = tokens.find((t) => t.id === tokenId)?.agent;
        return tokens.filter((t) => t.id === tokenId || t.agent !== agent);
      });
    },
    async revoke(jid, tokenId) {
      await change(jid, (tokens) => tokens.filter((t) => t.id !== tokenId));
    },
    async forget(jid) {
      await docs.delete(NS.FAST, jid);
    },
  };
}

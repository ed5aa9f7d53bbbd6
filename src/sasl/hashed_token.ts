/**
 * Server side of the HT (hashed token) mechanisms used by XEP-0484 FAST:
 * `HT-SHA-256-NONE` and `HT-SHA-256-ENDP` (draft-schmaus-kitten-sasl-ht). The client's only
 * message is `authcid NUL HMAC(token, "Initiator" || cb-data)`; the server answers in its
 * success data with `HMAC(token, "Responder" || cb-data)`.
 *
 * Tokens are never stored: a token is longer than the HMAC-SHA-256 block (64 bytes), and
 * RFC 2104 §2 hashes such a key first, so `HMAC(token, m) = HMAC(SHA-256(token), m)`. The
 * server keeps only `SHA-256(token)` and computes with it.
 *
 * @module
 */
import { type BareJid, bareJid, prepLocal } from "../jid/jid.ts";
import { type Bytes, concat, copy, fromUtf8, timingSafeEqual, utf8 } from "./_bytes.ts";
import { hmac } from "./_crypto.ts";
import type { SaslContext, SaslResult, TokenCandidate } from "./context.ts";
import { SaslError } from "./sasl_error.ts";

/** The hashed-token mechanisms Parley implements (XEP-0484 §3). */
export type HashedTokenMechanism = "HT-SHA-256-NONE" | "HT-SHA-256-ENDP";

export type { TokenCandidate } from "./context.ts";

/** Shortest token Parley issues, in bytes: longer than the HMAC-SHA-256 block. */
export const MIN_TOKEN_LENGTH = 65;

/**
 * The account an HT message names, without checking it (the throttle's key).
 *
 * @param message The client's message.
 * @param domain The hosted domain.
 * @returns The bare JID, or `undefined` for a malformed message.
 * @example
 * ```ts
 * import { hashedTokenAccount } from "./hashed_token.ts";
 * const m = new Uint8Array([...new TextEncoder().encode("alice"), 0, 1, 2]);
 * if (hashedTokenAccount(m, "localhost") !== "alice@localhost") throw new Error();
 * ```
 */
export function hashedTokenAccount(message: Uint8Array, domain: string): BareJid | undefined {
  const nul = message.indexOf(0);
  if (nul <= 0) return undefined;
  const name = fromUtf8(message.subarray(0, nul));
  if (name === undefined) return undefined;
  try {
    return bareJid(prepLocal(name), domain);
  } catch {
    return undefined;
  }
}

/**
 * `HMAC(token, label || cb-data)` from the SHA-256 of a token (see the module doc).
 *
 * @param keyHash SHA-256 of the token.
 * @param label "Initiator" or "Responder".
 * @param cbData Channel binding data; empty for `-NONE`.
 * @returns The HMAC.
 * @example
 * ```ts
 * import { hashedTokenHmac } from "./hashed_token.ts";
 * const mac = await hashedTokenHmac(new Uint8Array(32), "Initiator", new Uint8Array(0));
 * if (mac.length !== 32) throw new Error();
 * ```
 */
export function hashedTokenHmac(
  keyHash: Uint8Array,
  label: "Initiator" | "Responder",
  cbData: Uint8Array,
): Promise<Bytes> {
  return hmac("SHA-256", copy(keyHash), concat(utf8(label), cbData));
}

/**
 * Authenticates an HT message against the account's tokens.
 *
 * @param mechanism The mechanism (the tokens are bound to it).
 * @param message The client's message.
 * @param ctx The context: `tokens` gives the candidates, `channelBindings` the
 * `tls-server-end-point` data for `-ENDP`.
 * @returns Success with the responder's HMAC as data and the id of the token used.
 * @throws {SaslError} `malformed-request`, `not-authorized` (with `wrongCredentials`),
 * `temporary-auth-failure`.
 * @example
 * ```ts
 * import { hashedTokenAuthenticate } from "./hashed_token.ts";
 * const ctx = {
 *   domain: "localhost",
 *   getCredentials: () => Promise.resolve(undefined),
 *   randomBytes: (n: number) => new Uint8Array(n),
 *   tokens: () => Promise.resolve([]),
 * };
 * const m = new Uint8Array([...new TextEncoder().encode("alice"), 0, ...new Uint8Array(32)]);
 * const e = await hashedTokenAuthenticate("HT-SHA-256-NONE", m, ctx).catch((e) => e);
 * if (e.condition !== "not-authorized") throw new Error();
 * ```
 */
export async function hashedTokenAuthenticate(
  mechanism: HashedTokenMechanism,
  message: Uint8Array,
  ctx: SaslContext,
): Promise<SaslResult<never>> {
  const jid = hashedTokenAccount(message, ctx.domain);
  const proof = message.subarray(message.indexOf(0) + 1);
  if (!jid || proof.length !== 32) throw new SaslError("malformed-request");
  const cbData = mechanism === "HT-SHA-256-ENDP"
    ? ctx.channelBindings?.["tls-server-end-point"]
    : new Uint8Array(0);
  if (!cbData) throw new SaslError("invalid-mechanism");
  let candidates: readonly TokenCandidate[];
  try {
    candidates = await ctx.tokens?.(jid, mechanism) ?? [];
  } catch (cause) {
    throw new SaslError("temporary-auth-failure", undefined, { cause });
  }
  for (const candidate of candidates) {
    const expected = await hashedTokenHmac(candidate.keyHash, "Initiator", cbData);
    if (timingSafeEqual(expected, proof)) {
      const data = await hashedTokenHmac(candidate.keyHash, "Responder", cbData);
      return { kind: "success", jid, data, tokenId: candidate.id };
    }
  }
  // XEP-0484 §4: an unknown, expired or revoked token is <not-authorized/>.
  throw new SaslError("not-authorized", undefined, { wrongCredentials: true });
}

/**
 * Server side of the mechanisms without credentials: EXTERNAL (RFC 4422 Appendix A) for a
 * connection that the transport already authenticated (e.g. the host application checked its
 * session cookie or bearer token at the WebSocket upgrade), where the client asserts only an
 * optional authorization identity, which must be the account the transport established; and
 * ANONYMOUS (RFC 4505) for guests.
 *
 * @module
 */
import { type BareJid, tryParseJid } from "../jid/jid.ts";
import { fromUtf8 } from "./_bytes.ts";
import type { SaslContext, SaslResult } from "./context.ts";
import { SaslError } from "./sasl_error.ts";

/**
 * Authenticates an EXTERNAL message against the transport's account.
 *
 * @param message The authorization identity, possibly empty.
 * @param ctx The context; `external` is the account the transport authenticated.
 * @returns Success with that account.
 * @throws {SaslError} `not-authorized` without a transport identity (or on another domain),
 * `invalid-authzid` for another account, `malformed-request` for bad UTF-8.
 * @example
 * ```ts
 * import { externalAuthenticate } from "./external.ts";
 * import type { BareJid } from "../jid/jid.ts";
 * const ctx = {
 *   domain: "localhost",
 *   getCredentials: () => Promise.resolve(undefined),
 *   randomBytes: (n: number) => new Uint8Array(n),
 *   external: "dave@localhost" as BareJid,
 * };
 * const r = await externalAuthenticate(new Uint8Array(0), ctx);
 * if (r.kind !== "success" || r.jid !== "dave@localhost") throw new Error();
 * ```
 */
export function externalAuthenticate(
  message: Uint8Array,
  ctx: SaslContext,
): Promise<SaslResult<never>> {
  const jid = ctx.external;
  if (!jid || tryParseJid(jid)?.domain !== ctx.domain) {
    return Promise.reject(new SaslError("not-authorized"));
  }
  const authzid = fromUtf8(message);
  if (authzid === undefined) return Promise.reject(new SaslError("malformed-request"));
  if (authzid !== "" && tryParseJid(authzid)?.bare !== jid) {
    return Promise.reject(new SaslError("invalid-authzid"));
  }
  return Promise.resolve({ kind: "success", jid });
}

/**
 * Authenticates an ANONYMOUS message (RFC 4505): the optional trace is ignored (never
 * logged) and the guest gets a fresh account on the stream's domain, which the caller offers
 * ANONYMOUS on only when it is the guest domain.
 *
 * @param _message The trace.
 * @param ctx The context: the domain and randomness.
 * @returns Success with a new random bare JID.
 * @example
 * ```ts
 * import { anonymousAuthenticate } from "./external.ts";
 * const ctx = {
 *   domain: "guest.localhost",
 *   getCredentials: () => Promise.resolve(undefined),
 *   randomBytes: (n: number) => crypto.getRandomValues(new Uint8Array(n)),
 * };
 * const r = await anonymousAuthenticate(new Uint8Array(0), ctx);
 * if (r.kind !== "success" || !r.jid.endsWith("@guest.localhost")) throw new Error();
 * ```
 */
export function anonymousAuthenticate(
  _message: Uint8Array,
  ctx: SaslContext,
): Promise<SaslResult<never>> {
  const local = [...ctx.randomBytes(12)].map((b) => b.toString(16).padStart(2, "0")).join("");
  return Promise.resolve({ kind: "success", jid: `${local}@${ctx.domain}` as BareJid });
}

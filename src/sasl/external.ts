/**
 * Server side of EXTERNAL (RFC 4422 Appendix A) for a connection that the transport already
 * authenticated (e.g. the host application checked its session cookie or bearer token at the
 * WebSocket upgrade): the client asserts no credentials, only an optional authorization
 * identity, which must be the account the transport established.
 *
 * @module
 */
import { tryParseJid } from "../jid/jid.ts";
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

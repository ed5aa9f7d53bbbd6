/**
 * Server side of OAUTHBEARER (RFC 7628): one message, `gs2-header %x01 *(key=value %x01)
 * %x01`, whose `auth` pair holds `Bearer <token>`. The token is checked by the host
 * application (`SaslContext.verifyToken`, e.g. a JWT verified against its issuer and
 * audience); the mechanism only parses and maps the result.
 *
 * @module
 */
import { type BareJid, tryParseJid } from "../jid/jid.ts";
import { fromUtf8 } from "./_bytes.ts";
import type { SaslContext, SaslResult } from "./context.ts";
import { SaslError } from "./sasl_error.ts";

/** What an OAUTHBEARER message holds. */
export interface OauthBearerMessage {
  /** The authorization identity of the GS2 header (`a=`), if any. */
  readonly authzid?: string;
  /** The bearer token. */
  readonly token: string;
}

/**
 * Parses an OAUTHBEARER initial client response (RFC 7628 §3.1).
 *
 * @param message The client's message.
 * @returns The authorization identity and the token.
 * @throws {SaslError} `malformed-request` for anything else, `encryption-required` for a
 * channel binding request (`p=`), which OAUTHBEARER does not define.
 * @example
 * ```ts
 * import { parseOauthBearer } from "./oauthbearer.ts";
 * const m = new TextEncoder().encode("n,a=alice@localhost,\x01auth=Bearer abc\x01\x01");
 * const parsed = parseOauthBearer(m);
 * if (parsed.token !== "abc" || parsed.authzid !== "alice@localhost") throw new Error();
 * ```
 */
export function parseOauthBearer(message: Uint8Array): OauthBearerMessage {
  const s = fromUtf8(message);
  if (s === undefined || !s.endsWith("\x01\x01")) throw new SaslError("malformed-request");
  const [gs2, ...pairs] = s.slice(0, -2).split("\x01");
  const header = /^([ny]),(?:a=([^,]*))?,$/.exec(gs2);
  if (!header) throw new SaslError("malformed-request", "Bad GS2 header");
  let token: string | undefined;
  for (const pair of pairs) {
    const eq = pair.indexOf("=");
    if (eq <= 0) throw new SaslError("malformed-request");
    if (pair.slice(0, eq) !== "auth") continue;
    // RFC 7628 §3.1 and RFC 6750 §2.1: the scheme name is case-insensitive.
    const m = /^bearer +([\x21-\x7e]+)$/i.exec(pair.slice(eq + 1));
    if (!m) throw new SaslError("malformed-request", "Bad auth value");
    token = m[1];
  }
  if (token === undefined) throw new SaslError("malformed-request", "No auth value");
  // RFC 5801 §4: "=2C" and "=3D" encode "," and "=" in the authzid.
  const authzid = header[2]?.replaceAll("=2C", ",").replaceAll("=3D", "=");
  return authzid === undefined || authzid === "" ? { token } : { authzid, token };
}

/**
 * Authenticates an OAUTHBEARER message: `ctx.verifyToken` names the account the token is for;
 * an authorization identity, when given, must be that account.
 *
 * @param message The client's message.
 * @param ctx The context; without `verifyToken` nothing is accepted.
 * @returns Success with the account.
 * @throws {SaslError} `malformed-request`, `invalid-authzid`, `not-authorized` (with
 * `wrongCredentials`: an expired, forged or foreign token, or an unknown user),
 * `temporary-auth-failure` when the verifier fails.
 * @example
 * ```ts
 * import { oauthBearerAuthenticate } from "./oauthbearer.ts";
 * import type { BareJid } from "../jid/jid.ts";
 * const ctx = {
 *   domain: "localhost",
 *   getCredentials: () => Promise.resolve(undefined),
 *   randomBytes: (n: number) => new Uint8Array(n),
 *   verifyToken: (t: string) => Promise.resolve(t === "good" ? "alice@localhost" as BareJid : undefined),
 * };
 * const m = new TextEncoder().encode("n,,\x01auth=Bearer good\x01\x01");
 * const r = await oauthBearerAuthenticate(m, ctx);
 * if (r.kind !== "success" || r.jid !== "alice@localhost") throw new Error();
 * ```
 */
export async function oauthBearerAuthenticate(
  message: Uint8Array,
  ctx: SaslContext,
): Promise<SaslResult<never>> {
  const { authzid, token } = parseOauthBearer(message);
  let jid: BareJid | undefined;
  try {
    jid = await ctx.verifyToken?.(token, ctx.domain);
  } catch (cause) {
    throw new SaslError("temporary-auth-failure", undefined, { cause });
  }
  // RFC 7628 §3.2.2 lets the server send an error challenge first; XMPP clients handle a
  // plain <failure/> as well, and the condition is what the client acts on.
  if (!jid) throw new SaslError("not-authorized", undefined, { wrongCredentials: true });
  if (authzid !== undefined && tryParseJid(authzid)?.bare !== jid) {
    throw new SaslError("invalid-authzid");
  }
  return { kind: "success", jid };
}

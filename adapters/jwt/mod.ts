/**
 * JWT logins for an application's users: a token verifier for `AuthProvider.verifyToken`
 * (SASL OAUTHBEARER, RFC 7628) that checks the signature, issuer, audience and expiry with
 * `jose`, and maps a claim to the user's JID.
 *
 * ```ts ignore
 * import { createServer } from "@parley/server";
 * import { jwtVerifier } from "@parley/server/jwt";
 * const secret = new TextEncoder().encode(Deno.env.get("JWT_SECRET"));
 * const server = await createServer({
 *   auth: {
 *     exists: (jid) => db.userExists(jid), // the app's own table
 *     verifyToken: jwtVerifier({ key: secret, issuer: "https://app.example", audience: "xmpp" }),
 *   },
 * });
 * ```
 *
 * @module
 */
import { createRemoteJWKSet, errors, jwtVerify, type JWTVerifyGetKey } from "jose";
import { type BareJid, tryParseJid } from "../../mod.ts";

/** Options of {@linkcode jwtVerifier}. */
export interface JwtVerifierOptions {
  /**
   * The verification key: an HMAC secret (HS256…), a public `CryptoKey` (RS256, ES256,
   * EdDSA…), or the URL of the issuer's JWKS.
   */
  readonly key: Uint8Array | CryptoKey | URL;
  /** The required `iss` claim. */
  readonly issuer: string;
  /** The required `aud` claim (this server). */
  readonly audience: string;
  /** Accepted algorithms; default those the key allows. */
  readonly algorithms?: readonly string[];
  /**
   * The claim that names the user; default `sub`. A value with `@` is a bare JID; anything
   * else is the local part on the domain the client authenticates on.
   */
  readonly claim?: string;
  /** Clock skew tolerated for `exp` and `nbf`, in seconds; default 30. */
  readonly clockToleranceSeconds?: number;
}

/**
 * Builds a token verifier for `AuthProvider.verifyToken`.
 *
 * @param options Key, issuer, audience, claim.
 * @returns The verifier: the user's bare JID, or `undefined` for an expired, wrongly signed or
 * foreign token (it never throws for a bad token; a JWKS fetch failure does throw, which the
 * client sees as `<temporary-auth-failure/>`).
 * @example
 * ```ts
 * import { jwtVerifier } from "./mod.ts";
 * import { SignJWT } from "jose";
 * const key = new TextEncoder().encode("a secret of at least 32 bytes....");
 * const verify = jwtVerifier({ key, issuer: "app", audience: "xmpp" });
 * const jwt = await new SignJWT({}).setProtectedHeader({ alg: "HS256" }).setSubject("dave")
 *   .setIssuer("app").setAudience("xmpp").setExpirationTime("5m").sign(key);
 * if (await verify(jwt, "localhost") !== "dave@localhost") throw new Error();
 * if (await verify(jwt + "x", "localhost") !== undefined) throw new Error();
 * ```
 */
export function jwtVerifier(
  options: JwtVerifierOptions,
): (token: string, domain: string) => Promise<BareJid | undefined> {
  const jwks: JWTVerifyGetKey | undefined = options.key instanceof URL
    ? createRemoteJWKSet(options.key)
    : undefined;
  const key = options.key instanceof URL ? undefined : options.key;
  const claim = options.claim ?? "sub";
  const verifyOptions = {
    issuer: options.issuer,
    audience: options.audience,
    algorithms: options.algorithms ? [...options.algorithms] : undefined,
    clockTolerance: options.clockToleranceSeconds ?? 30,
    requiredClaims: ["exp"],
  };
  return async (token, domain) => {
    let payload: Record<string, unknown>;
    try {
      ({ payload } = jwks
        ? await jwtVerify(token, jwks, verifyOptions)
        : await jwtVerify(token, key!, verifyOptions));
    } catch (e) {
      // A bad token is a refusal; anything else (a JWKS fetch failure) is the verifier's.
      if (e instanceof errors.JOSEError && !(e instanceof errors.JWKSTimeout)) return undefined;
      throw e;
    }
    const value = payload[claim];
    if (typeof value !== "string" || value === "") return undefined;
    const jid = tryParseJid(value.includes("@") ? value : `${value}@${domain}`);
    return jid?.local && !jid.resource ? jid.bare : undefined;
  };
}

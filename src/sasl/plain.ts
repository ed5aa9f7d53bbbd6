/**
 * Server side of PLAIN (RFC 4616): one message `[authzid] NUL authcid NUL passwd`, checked
 * against the stored SCRAM data. Only offered on a protected stream (RFC 4616 §6).
 *
 * @module
 */
import { bareJid, prepLocal, tryParseJid } from "../jid/jid.ts";
import type { Credentials } from "../storage/account_store.ts";
import { fromUtf8 } from "./_bytes.ts";
import { toBase64 } from "../util/base64.ts";
import { lookupCredentials, type SaslContext, type SaslResult } from "./context.ts";
import { DEFAULT_ITERATIONS, verifyPlain } from "./credentials.ts";
import { SaslError } from "./sasl_error.ts";

// Checked against when the account does not exist, so that both cases cost one PBKDF2 run.
const DUMMY = {
  salt: toBase64(new Uint8Array(16)),
  iterations: DEFAULT_ITERATIONS,
  storedKey: toBase64(new Uint8Array(32)),
  serverKey: toBase64(new Uint8Array(32)),
};
const FAKE_CREDENTIALS: Credentials = { sha1: DUMMY, sha256: DUMMY };

function tryPrepLocal(username: string): string | undefined {
  try {
    return prepLocal(username);
  } catch {
    return undefined; // cannot be an account: treated like an unknown user
  }
}

function parse(message: Uint8Array): [authzid: string, authcid: string, password: string] {
  const parts = fromUtf8(message)?.split("\0");
  if (!parts || parts.length !== 3 || parts[1] === "" || parts[2] === "") {
    throw new SaslError("malformed-request");
  }
  return [parts[0], parts[1], parts[2]];
}

/**
 * The account a PLAIN message names, without checking anything else: its bare JID, or the
 * raw authcid when that cannot be prepared. The key of per-account throttling.
 *
 * @param message The client's message.
 * @param domain The hosted domain of the stream.
 * @returns The account, or `undefined` for a malformed message.
 * @example
 * ```ts
 * import { plainAccount } from "./plain.ts";
 * const message = new TextEncoder().encode("\0Alice\0secret");
 * if (plainAccount(message, "localhost") !== "alice@localhost") throw new Error();
 * ```
 */
export function plainAccount(message: Uint8Array, domain: string): string | undefined {
  let authcid: string;
  try {
    authcid = parse(message)[1];
  } catch {
    return undefined;
  }
  const local = tryPrepLocal(authcid);
  return local === undefined ? authcid : bareJid(local, domain);
}

/**
 * Authenticates a PLAIN message.
 *
 * @param message The client's message.
 * @param ctx The context.
 * @returns Success with the authenticated JID.
 * @throws {SaslError} `malformed-request`, `invalid-authzid`, `not-authorized` (with
 * `wrongCredentials`), `temporary-auth-failure`.
 * @example
 * ```ts
 * import { plainAuthenticate } from "./plain.ts";
 * import { deriveCredentials } from "./credentials.ts";
 * const credentials = await deriveCredentials("pencil");
 * const ctx = {
 *   domain: "localhost",
 *   getCredentials: () => Promise.resolve(credentials),
 *   randomBytes: (n: number) => new Uint8Array(n),
 * };
 * const step = await plainAuthenticate(new TextEncoder().encode("\0user\0pencil"), ctx);
 * if (step.kind !== "success" || step.jid !== "user@localhost") throw new Error();
 * ```
 */
export async function plainAuthenticate(
  message: Uint8Array,
  ctx: SaslContext,
): Promise<SaslResult<never>> {
  const [authzid, authcid, password] = parse(message);
  const local = tryPrepLocal(authcid);
  const jid = local === undefined ? undefined : bareJid(local, ctx.domain);
  if (authzid !== "") {
    const authz = tryParseJid(authzid);
    if (!jid || !authz || authz.full !== jid) throw new SaslError("invalid-authzid");
  }
  const credentials = jid ? await lookupCredentials(ctx, jid) : undefined;
  if (jid && !credentials && ctx.verifyPassword) {
    // An application's own user (no stored credentials): the application checks it.
    let ok: boolean;
    try {
      ok = await ctx.verifyPassword(jid, password);
    } catch (cause) {
      throw new SaslError("temporary-auth-failure", undefined, { cause });
    }
    if (!ok) throw new SaslError("not-authorized", undefined, { wrongCredentials: true });
    return { kind: "success", jid };
  }
  const ok = await verifyPlain(credentials ?? FAKE_CREDENTIALS, password);
  if (!ok || !credentials || !jid) {
    throw new SaslError("not-authorized", undefined, { wrongCredentials: true });
  }
  return { kind: "success", jid };
}

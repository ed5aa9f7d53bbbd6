/**
 * Server side of SCRAM-SHA-1, SCRAM-SHA-256 and their -PLUS variants (RFC 5802, RFC 7677),
 * with the `tls-exporter` (RFC 9266) and `tls-server-end-point` (RFC 5929 §4) channel
 * bindings, whichever of them the connection offers and the client names. A two-step state
 * machine: client-first → server-first, client-final → server-final (sent in `<success/>`,
 * RFC 6120 §6.4.6).
 *
 * @module
 */
import { type BareJid, bareJid, prepLocal, tryParseJid } from "../jid/jid.ts";
import { type ChannelBindingType, offeredChannelBindings } from "./channel_binding.ts";
import type { ScramCredential } from "../storage/account_store.ts";
import { type Bytes, concat, copy, fromUtf8, timingSafeEqual, utf8, xor } from "./_bytes.ts";
import { fromBase64, toBase64 } from "../util/base64.ts";
import { digest, hashLength, type HashName, hmac, hmacStoredKey } from "./_crypto.ts";
import { parseClientFinal, parseClientFirst } from "./_scram_messages.ts";
import {
  lookupCredentials,
  type SaslContext,
  type SaslResult,
  type ScramMechanismName,
} from "./context.ts";
import { DEFAULT_ITERATIONS, SALT_LENGTH } from "./credentials.ts";
import { SaslError } from "./sasl_error.ts";

/**
 * The channel binding type every TLS connection with a known certificate offers.
 *
 * @deprecated Use `CHANNEL_BINDING_TYPES` and `offeredChannelBindings()` from
 * `channel_binding.ts`: `tls-exporter` is offered too where the runtime can export keying
 * material.
 */
export const CHANNEL_BINDING_TYPE = "tls-server-end-point";
/** Default length of the server's part of the nonce, in characters. */
export const DEFAULT_NONCE_LENGTH = 24;

/** The state between server-first and client-final: plain, structured-cloneable data. */
export interface ScramState {
  /** The mechanism. */
  readonly mechanism: ScramMechanismName;
  /** Which step comes next. */
  readonly step: "client-final";
  /** The account, `undefined` when it does not exist (the exchange then fails at the end). */
  readonly jid?: BareJid;
  /**
   * The account the client named: its bare JID, or the raw username when that cannot be
   * prepared. The key of per-account throttling, for unknown accounts too.
   */
  readonly account: string;
  /** StoredKey, base64 (a dummy for an unknown account). */
  readonly storedKey: string;
  /** ServerKey, base64 (a dummy for an unknown account). */
  readonly serverKey: string;
  /** The expected "c=" bytes (gs2-header plus channel binding data), base64. */
  readonly cbindInput: string;
  /** client-first-message-bare. */
  readonly clientFirstBare: string;
  /** server-first-message. */
  readonly serverFirst: string;
  /** The combined nonce. */
  readonly nonce: string;
}

// printable (RFC 5802 §7) = %x21-2B / %x2D-7E, less the double quote and backslash: the
// widely used client library sasl-scram-sha-1 (behind xmpp.js) splits attributes with a
// quoted-string regex and loses a nonce holding '"'. 91 characters remain.
const NONCE_ALPHABET = Array.from(
  { length: 0x7e - 0x21 + 1 },
  (_, i) => String.fromCharCode(0x21 + i),
).filter((c) => c !== "," && c !== '"' && c !== "\\").join("");

/**
 * Turns random bytes into a SCRAM nonce: byte `b` becomes the character at index `b % 91` of
 * the printable characters "!" … "~" without ",", '"' and "\\". The slight modulo bias costs
 * nothing here: a nonce must be unpredictable and unique, not uniform.
 *
 * @param bytes Random bytes, one per character.
 * @returns The nonce.
 * @example
 * ```ts
 * import { scramNonce } from "./scram.ts";
 * if (scramNonce(new Uint8Array([0, 10, 90])) !== "!-~") throw new Error();
 * ```
 */
export function scramNonce(bytes: Uint8Array): string {
  let out = "";
  for (const b of bytes) out += NONCE_ALPHABET[b % NONCE_ALPHABET.length];
  return out;
}

function hashOf(mechanism: ScramMechanismName): HashName {
  return mechanism.startsWith("SCRAM-SHA-256") ? "SHA-256" : "SHA-1";
}

function tryPrepLocal(username: string): string | undefined {
  try {
    return prepLocal(username);
  } catch {
    return undefined; // cannot be an account: treated like an unknown user
  }
}

function decodeUtf8(message: Uint8Array): string {
  const text = fromUtf8(message);
  if (text === undefined) throw new SaslError("malformed-request", "Invalid UTF-8");
  return text;
}

/** Plausible SCRAM data for a user that does not exist; it never verifies. */
async function fakeCredential(
  hash: HashName,
  username: string,
  ctx: SaslContext,
): Promise<ScramCredential> {
  const salt = ctx.fakeSaltKey && ctx.fakeSaltKey.length > 0
    ? (await hmac("SHA-256", copy(ctx.fakeSaltKey), utf8(`${hash}\0${username}`)))
      .subarray(0, SALT_LENGTH)
    : ctx.randomBytes(SALT_LENGTH);
  const dummy = toBase64(new Uint8Array(hashLength(hash)).fill(0x5c));
  return {
    salt: toBase64(salt),
    iterations: DEFAULT_ITERATIONS,
    storedKey: dummy,
    serverKey: dummy,
  };
}

/**
 * Checks the gs2 flag against the mechanism and the connection (RFC 5802 §6) and returns the
 * channel binding data the client must echo in "c=" (empty without channel binding).
 */
function checkChannelBinding(
  mechanism: ScramMechanismName,
  flag: "n" | "y" | "p",
  cbName: string | undefined,
  ctx: SaslContext,
): Uint8Array {
  const plus = mechanism.endsWith("-PLUS");
  const offered = offeredChannelBindings(ctx.channelBindings);
  if (plus && offered.length === 0) {
    throw new SaslError("invalid-mechanism"); // no channel binding data, -PLUS not offered
  }
  if (flag === "p") {
    // RFC 5802 §4 and §6: "p" is only valid with the -PLUS name; anything else
    // contradicts the mechanism the client chose, a protocol error rather than bad credentials.
    if (!plus) {
      throw new SaslError("malformed-request", "Channel binding requires a -PLUS mechanism");
    }
    // RFC 5802 §6: an unsupported channel binding type MUST fail authentication. Not a wrong
    // credential: the client may go on to another type or mechanism (slixmpp tries tls-unique,
    // which is undefined for TLS 1.3, RFC 9266 §1). Prosody answers malformed-request too.
    if (!offered.includes(cbName as ChannelBindingType)) {
      throw new SaslError("malformed-request", `Unsupported channel binding type "${cbName}"`);
    }
    return ctx.channelBindings![cbName as ChannelBindingType]!;
  }
  if (plus) throw new SaslError("malformed-request", "A -PLUS mechanism requires channel binding");
  // RFC 5802 §6: "y" while the server supports channel binding means a downgrade attack.
  if (flag === "y" && offered.length > 0) {
    throw new SaslError("not-authorized", "Channel binding is supported by the server");
  }
  return new Uint8Array(0);
}

/**
 * The XEP-0474 §3 extension of the server-first-message: `,h=` and the base64 hash (with the
 * mechanism's hash function) of the advertised mechanisms, sorted and joined by U+001E, then,
 * when channel binding types were advertised (XEP-0440), U+001F and those types, sorted and
 * joined by U+001E. Empty without `downgradeProtection`.
 *
 * @param hash The SCRAM hash function.
 * @param ctx The context.
 * @returns The attribute with its leading comma, or "".
 * @example
 * ```ts
 * import { downgradeHash } from "./scram.ts";
 * const ctx = {
 *   domain: "localhost",
 *   getCredentials: () => Promise.resolve(undefined),
 *   randomBytes: (n: number) => new Uint8Array(n),
 *   downgradeProtection: { mechanisms: ["SCRAM-SHA-1", "PLAIN"], channelBindings: [] },
 * };
 * if (!(await downgradeHash("SHA-1", ctx)).startsWith(",h=")) throw new Error();
 * ```
 */
export async function downgradeHash(hash: "SHA-1" | "SHA-256", ctx: SaslContext): Promise<string> {
  const offer = ctx.downgradeProtection;
  if (!offer) return "";
  const sorted = (list: readonly string[]) => [...list].sort().join("\x1e");
  const text = offer.channelBindings.length > 0
    ? `${sorted(offer.mechanisms)}\x1f${sorted(offer.channelBindings)}`
    : sorted(offer.mechanisms);
  return `,h=${toBase64(await digest(hash, utf8(text)))}`;
}

/**
 * Handles the client-first-message and returns the server-first-message as a challenge.
 * An unknown user gets a plausible salt and iteration count, and fails only at
 * client-final, so that the answer does not reveal whether the account exists.
 *
 * @param mechanism The SCRAM mechanism the client chose.
 * @param message The client-first-message.
 * @param ctx The context.
 * @returns The challenge and the state to continue from.
 * @throws {SaslError} `malformed-request` (syntax, unsupported channel binding type),
 * `not-authorized` (channel binding downgrade), `invalid-authzid`, `invalid-mechanism`,
 * `temporary-auth-failure`.
 * @example
 * ```ts
 * import { scramServerFirst } from "./scram.ts";
 * const ctx = {
 *   domain: "localhost",
 *   getCredentials: () => Promise.resolve(undefined),
 *   randomBytes: (n: number) => new Uint8Array(n),
 * };
 * const message = new TextEncoder().encode("n,,n=user,r=abc");
 * const step = await scramServerFirst("SCRAM-SHA-256", message, ctx);
 * const text = new TextDecoder().decode(step.kind === "challenge" ? step.data : undefined);
 * if (!text.startsWith("r=abc!!!!")) throw new Error(text);
 * ```
 */
export async function scramServerFirst(
  mechanism: ScramMechanismName,
  message: Uint8Array,
  ctx: SaslContext,
): Promise<SaslResult<ScramState>> {
  const first = parseClientFirst(decodeUtf8(message));
  const cbData = checkChannelBinding(mechanism, first.flag, first.cbName, ctx);
  // RFC 5802 §5.1 leaves the username's preparation to the profile: XMPP uses the localpart
  // (RFC 6120 §6.3.7), prepared like the localpart of a JID.
  const local = tryPrepLocal(first.username);
  const jid = local === undefined ? undefined : bareJid(local, ctx.domain);
  // RFC 6120 §6.3.8: we only let an account act as itself.
  if (first.authzid !== undefined) {
    const authz = tryParseJid(first.authzid);
    if (!jid || !authz || authz.full !== jid) throw new SaslError("invalid-authzid");
  }
  const hash = hashOf(mechanism);
  const credentials = jid ? await lookupCredentials(ctx, jid) : undefined;
  const credential = credentials
    ? (hash === "SHA-1" ? credentials.sha1 : credentials.sha256)
    : await fakeCredential(hash, jid ?? first.username, ctx);
  const nonce = first.nonce + scramNonce(ctx.randomBytes(ctx.nonceLength ?? DEFAULT_NONCE_LENGTH));
  const ssdp = await downgradeHash(hash, ctx);
  const serverFirst = `r=${nonce},s=${credential.salt},i=${credential.iterations}${ssdp}`;
  const state: ScramState = {
    mechanism,
    step: "client-final",
    jid: credentials ? jid : undefined,
    account: jid ?? first.username,
    storedKey: credential.storedKey,
    serverKey: credential.serverKey,
    cbindInput: toBase64(concat(utf8(first.gs2Header), cbData)),
    clientFirstBare: first.bare,
    serverFirst,
    nonce,
  };
  return { kind: "challenge", data: utf8(serverFirst), state };
}

function base64Attr(value: string, what: string): Bytes {
  const bytes = fromBase64(value);
  if (!bytes) throw new SaslError("malformed-request", `Invalid base64 in ${what}`);
  return bytes;
}

/**
 * Handles the client-final-message: checks the nonce, the channel binding and the proof, and
 * returns success with the server-final-message "v=ServerSignature" as additional data.
 *
 * @param state The state returned by {@linkcode scramServerFirst}.
 * @param message The client-final-message.
 * @returns Success with the authenticated JID.
 * @throws {SaslError} `malformed-request` (syntax, nonce), `not-authorized` (channel binding
 * mismatch; with `wrongCredentials` for a wrong proof or an unknown user).
 * @example
 * ```ts
 * import { scramServerFinal, type ScramState } from "./scram.ts";
 * const state: ScramState = {
 *   mechanism: "SCRAM-SHA-1", step: "client-final", account: "u", storedKey: "AAAA", serverKey: "AAAA",
 *   cbindInput: "biws", clientFirstBare: "n=u,r=a", serverFirst: "r=ab,s=QQ==,i=4096", nonce: "ab",
 * };
 * const message = new TextEncoder().encode("c=biws,r=zz,p=AAAA");
 * const e = await scramServerFinal(state, message).catch((e) => e);
 * if (e.condition !== "malformed-request") throw new Error();
 * ```
 */
export async function scramServerFinal(
  state: ScramState,
  message: Uint8Array,
): Promise<SaslResult<never>> {
  const final = parseClientFinal(decodeUtf8(message));
  if (final.nonce !== state.nonce) throw new SaslError("malformed-request", "Nonce mismatch");
  const cbind = base64Attr(final.channelBinding, "channel binding");
  const proof = base64Attr(final.proof, "proof");
  const hash = hashOf(state.mechanism);
  if (proof.length !== hashLength(hash)) {
    throw new SaslError("malformed-request", "Proof has the wrong length");
  }
  // RFC 5802 §6: c= must carry the gs2-header and, with "p", the channel binding data.
  if (!timingSafeEqual(cbind, base64Attr(state.cbindInput, "state"))) {
    throw new SaslError("not-authorized", "Channel binding mismatch");
  }
  const storedKey = base64Attr(state.storedKey, "state");
  const authMessage = utf8(`${state.clientFirstBare},${state.serverFirst},${final.withoutProof}`);
  const clientSignature = await hmacStoredKey(hash, storedKey, authMessage);
  const clientKey = xor(proof, clientSignature);
  const ok = timingSafeEqual(await digest(hash, clientKey), storedKey);
  if (!ok || state.jid === undefined) {
    throw new SaslError("not-authorized", undefined, { wrongCredentials: true });
  }
  const serverSignature = await hmacStoredKey(
    hash,
    base64Attr(state.serverKey, "state"),
    authMessage,
  );
  return { kind: "success", jid: state.jid, data: utf8(`v=${toBase64(serverSignature)}`) };
}

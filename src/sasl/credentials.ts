/**
 * SCRAM credentials (RFC 5802 §3): derived once from a password, stored instead of it, and
 * checked against a PLAIN password.
 *
 * @module
 */
import type { Credentials, ScramCredential } from "../storage/account_store.ts";
import { type Bytes, copy, timingSafeEqual, utf8 } from "./_bytes.ts";
import { fromBase64, toBase64 } from "../util/base64.ts";
import { type HashName, hi, scramKeys } from "./_crypto.ts";

/** The default PBKDF2 iteration count: the minimum RFC 7677 §4 allows. */
export const DEFAULT_ITERATIONS = 4096;
/** Length of a generated salt, in bytes. */
export const SALT_LENGTH = 16;

// RFC 3454 B.1: "commonly mapped to nothing" (U+200B is also in C.1.2; like other SASLprep
// implementations we map it to a space).
const MAPPED_TO_NOTHING =
  /[\u00ad\u034f\u1806\u180b-\u180d\u200c\u200d\u2060\ufe00-\ufe0f\ufeff]/gu;
// RFC 3454 C.1.2: non-ASCII space characters.
const NON_ASCII_SPACE = /[\u00a0\u1680\u2000-\u200b\u202f\u205f\u3000]/gu;

/**
 * Prepares a password with an approximation of SASLprep (RFC 4013): characters "commonly
 * mapped to nothing" are removed, non-ASCII spaces become U+0020, and the result is
 * NFKC-normalized (RFC 4013 §2.1-2.2). The prohibited-output, bidi and unassigned-code-point
 * checks of RFC 4013 §2.3-2.5 are not applied: such a password is accepted as it is. As the same
 * function runs when the credentials are derived and when a PLAIN password is checked, the
 * approximation is consistent; a SCRAM client that rejects such a password itself simply
 * cannot use it.
 *
 * @param password The password as typed.
 * @returns The prepared password.
 * @example
 * ```ts
 * import { saslPrep } from "./credentials.ts";
 * if (saslPrep("I\u00adX") !== "IX") throw new Error();
 * if (saslPrep("a\u00a0b") !== "a b") throw new Error();
 * ```
 */
export function saslPrep(password: string): string {
  return password.replace(MAPPED_TO_NOTHING, "").replace(NON_ASCII_SPACE, " ").normalize("NFKC");
}

/** Options of {@linkcode deriveCredentials}. */
export interface DeriveOptions {
  /** PBKDF2 iteration count, at least {@linkcode DEFAULT_ITERATIONS}; defaults to it. */
  readonly iterations?: number;
  /** Salt for SHA-1; generated when left out. */
  readonly salt1?: Uint8Array;
  /** Salt for SHA-256; generated when left out. */
  readonly salt2?: Uint8Array;
  /** Source of random bytes for the salts; defaults to `crypto.getRandomValues`. */
  readonly randomBytes?: (n: number) => Uint8Array;
}

function defaultRandomBytes(n: number): Uint8Array {
  return crypto.getRandomValues(new Uint8Array(n));
}

/**
 * Derives the SCRAM data of one hash function from a prepared password.
 *
 * @param hash The hash function.
 * @param password The prepared password, UTF-8.
 * @param salt The salt.
 * @param iterations The iteration count.
 * @returns The credential, base64-encoded.
 */
async function deriveOne(
  hash: HashName,
  password: Bytes,
  salt: Bytes,
  iterations: number,
): Promise<ScramCredential> {
  const salted = await hi(hash, password, salt, iterations);
  const { storedKey, serverKey } = await scramKeys(hash, salted);
  return {
    salt: toBase64(salt),
    iterations,
    storedKey: toBase64(storedKey),
    serverKey: toBase64(serverKey),
  };
}

/**
 * Derives the SCRAM-SHA-1 and SCRAM-SHA-256 credentials of a password (RFC 5802 §3). The
 * password is prepared with {@linkcode saslPrep}; each hash gets its own salt.
 *
 * @param password The password.
 * @param options Iterations, salts and the source of randomness.
 * @returns The credentials to store.
 * @throws {RangeError} When the password is empty, a salt is empty, or the iteration count is
 * not an integer of at least 4096 (RFC 7677 §4).
 * @example
 * ```ts
 * import { deriveCredentials, verifyPlain } from "./credentials.ts";
 * const credentials = await deriveCredentials("pencil");
 * if (credentials.sha256.iterations !== 4096) throw new Error();
 * if (!await verifyPlain(credentials, "pencil")) throw new Error();
 * ```
 */
export async function deriveCredentials(
  password: string,
  options: DeriveOptions = {},
): Promise<Credentials> {
  const iterations = options.iterations ?? DEFAULT_ITERATIONS;
  if (!Number.isInteger(iterations) || iterations < DEFAULT_ITERATIONS || iterations > 2 ** 31) {
    throw new RangeError(
      `Cannot derive credentials: iteration count "${iterations}" is not an integer from ${DEFAULT_ITERATIONS} to 2^31`,
    );
  }
  const prepared = saslPrep(password);
  if (prepared === "") throw new RangeError("Cannot derive credentials: the password is empty");
  const random = options.randomBytes ?? defaultRandomBytes;
  const salt1 = copy(options.salt1 ?? random(SALT_LENGTH));
  const salt2 = copy(options.salt2 ?? random(SALT_LENGTH));
  if (salt1.length === 0 || salt2.length === 0) {
    throw new RangeError("Cannot derive credentials: a salt is empty");
  }
  const bytes = utf8(prepared);
  const [sha1, sha256] = await Promise.all([
    deriveOne("SHA-1", bytes, salt1, iterations),
    deriveOne("SHA-256", bytes, salt2, iterations),
  ]);
  return { sha1, sha256 };
}

/**
 * Checks a password (from SASL PLAIN, RFC 4616) against stored credentials: recomputes the
 * SCRAM-SHA-256 StoredKey with the stored salt and iteration count and compares it in constant
 * time.
 *
 * @param credentials The stored credentials.
 * @param password The password received.
 * @returns `true` when the password matches.
 * @throws {TypeError} When the stored credentials are not valid base64.
 * @example
 * ```ts
 * import { deriveCredentials, verifyPlain } from "./credentials.ts";
 * const credentials = await deriveCredentials("pencil");
 * if (await verifyPlain(credentials, "pen")) throw new Error();
 * ```
 */
export async function verifyPlain(credentials: Credentials, password: string): Promise<boolean> {
  const stored = credentials.sha256;
  const salt = fromBase64(stored.salt);
  const storedKey = fromBase64(stored.storedKey);
  if (!salt || !storedKey) {
    throw new TypeError("Cannot verify password: stored credentials are not base64");
  }
  const prepared = saslPrep(password);
  if (prepared === "") return false;
  const salted = await hi("SHA-256", utf8(prepared), salt, stored.iterations);
  const keys = await scramKeys("SHA-256", salted);
  return timingSafeEqual(keys.storedKey, storedKey);
}

/**
 * The SCRAM primitives of RFC 5802 §2.2 on `crypto.subtle`. Private to `src/sasl/`.
 *
 * @module
 */
import { type Bytes, utf8 } from "./_bytes.ts";

/** The hash functions SCRAM is used with here. */
export type HashName = "SHA-1" | "SHA-256";

/** Output length of a hash, in bytes. */
export function hashLength(hash: HashName): number {
  return hash === "SHA-1" ? 20 : 32;
}

/** H(data). */
export async function digest(hash: HashName, data: Bytes): Promise<Bytes> {
  return new Uint8Array(await crypto.subtle.digest(hash, data));
}

/** HMAC(key, data). The key must not be empty (Web Crypto refuses empty HMAC keys). */
export async function hmac(hash: HashName, key: Bytes, data: Bytes): Promise<Bytes> {
  const k = await crypto.subtle.importKey("raw", key, { name: "HMAC", hash }, false, ["sign"]);
  return new Uint8Array(await crypto.subtle.sign("HMAC", k, data));
}

/** Hi(password, salt, i) of RFC 5802 §2.2, which is PBKDF2 with dkLen = the hash length. */
export async function hi(
  hash: HashName,
  password: Bytes,
  salt: Bytes,
  iterations: number,
): Promise<Bytes> {
  const k = await crypto.subtle.importKey("raw", password, "PBKDF2", false, ["deriveBits"]);
  const bits = await crypto.subtle.deriveBits(
    { name: "PBKDF2", hash, salt, iterations },
    k,
    hashLength(hash) * 8,
  );
  return new Uint8Array(bits);
}

/** StoredKey and ServerKey from a SaltedPassword (RFC 5802 §3). */
export async function scramKeys(
  hash: HashName,
  saltedPassword: Bytes,
): Promise<{ storedKey: Bytes; serverKey: Bytes }> {
  const clientKey = await hmac(hash, saltedPassword, utf8("Client Key"));
  const storedKey = await digest(hash, clientKey);
  const serverKey = await hmac(hash, saltedPassword, utf8("Server Key"));
  return { storedKey, serverKey };
}

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

// Imported HMAC keys of stored credentials (StoredKey, ServerKey), reused across logins: the
// import was a fifth of the server's work per SCRAM login in the login benchmark. Bounded;
// emptied when full. Keys are non-extractable and hold nothing the store does not hold.
const KEY_CACHE_LIMIT = 4096;
const keyCache = new Map<string, Promise<CryptoKey>>();

function cacheKey(hash: HashName, key: Bytes): string {
  let s = hash;
  for (let i = 0; i < key.length; i++) s += String.fromCharCode(key[i]);
  return s;
}

/**
 * HMAC(key, data) for a key that recurs (a stored credential): the imported key is cached.
 */
export async function hmacStoredKey(hash: HashName, key: Bytes, data: Bytes): Promise<Bytes> {
  const id = cacheKey(hash, key);
  let k = keyCache.get(id);
  if (!k) {
    if (keyCache.size >= KEY_CACHE_LIMIT) keyCache.clear();
    k = crypto.subtle.importKey("raw", key, { name: "HMAC", hash }, false, ["sign"]);
    keyCache.set(id, k);
    k.catch(() => keyCache.delete(id));
  }
  return new Uint8Array(await crypto.subtle.sign("HMAC", await k, data));
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

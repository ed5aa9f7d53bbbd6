/**
 * A SCRAM-SHA-1 client (RFC 5802) on crypto.subtle for the load generator, with PLAIN.
 * Like real clients, it caches the SaltedPassword (and the keys derived from it) per
 * user, salt and iteration count, so only the first login of a user pays for PBKDF2.
 *
 * @module
 */

const enc = new TextEncoder();

interface Keys {
  clientKey: Uint8Array;
  storedKeyHmac: CryptoKey;
  serverKeyHmac: CryptoKey;
}

const cache = new Map<string, Promise<Keys>>();

function b64(bytes: Uint8Array): string {
  let s = "";
  for (let i = 0; i < bytes.length; i++) s += String.fromCharCode(bytes[i]);
  return btoa(s);
}

function unb64(s: string): Uint8Array {
  const bin = atob(s);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

function hmacKey(raw: Uint8Array): Promise<CryptoKey> {
  return crypto.subtle.importKey(
    "raw",
    raw as Uint8Array<ArrayBuffer>,
    { name: "HMAC", hash: "SHA-1" },
    false,
    ["sign"],
  );
}

async function hmac(key: CryptoKey, data: string): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.sign("HMAC", key, enc.encode(data)));
}

async function deriveKeys(password: string, salt: Uint8Array, iterations: number): Promise<Keys> {
  const base = await crypto.subtle.importKey("raw", enc.encode(password), "PBKDF2", false, [
    "deriveBits",
  ]);
  const salted = new Uint8Array(
    await crypto.subtle.deriveBits(
      { name: "PBKDF2", hash: "SHA-1", salt: salt as Uint8Array<ArrayBuffer>, iterations },
      base,
      160,
    ),
  );
  const saltedKey = await hmacKey(salted);
  const clientKey = await hmac(saltedKey, "Client Key");
  const serverKey = await hmac(saltedKey, "Server Key");
  const storedKey = new Uint8Array(
    await crypto.subtle.digest("SHA-1", clientKey as Uint8Array<ArrayBuffer>),
  );
  return {
    clientKey,
    storedKeyHmac: await hmacKey(storedKey),
    serverKeyHmac: await hmacKey(serverKey),
  };
}

/** One SCRAM-SHA-1 exchange. */
export class ScramSha1 {
  readonly #user: string;
  readonly #password: string;
  readonly #nonce: string;
  #serverSignature = "";

  /**
   * @param user The username (localpart).
   * @param password The password.
   */
  constructor(user: string, password: string) {
    this.#user = user;
    this.#password = password;
    this.#nonce = b64(crypto.getRandomValues(new Uint8Array(18)));
  }

  #bare(): string {
    return `n=${this.#user.replace(/=/g, "=3D").replace(/,/g, "=2C")},r=${this.#nonce}`;
  }

  /** The base64 client-first-message. */
  first(): string {
    return btoa(`n,,${this.#bare()}`);
  }

  /**
   * Answers the server-first-message.
   *
   * @param challengeB64 The base64 challenge.
   * @returns The base64 client-final-message.
   */
  async final(challengeB64: string): Promise<string> {
    const serverFirst = atob(challengeB64);
    const attrs = new Map<string, string>();
    for (const part of serverFirst.split(",")) attrs.set(part[0], part.slice(2));
    const nonce = attrs.get("r") ?? "";
    const salt = attrs.get("s") ?? "";
    const iterations = Number(attrs.get("i"));
    if (!nonce.startsWith(this.#nonce) || !salt || !(iterations > 0)) {
      throw new Error("Bad SCRAM server-first-message");
    }
    const cacheKey = `${this.#user}\0${this.#password}\0${salt}\0${iterations}`;
    let keys = cache.get(cacheKey);
    if (!keys) {
      keys = deriveKeys(this.#password, unb64(salt), iterations);
      cache.set(cacheKey, keys);
    }
    const k = await keys;
    const withoutProof = `c=biws,r=${nonce}`;
    const authMessage = `${this.#bare()},${serverFirst},${withoutProof}`;
    const [signature, serverSig] = await Promise.all([
      hmac(k.storedKeyHmac, authMessage),
      hmac(k.serverKeyHmac, authMessage),
    ]);
    const proof = new Uint8Array(signature.length);
    for (let i = 0; i < proof.length; i++) proof[i] = k.clientKey[i] ^ signature[i];
    this.#serverSignature = b64(serverSig);
    return btoa(`${withoutProof},p=${b64(proof)}`);
  }

  /**
   * Checks the server's signature in `<success/>`.
   *
   * @param successB64 The base64 additional data of success.
   * @returns Whether it matches.
   */
  verify(successB64: string): boolean {
    return atob(successB64) === `v=${this.#serverSignature}`;
  }
}

/**
 * The base64 PLAIN initial response.
 *
 * @param user The username.
 * @param password The password.
 * @returns The payload.
 */
export function plain(user: string, password: string): string {
  const bytes = enc.encode(`\0${user}\0${password}`);
  return b64(bytes);
}

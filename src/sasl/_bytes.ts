/**
 * Byte helpers shared by the SASL mechanisms. Private to `src/sasl/`.
 *
 * @module
 */

/** Bytes backed by a plain `ArrayBuffer`, as `crypto.subtle` wants them. */
export type Bytes = Uint8Array<ArrayBuffer>;

const encoder = new TextEncoder();
const decoder = new TextDecoder("utf-8", { fatal: true });

/** UTF-8 encodes a string. */
export function utf8(s: string): Bytes {
  return encoder.encode(s);
}

/** Decodes UTF-8 strictly; `undefined` when the bytes are not valid UTF-8. */
export function fromUtf8(bytes: Uint8Array): string | undefined {
  try {
    return decoder.decode(bytes);
  } catch (e) {
    if (e instanceof TypeError) return undefined;
    throw e;
  }
}

/** Copies bytes into a fresh `ArrayBuffer`-backed array. */
export function copy(bytes: Uint8Array): Bytes {
  return new Uint8Array(bytes);
}

/** Concatenates byte arrays. */
export function concat(...parts: readonly Uint8Array[]): Bytes {
  let length = 0;
  for (const p of parts) length += p.length;
  const out = new Uint8Array(length);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** XORs two arrays of the same length. */
export function xor(a: Uint8Array, b: Uint8Array): Bytes {
  const out = new Uint8Array(a.length);
  for (let i = 0; i < a.length; i++) out[i] = a[i] ^ b[i];
  return out;
}

/**
 * Compares two arrays in time that depends only on their length (which is not secret here:
 * both are digests of a known size).
 */
export function timingSafeEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i] ^ b[i];
  return diff === 0;
}

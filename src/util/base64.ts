/**
 * Base64 (RFC 4648 §4) for the core and the adapters, on `btoa` and `atob`.
 *
 * @module
 */

// RFC 4648 §4, padded, no whitespace, no URL-safe alphabet.
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/**
 * Encodes bytes as padded base64 (RFC 4648 §4).
 *
 * @param bytes The bytes, of any length.
 * @returns The base64 text.
 * @example
 * ```ts
 * import { toBase64 } from "./base64.ts";
 * if (toBase64(new Uint8Array([0xff, 0x00])) !== "/wA=") throw new Error();
 * ```
 */
export function toBase64(bytes: Uint8Array): string {
  let bin = "";
  // In slices: spreading a large array into one call would overflow the argument limit.
  for (let i = 0; i < bytes.length; i += 0x8000) {
    bin += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return btoa(bin);
}

/**
 * Decodes strict base64: padded, no whitespace, no URL-safe alphabet (RFC 4648 §4).
 *
 * @param text The base64 text.
 * @returns The bytes, or `undefined` when the text is not valid base64.
 * @example
 * ```ts
 * import { fromBase64 } from "./base64.ts";
 * if (fromBase64("/wA=")?.[0] !== 0xff || fromBase64("/wA") !== undefined) throw new Error();
 * ```
 */
export function fromBase64(text: string): Uint8Array<ArrayBuffer> | undefined {
  if (!BASE64.test(text)) return undefined;
  const bin = atob(text);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

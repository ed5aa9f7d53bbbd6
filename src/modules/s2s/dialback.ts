/**
 * Server dialback keys (XEP-0220 §2.1, XEP-0185) and the XEP-0114 handshake digest, as pure
 * functions of their inputs (Web Crypto only).
 *
 * @module
 */

const encoder = new TextEncoder();

function hex(bytes: ArrayBuffer): string {
  return [...new Uint8Array(bytes)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

/**
 * The dialback key of XEP-0185 §3: HMAC-SHA256 keyed with the hex SHA-256 of the secret, over
 * `{Receiving Server} {Originating Server} {Stream ID}`, hex-encoded.
 *
 * @param secret The deployment's dialback secret.
 * @param receiving The receiving server's domain.
 * @param originating The originating server's domain.
 * @param streamId The id of the stream the receiving server opened.
 * @returns The key, 64 hex digits.
 * @example
 * ```ts
 * import { dialbackKey } from "./dialback.ts";
 * const key = await dialbackKey("s3cr3tf0rd14lb4ck", "example.net", "example.com", "D60000229F");
 * if (key !== "008c689ff366b50c63d69a3e2d2c0e0e1f8404b0118eb688a0102c87cb691bdc") throw new Error(key);
 * ```
 */
export async function dialbackKey(
  secret: string,
  receiving: string,
  originating: string,
  streamId: string,
): Promise<string> {
  const hashed = hex(await crypto.subtle.digest("SHA-256", encoder.encode(secret)));
  const key = await crypto.subtle.importKey(
    "raw",
    encoder.encode(hashed),
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["sign"],
  );
  const data = encoder.encode(`${receiving} ${originating} ${streamId}`);
  return hex(await crypto.subtle.sign("HMAC", key, data));
}

/**
 * Compares two strings in time independent of where they differ.
 *
 * @param a One.
 * @param b The other.
 * @returns Whether they are equal.
 * @example
 * ```ts
 * import { sameText } from "./dialback.ts";
 * if (!sameText("abc", "abc") || sameText("abc", "abd")) throw new Error();
 * ```
 */
export function sameText(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return diff === 0;
}

/**
 * The XEP-0114 §3 handshake: the lowercase hex SHA-1 of the stream id followed by the secret.
 *
 * @param streamId The id of the stream the server opened.
 * @param secret The component's shared secret.
 * @returns 40 hex digits.
 * @example
 * ```ts
 * import { handshakeDigest } from "./dialback.ts";
 * if (await handshakeDigest("3BF96D32", "sesame") !== "7a98dc4c9e92493d7fd66a25364c862637789c45") {
 *   throw new Error();
 * }
 * ```
 */
export async function handshakeDigest(streamId: string, secret: string): Promise<string> {
  return hex(await crypto.subtle.digest("SHA-1", encoder.encode(streamId + secret)));
}

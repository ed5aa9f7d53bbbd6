/**
 * Unique, unguessable ids (stream ids, generated resources, stanza and item ids).
 *
 * @module
 */

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, "0"));

/**
 * A new random id: 96 bits from the platform's CSPRNG, as 24 hex digits.
 *
 * @returns The id.
 * @example
 * ```ts
 * import { randomId } from "./random_id.ts";
 * if (!/^[0-9a-f]{24}$/.test(randomId())) throw new Error();
 * ```
 */
export function randomId(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(12));
  let s = "";
  for (const b of bytes) s += HEX[b];
  return s;
}

/**
 * Unique, unguessable ids (stream ids, generated resources, stanza and item ids).
 *
 * @module
 */

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, "0"));
const pool = new Uint8Array(4092);
let used = pool.length;

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
  // 12 bytes at a time from a pool filled 4 KiB at once: one call into the platform per 341
  // ids, not one per id (ids are made on the path of every archived message).
  if (used + 12 > pool.length) {
    crypto.getRandomValues(pool);
    used = 0;
  }
  let s = "";
  for (let i = used; i < used + 12; i++) s += HEX[pool[i]];
  used += 12;
  return s;
}

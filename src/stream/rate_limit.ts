/**
 * A token bucket for the bytes a client may send (a pure function of time): reading pauses
 * when a client sends faster than its rate, which slows it down through TCP flow control
 * instead of buffering its data, as Prosody's `limits` and ejabberd's shapers do.
 *
 * @module
 */

/** The bucket: tokens (bytes) left, and when it was last filled. */
export interface Bucket {
  /** Bytes that may still be read at once. */
  readonly tokens: number;
  /** Time of the last update, in milliseconds. */
  readonly at: number;
}

/**
 * Takes `bytes` from the bucket, refilling it at `rate` bytes per second up to `burst`.
 *
 * @param bucket The bucket before the read.
 * @param bytes Bytes just read.
 * @param now Current time in milliseconds.
 * @param rate Bytes per second.
 * @param burst Bucket size in bytes.
 * @returns The new bucket, and how long to wait before reading again (0: no wait).
 * @example
 * ```ts
 * import { take } from "./rate_limit.ts";
 * const { delayMs } = take({ tokens: 1000, at: 0 }, 3000, 0, 1000, 1000);
 * if (delayMs !== 2000) throw new Error(String(delayMs));
 * ```
 */
export function take(
  bucket: Bucket,
  bytes: number,
  now: number,
  rate: number,
  burst: number,
): { bucket: Bucket; delayMs: number } {
  const refilled = Math.min(burst, bucket.tokens + (Math.max(0, now - bucket.at) * rate) / 1000);
  const tokens = refilled - bytes;
  return {
    bucket: { tokens, at: now },
    delayMs: tokens >= 0 ? 0 : Math.ceil((-tokens * 1000) / rate),
  };
}

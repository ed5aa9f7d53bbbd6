/**
 * Counts failures per key (a remote address) in fixed one-minute windows, to log one
 * connection's trouble at `info` and a flood at `warn` without the log becoming a flood too.
 *
 * @module
 */

/** How loudly to log one failure. */
export type FloodLevel = "info" | "warn" | "debug";

/** Options of a {@linkcode FloodMeter}. */
export interface FloodMeterOptions {
  /** Failures per key and window logged one by one; the next one is the flood. Default 20. */
  readonly threshold?: number;
  /** The window in ms. Default 60,000. */
  readonly windowMs?: number;
  /** Most keys remembered; beyond it the oldest windows are forgotten. Default 10,000. */
  readonly maxKeys?: number;
}

/**
 * Counts failures per key. Each failure gets a level: `info` up to `threshold` failures of a
 * key in the window, `warn` for the one after (once per key and window), `debug` for the rest
 * of that window.
 *
 * @example
 * ```ts
 * import { FloodMeter } from "./flood_meter.ts";
 * const meter = new FloodMeter({ threshold: 2 });
 * const levels = [0, 1, 2, 3].map(() => meter.note("192.0.2.1", 0));
 * if (levels.join() !== "info,info,warn,debug") throw new Error(levels.join());
 * if (meter.note("192.0.2.1", 60_000) !== "info") throw new Error();
 * ```
 */
export class FloodMeter {
  readonly #threshold: number;
  readonly #windowMs: number;
  readonly #maxKeys: number;
  readonly #windows = new Map<string, { start: number; count: number }>();

  /**
   * Creates a meter.
   *
   * @param options Threshold, window and memory bound.
   */
  constructor(options: FloodMeterOptions = {}) {
    this.#threshold = options.threshold ?? 20;
    this.#windowMs = options.windowMs ?? 60_000;
    this.#maxKeys = options.maxKeys ?? 10_000;
  }

  /**
   * Counts one failure.
   *
   * @param key The remote address ("" when unknown).
   * @param now The current time in ms.
   * @returns The level to log this failure at.
   */
  note(key: string, now: number): FloodLevel {
    let window = this.#windows.get(key);
    if (!window || now - window.start >= this.#windowMs) {
      this.#windows.delete(key); // re-inserted last: the map stays ordered by window start
      window = { start: now, count: 0 };
      this.#windows.set(key, window);
      this.#prune(now);
    }
    window.count++;
    if (window.count <= this.#threshold) return "info";
    return window.count === this.#threshold + 1 ? "warn" : "debug";
  }

  /**
   * Failures of `key` in its current window.
   *
   * @param key The remote address.
   * @param now The current time in ms.
   * @returns The count (0 when the window is over).
   */
  count(key: string, now: number): number {
    const window = this.#windows.get(key);
    return window && now - window.start < this.#windowMs ? window.count : 0;
  }

  #prune(now: number): void {
    for (const [key, window] of this.#windows) {
      if (now - window.start < this.#windowMs && this.#windows.size <= this.#maxKeys) break;
      this.#windows.delete(key);
    }
  }
}

/**
 * The generic cell rate algorithm (GCRA) as pure functions: a token bucket kept as one number,
 * the theoretical arrival time (TAT) of the next event, in ms. Events within the burst go at
 * once; later ones are spaced by the rate: each gets the delay after which it conforms, and
 * reserves its slot, so that parallel events queue instead of all passing at once.
 *
 * @module
 */

/** A rate: `burst` events at once, then `perMinute` events per minute. */
export interface GcraRate {
  /** Events that pass without delay from a fresh state; at least 1. */
  readonly burst: number;
  /** Sustained events per minute; more than 0. */
  readonly perMinute: number;
}

/** What {@linkcode gcraReserve} returns. */
export interface GcraSlot {
  /** The new TAT to store. */
  readonly tat: number;
  /** How long the event waits before it goes ahead (0: at once). */
  readonly delayMs: number;
}

function interval(rate: GcraRate): number {
  return 60_000 / rate.perMinute;
}

/**
 * Reserves the next slot for an event arriving at `now`.
 *
 * @param tat The stored TAT; `undefined` for a fresh state (as is any TAT not after `now`).
 * @param rate The rate.
 * @param now The current time in ms.
 * @returns The new TAT and the event's delay.
 * @example
 * ```ts
 * import { gcraReserve } from "./gcra.ts";
 * const rate = { burst: 2, perMinute: 60 }; // 2 at once, then one per second
 * let tat: number | undefined;
 * const delays = [0, 1, 2, 3].map(() => {
 *   const slot = gcraReserve(tat, rate, 0);
 *   tat = slot.tat;
 *   return slot.delayMs;
 * });
 * if (delays.join() !== "0,0,1000,2000") throw new Error(delays.join());
 * ```
 */
export function gcraReserve(tat: number | undefined, rate: GcraRate, now: number): GcraSlot {
  const t = interval(rate);
  const from = Math.max(tat ?? now, now);
  const start = Math.max(now, from - (rate.burst - 1) * t);
  return { tat: from + t, delayMs: start - now };
}

/**
 * Gives back the slot of one event (e.g. an attempt that turned out legitimate).
 *
 * @param tat The stored TAT.
 * @param rate The rate.
 * @param now The current time in ms.
 * @returns The new TAT, or `undefined` when the state is fresh again (the entry can go).
 * @example
 * ```ts
 * import { gcraRelease } from "./gcra.ts";
 * if (gcraRelease(3000, { burst: 1, perMinute: 60 }, 0) !== 2000) throw new Error();
 * if (gcraRelease(1000, { burst: 1, perMinute: 60 }, 0) !== undefined) throw new Error();
 * ```
 */
export function gcraRelease(tat: number, rate: GcraRate, now: number): number | undefined {
  const back = tat - interval(rate);
  return back > now ? back : undefined;
}

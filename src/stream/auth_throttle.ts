/**
 * Throttling of password guessing (issue #10): before a SASL step checks credentials, the
 * attempt waits for a slot of two token buckets (GCRA), one per remote address and one per
 * account. Waiting delays the answer instead of locking anyone out, so an attacker cannot lock
 * a user out: the account's owner, from an address it logged in from before, is not held by
 * the account's bucket, only by its own address's.
 *
 * Every checked attempt reserves a slot before it runs (so parallel connections queue instead
 * of passing together), and a successful one gives its slots back: only failures use up the
 * rate. An attempt whose wait would exceed `maxDelayMs` is refused at once, unchecked
 * (`temporary-auth-failure`), so queues and waiting connections stay bounded.
 *
 * @module
 */
import { type FloodLevel, FloodMeter } from "../util/flood_meter.ts";
import { type GcraRate, gcraRelease, gcraReserve } from "../util/gcra.ts";

/** A checked attempt that was let through; settle it with the outcome. */
export interface AuthTicket {
  /** How long the attempt waited, in ms. */
  readonly delayMs: number;
  /**
   * Reports the outcome: `true` for success (the slots are given back and the address is
   * remembered as the account's), `false` for anything else (the slots stay used).
   */
  settle(success: boolean): void;
}

/** What negotiation asks of the server's throttle (see {@linkcode createAuthThrottle}). */
export interface AuthThrottle {
  /**
   * Waits until an attempt to check `account`'s credentials from `address` may go ahead.
   *
   * @param address The remote address; `undefined` when unknown (no per-address limit).
   * @param account The account named (a bare JID, or the raw username).
   * @returns The ticket, or `undefined` when the attempt is refused without being checked.
   */
  admit(address: string | undefined, account: string): Promise<AuthTicket | undefined>;
  /**
   * Counts a SASL failure of any kind from `address` (for logs).
   *
   * @param address The remote address.
   * @returns The level to log it at: `info`, `warn` once when the failures of the address
   * within a minute pass the flood threshold, `debug` for the rest of that minute.
   */
  noteFailure(address: string | undefined): FloodLevel;
}

/** Options of {@linkcode createAuthThrottle}. */
export interface AuthThrottleOptions {
  /** Failed attempts that go through without delay, per address and per account. */
  readonly burst: number;
  /** Failed attempts per minute per remote address after the burst; 0 turns the limit off. */
  readonly perAddressPerMinute: number;
  /** Failed attempts per minute per account after the burst; 0 turns the limit off. */
  readonly perAccountPerMinute: number;
  /** Longest wait; an attempt that would wait longer is refused. */
  readonly maxDelayMs: number;
  /** How long a successful login exempts its address from the account's limit; 30 days. */
  readonly trustMs?: number;
  /** SASL failures per address and minute logged one by one (see `noteFailure`); 20. */
  readonly floodThreshold?: number;
  /** Entries kept per table (addresses, accounts, trusted pairs); 100,000. */
  readonly maxEntries?: number;
  /** The clock, in ms; `Date.now` by default. */
  readonly now?: () => number;
  /** Waits `ms`; a timer by default. */
  readonly sleep?: (ms: number) => Promise<void>;
}

/** A table of TATs (or expiry times) that forgets stale entries, oldest update first. */
class Table {
  readonly #map = new Map<string, number>();
  readonly #max: number;

  constructor(max: number) {
    this.#max = max;
  }

  get(key: string): number | undefined {
    return this.#map.get(key);
  }

  set(key: string, value: number | undefined, now: number): void {
    this.#map.delete(key); // re-inserted last: the map stays ordered by last update
    if (value !== undefined && value > now) this.#map.set(key, value);
    for (const [k, v] of this.#map) {
      if (v > now && this.#map.size <= this.#max) break;
      this.#map.delete(k);
    }
  }
}

const pair = (address: string, account: string) => `${address}\n${account}`;

/**
 * Creates the server's throttle of password guessing.
 *
 * @param options Rates, the longest wait, clock and sleep.
 * @returns The throttle, for `NegotiationEnv.throttle`.
 * @throws {RangeError} When `burst` is below 1 or a rate or `maxDelayMs` is negative.
 * @example
 * ```ts
 * import { createAuthThrottle } from "./auth_throttle.ts";
 * const slept: number[] = [];
 * const throttle = createAuthThrottle({
 *   burst: 1, perAddressPerMinute: 60, perAccountPerMinute: 0, maxDelayMs: 1500,
 *   now: () => 0, sleep: (ms) => { slept.push(ms); return Promise.resolve(); },
 * });
 * for (let i = 0; i < 2; i++) (await throttle.admit("192.0.2.1", "alice@localhost"))?.settle(false);
 * if (await throttle.admit("192.0.2.1", "alice@localhost") !== undefined) throw new Error();
 * if (slept.join() !== "1000") throw new Error(slept.join());
 * ```
 */
export function createAuthThrottle(options: AuthThrottleOptions): AuthThrottle {
  const { burst, perAddressPerMinute, perAccountPerMinute, maxDelayMs } = options;
  if (!(burst >= 1) || !(perAddressPerMinute >= 0) || !(perAccountPerMinute >= 0)) {
    throw new RangeError("Cannot throttle authentication: invalid burst or rate");
  }
  if (!(maxDelayMs >= 0)) {
    throw new RangeError(`Cannot throttle authentication: invalid maxDelayMs "${maxDelayMs}"`);
  }
  const now = options.now ?? Date.now;
  const sleep = options.sleep ??
    ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const trustMs = options.trustMs ?? 30 * 24 * 3600_000;
  const max = options.maxEntries ?? 100_000;
  const byAddress = new Table(max);
  const byAccount = new Table(max);
  const trusted = new Table(max);
  const flood = new FloodMeter({ threshold: options.floodThreshold ?? 20, maxKeys: max });
  const addressRate: GcraRate = { burst, perMinute: perAddressPerMinute };
  const accountRate: GcraRate = { burst, perMinute: perAccountPerMinute };

  return {
    async admit(address, account) {
      const t = now();
      const limitAddress = address !== undefined && perAddressPerMinute > 0;
      const isTrusted = address !== undefined && (trusted.get(pair(address, account)) ?? 0) > t;
      const limitAccount = perAccountPerMinute > 0 && !isTrusted;
      const a = limitAddress ? gcraReserve(byAddress.get(address), addressRate, t) : undefined;
      const b = limitAccount ? gcraReserve(byAccount.get(account), accountRate, t) : undefined;
      const delayMs = Math.max(a?.delayMs ?? 0, b?.delayMs ?? 0);
      if (delayMs > maxDelayMs) return undefined; // refused: nothing reserved, nothing checked
      if (a) byAddress.set(address!, a.tat, t);
      if (b) byAccount.set(account, b.tat, t);
      if (delayMs > 0) await sleep(delayMs);
      let settled = false;
      return {
        delayMs,
        settle(success) {
          if (settled || !success) {
            settled = true;
            return;
          }
          settled = true;
          const t2 = now();
          if (a) {
            const tat = byAddress.get(address!);
            byAddress.set(address!, tat && gcraRelease(tat, addressRate, t2), t2);
          }
          if (b) {
            const tat = byAccount.get(account);
            byAccount.set(account, tat && gcraRelease(tat, accountRate, t2), t2);
          }
          if (address !== undefined) trusted.set(pair(address, account), t2 + trustMs, t2);
        },
      };
    },
    noteFailure(address) {
      return flood.note(address ?? "", now());
    },
  };
}

// Group commit for hot writes (offline messages, archive appends): writes that arrive while
// the previous batch of their lane is being written go together in the next one, as one
// statement. Each caller's promise settles when its own row is committed (or refused), so
// "durable when it resolves" holds as for a single write. At low load a batch is one write
// and costs nothing extra; under a flood, one statement carries up to `maxBatch` rows.

/** Options of {@linkcode Batcher}. */
export interface BatcherOptions<I> {
  /** Most items in one batch. */
  readonly maxBatch: number;
  /**
   * Independent queues, each with one batch in flight (default 1). Items with the same
   * `laneKey` share a lane and are written in the order submitted.
   */
  readonly lanes?: number;
  /** The key that picks an item's lane (e.g. the owner, to keep its order). */
  readonly laneKey?: (item: I) => string;
  /**
   * Whether a batch's failure may be down to one item, so that trying each item alone is
   * safe and useful. Default: never (every item gets the batch's error).
   */
  readonly retryAlone?: (error: unknown) => boolean;
}

/**
 * Whether a database error is about the data of a statement that did not commit: SQLSTATE
 * class 22 (data exception) or 23 (integrity constraint violation), found on the error or its
 * causes (drizzle wraps driver errors). A lost connection is not: the batch may have committed,
 * and writing its items again could store them twice.
 */
export function isDataError(error: unknown): boolean {
  for (let e = error; e instanceof Error; e = e.cause) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === "string" && /^2[23][0-9A-Z]{3}$/.test(code)) return true;
  }
  return false;
}

/** How a store groups its writes: the numbers of {@linkcode BatcherOptions}. */
export interface WriteBatching {
  /** Most rows in one statement. */
  readonly maxBatch: number;
  /** Batches in flight at once (each for its own owners). */
  readonly lanes: number;
}

interface Waiting<I, O> {
  readonly item: I;
  resolve(out: O): void;
  reject(e: unknown): void;
}

interface Lane<I, O> {
  queue: Waiting<I, O>[];
  busy: boolean;
}

/** FNV-1a, enough to spread owners over a few lanes. */
function hash(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

export class Batcher<I, O> {
  readonly #run: (items: readonly I[]) => Promise<O[]>;
  readonly #options: BatcherOptions<I>;
  readonly #lanes: Lane<I, O>[];

  /**
   * @param run Writes a batch; returns one output per item, in order. When it fails for a
   * batch of several with an error `retryAlone` accepts, each item is tried again alone, so
   * that one bad item fails only itself.
   */
  constructor(run: (items: readonly I[]) => Promise<O[]>, options: BatcherOptions<I>) {
    this.#run = run;
    this.#options = options;
    this.#lanes = Array.from({ length: Math.max(1, options.lanes ?? 1) }, () => ({
      queue: [],
      busy: false,
    }));
  }

  /** Queues an item; resolves with its output once its batch is written. */
  submit(item: I): Promise<O> {
    const key = this.#options.laneKey?.(item) ?? "";
    const lane = this.#lanes[this.#lanes.length === 1 ? 0 : hash(key) % this.#lanes.length];
    return new Promise<O>((resolve, reject) => {
      lane.queue.push({ item, resolve, reject });
      if (lane.busy) return;
      lane.busy = true;
      // A microtask later: whatever else is submitted in this tick joins the first batch.
      queueMicrotask(() => void this.#drain(lane));
    });
  }

  async #drain(lane: Lane<I, O>): Promise<void> {
    try {
      while (lane.queue.length > 0) {
        const batch = lane.queue.splice(0, this.#options.maxBatch);
        try {
          const outs = await this.#run(batch.map((w) => w.item));
          batch.forEach((w, i) => w.resolve(outs[i]));
        } catch (e) {
          if (batch.length === 1 || !this.#options.retryAlone?.(e)) {
            for (const w of batch) w.reject(e);
            continue;
          }
          for (const w of batch) {
            try {
              const [out] = await this.#run([w.item]);
              w.resolve(out);
            } catch (e) {
              w.reject(e);
            }
          }
        }
      }
    } finally {
      lane.busy = false;
    }
  }
}

/**
 * What a connection has queued for its client: serialized writes batched per event-loop turn,
 * bounded in bytes at the moment they are queued, with the stanzas not yet taken by the
 * transport remembered so that they can be handed back when the client never takes them.
 *
 * @module
 */

/** The writer side of a transport, as the queue uses it. */
export interface OutputSink {
  /** Writes the bytes; resolves once the transport took them, rejects when it failed. */
  write(bytes: Uint8Array): Promise<void>;
}

/** What became of an item offered to {@linkcode OutputQueue.push}. */
export type PushResult = "queued" | "overflow" | "closed";

const encoder = new TextEncoder();
const RESOLVED: Promise<void> = Promise.resolve();

// Writes of one event-loop turn leave together: the stanzas routed to a session while reads
// are processed (several in one chunk for the same recipient, a broadcast) become one socket
// write instead of one per stanza. One timer serves every queue.
const flushQueue: (() => void)[] = [];
function flushAll(): void {
  for (const task of flushQueue.splice(0)) task();
}
function scheduleFlush(task: () => void): void {
  if (flushQueue.push(task) === 1) setTimeout(flushAll, 0);
}

/**
 * The output of one connection.
 *
 * @typeParam T What a queued stanza is remembered as (the stanza element).
 * @example
 * ```ts
 * import { OutputQueue } from "./output.ts";
 * const written: string[] = [];
 * const q = new OutputQueue<string>(
 *   { write: (b) => Promise.resolve(void written.push(new TextDecoder().decode(b))) },
 *   { maxBytes: 10, oneWritePerItem: false },
 * );
 * if (q.push("<a/>", "a") !== "queued") throw new Error();
 * if (q.push("<b>0123456789</b>", "b") !== "overflow") throw new Error();
 * q.flush();
 * if (written[0] !== "<a/>") throw new Error(written.join());
 * ```
 */
export class OutputQueue<T> {
  readonly #sink: OutputSink;
  readonly #maxBytes: number;
  readonly #oneWritePerItem: boolean;
  readonly #stuckMs: number;
  #congestedSince = 0;
  #out: string[] = [];
  #items: { item: T | undefined; size: number }[] = [];
  #writes: { count: number; size: number }[] = [];
  #queued = 0;
  #scheduled = false;
  #closed = false;
  #failed = false;
  #last: Promise<void> = Promise.resolve();
  #drainWaiters: (() => void)[] = [];
  readonly #task = () => this.flush();
  /** Called once when a write fails: the transport is gone. */
  onFailure: () => void = () => {};

  /**
   * @param sink The transport's writer.
   * @param options `maxBytes`: the most that may be queued; `stuckMs`: how long more than half
   * of it may stay queued before the client counts as not reading (default: forever);
   * `oneWritePerItem`: one write per element (RFC 7395 §3.3.3, WebSocket messages).
   */
  constructor(
    sink: OutputSink,
    options: { maxBytes: number; stuckMs?: number; oneWritePerItem: boolean },
  ) {
    this.#sink = sink;
    this.#maxBytes = options.maxBytes;
    this.#stuckMs = options.stuckMs ?? Infinity;
    this.#oneWritePerItem = options.oneWritePerItem;
  }

  /** Bytes (UTF-16 units) queued and not yet taken by the transport. */
  get queued(): number {
    return this.#queued;
  }

  /** Whether the queue takes nothing more (closed, or the transport failed). */
  get closed(): boolean {
    return this.#closed || this.#failed;
  }

  /** When the last write handed to the transport settles. */
  get lastWrite(): Promise<void> {
    return this.#last;
  }

  /**
   * Queues serialized data. Data that carries an `item` (a stanza) counts toward the cap;
   * stream headers, errors and ends do not, so they always get out.
   *
   * @param data The serialized element.
   * @param item What to hand back if the client never takes it.
   * @param soon Flush in a microtask (negotiation is ping-pong) rather than at the end of the
   * event-loop turn.
   * @returns "queued"; "overflow" when it would pass the cap (nothing was queued); "closed".
   */
  push(data: string, item?: T, soon = false): PushResult {
    if (this.closed) return "closed";
    if (item !== undefined) {
      // Past the cap, or above half of it for too long: the client does not read.
      if (this.#queued + data.length > this.#maxBytes) return "overflow";
      if (this.#congestedSince && Date.now() - this.#congestedSince > this.#stuckMs) {
        return "overflow";
      }
    }
    this.#out.push(data);
    this.#items.push({ item, size: data.length });
    this.#queued += data.length;
    if (!this.#congestedSince && this.#queued > this.#maxBytes / 2) {
      this.#congestedSince = Date.now();
    }
    if (!this.#scheduled) {
      this.#scheduled = true;
      if (soon) queueMicrotask(this.#task);
      else scheduleFlush(this.#task);
    }
    return "queued";
  }

  /** Hands everything queued to the transport now. */
  flush(): void {
    this.#scheduled = false;
    if (this.#out.length === 0 || this.#failed) return;
    if (this.#oneWritePerItem && this.#out.length > 1) {
      const parts = this.#out;
      for (const part of parts) {
        this.#out = [part];
        this.flush();
      }
      return;
    }
    const text = this.#out.length === 1 ? this.#out[0] : this.#out.join("");
    let size = 0;
    for (const part of this.#out) size += part.length;
    const write = { count: this.#out.length, size };
    this.#writes.push(write);
    this.#out = [];
    this.#last = this.#sink.write(encoder.encode(text)).then(
      () => this.#taken(write),
      () => this.#fail(),
    );
  }

  #taken(write: { count: number; size: number }): void {
    // Taken by the transport: no longer ours to hand back.
    if (this.#writes[0] !== write) return;
    this.#writes.shift();
    this.#items.splice(0, write.count);
    this.#queued -= write.size;
    if (this.#queued <= this.#maxBytes / 2) this.#congestedSince = 0;
    if (this.#drainWaiters.length > 0 && this.#queued <= this.#maxBytes / 4) {
      for (const wake of this.#drainWaiters.splice(0)) wake();
    }
  }

  #fail(): void {
    if (this.#failed) return;
    this.#failed = true;
    for (const wake of this.#drainWaiters.splice(0)) wake();
    this.onFailure();
  }

  /**
   * Resolves when the queue is down to a quarter of its cap, the queue closed, or `ms` passed:
   * what a sender awaits so that a client that reads slowly slows its senders down.
   *
   * @param ms The longest wait.
   */
  drained(ms: number): Promise<void> {
    if (this.#queued <= this.#maxBytes / 2 || this.closed) return RESOLVED;
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, ms);
      this.#drainWaiters.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  /**
   * Takes back every item the transport has not taken (queued, or handed over with the write
   * not yet done), oldest first, and closes the queue: only the stream's last words
   * ({@linkcode OutputQueue.pushFinal}) go out after this.
   *
   * @returns The items.
   */
  takeBack(): T[] {
    const items: T[] = [];
    for (const { item } of this.#items) if (item !== undefined) items.push(item);
    this.#items = [];
    this.#writes = [];
    this.#out = [];
    this.#queued = 0;
    this.#closed = true;
    for (const wake of this.#drainWaiters.splice(0)) wake();
    return items;
  }

  /**
   * Queues the stream's last words (a stream error, our stream end) past the cap and after
   * the queue was closed, and flushes.
   *
   * @param data The serialized data.
   */
  pushFinal(data: string): void {
    if (this.#failed) return;
    this.#closed = true;
    this.#out.push(data);
    this.#items.push({ item: undefined, size: data.length });
    this.flush();
  }
}

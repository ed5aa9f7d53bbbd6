/**
 * The bytes of a stream that were pushed and not yet consumed, for the scanner in
 * `_scanner.ts`. Private to src/xml.
 *
 * Chunks are used in place while they are scanned (no copy in the common case of whole
 * stanzas per read); only the unfinished tail of a chunk is copied, into a store that grows
 * to the size limit at most.
 *
 * @module
 */
import { XmlSyntaxError } from "./errors.ts";

const EMPTY = new Uint8Array(0);
const decoder = new TextDecoder("utf-8", { ignoreBOM: true });

/** Index of the first byte of `bytes` that is not part of valid UTF-8 (length if none). */
function invalidUtf8At(bytes: Uint8Array): number {
  let i = 0;
  while (i < bytes.length) {
    const b = bytes[i];
    if (b < 0x80) {
      i++;
      continue;
    }
    let n: number, min: number, cp: number;
    if (b >= 0xC2 && b <= 0xDF) [n, min, cp] = [1, 0x80, b & 0x1F];
    else if (b >= 0xE0 && b <= 0xEF) [n, min, cp] = [2, 0x800, b & 0x0F];
    else if (b >= 0xF0 && b <= 0xF4) [n, min, cp] = [3, 0x10000, b & 0x07];
    else return i;
    for (let k = 1; k <= n; k++) {
      const c = bytes[i + k];
      if (c === undefined || (c & 0xC0) !== 0x80) return i;
      cp = (cp << 6) | (c & 0x3F);
    }
    // Overlong forms, surrogates and code points past U+10FFFF are not UTF-8 (RFC 3629 §3).
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return i;
    i += n + 1;
  }
  return i;
}

/** Pushed bytes: `buf` is being scanned, later chunks wait in a queue. */
export class Input {
  /** The bytes being scanned: a view of the caller's chunk, or of the store. */
  buf: Uint8Array = EMPTY;
  /** Stream offset of `buf[0]`. */
  base = 0;
  /** Index in `buf` of the first byte not consumed by an event. */
  start = 0;
  readonly #maxPending: number;
  #queue: Uint8Array | null = null;
  #store: Uint8Array = EMPTY;
  #owned = false;

  /** @param maxPending Most unconsumed bytes that the scanner ever needs to see. */
  constructor(maxPending: number) {
    this.#maxPending = maxPending;
  }

  /** Queues a chunk. */
  enqueue(chunk: Uint8Array): void {
    if (chunk.length === 0) return;
    const q = this.#queue;
    if (q === null) {
      this.#queue = chunk;
    } else {
      const both = new Uint8Array(q.length + chunk.length);
      both.set(q);
      both.set(chunk, q.length);
      this.#queue = both;
    }
  }

  /** A copy of the unconsumed bytes, queued ones included. */
  rest(): Uint8Array {
    const pending = this.buf.subarray(this.start);
    const q = this.#queue;
    if (q === null) return pending.slice();
    const out = new Uint8Array(pending.length + q.length);
    out.set(pending);
    out.set(q, pending.length);
    return out;
  }

  /**
   * Appends queued bytes to `buf`, dropping the consumed ones, but no more than `maxPending`
   * unconsumed bytes in all: past that the scanner fails, so the rest of a huge chunk is
   * never copied.
   *
   * @returns How far indexes into `buf` moved down, or -1 when nothing was queued.
   */
  pull(): number {
    const chunk = this.#queue;
    if (chunk === null) return -1;
    this.#queue = null;
    const buf = this.buf;
    const start = this.start;
    const pending = buf.length - start;
    if (pending === 0) {
      this.base += buf.length;
      this.buf = chunk;
      this.#owned = false;
      this.start = 0;
      return buf.length;
    }
    let take = chunk.length;
    const room = this.#maxPending - pending;
    if (take > room) {
      take = Math.max(room, 1);
      this.#queue = chunk.subarray(take);
    }
    const total = pending + take;
    let store = this.#store;
    if (store.length < total) {
      store = new Uint8Array(Math.max(total, 2 * store.length, 8192));
      store.set(buf.subarray(start));
      this.#store = store;
    } else if (this.#owned) {
      if (start > 0) store.copyWithin(0, start, buf.length);
    } else {
      store.set(buf.subarray(start));
    }
    store.set(take === chunk.length ? chunk : chunk.subarray(0, take), pending);
    this.buf = store.subarray(0, total);
    this.#owned = true;
    this.base += start;
    this.start = 0;
    return start;
  }

  /**
   * Stops referring to the caller's chunk, which it may reuse once iteration has ended.
   *
   * @returns How far indexes into `buf` moved down.
   */
  release(): number {
    const buf = this.buf;
    const start = this.start;
    if (start === buf.length) {
      this.base += buf.length;
      this.buf = EMPTY;
      this.#owned = false;
      this.start = 0;
      return start;
    }
    if (this.#owned) return 0;
    const pending = buf.length - start;
    if (this.#store.length < pending) this.#store = new Uint8Array(Math.max(pending, 8192));
    this.#store.set(buf.subarray(start));
    this.buf = this.#store.subarray(0, pending);
    this.#owned = true;
    this.base += start;
    this.start = 0;
    return start;
  }

  /**
   * Decodes `buf[from, to)` from UTF-8.
   *
   * @throws {XmlSyntaxError} The bytes are not valid UTF-8.
   */
  decode(from: number, to: number): string {
    // A fatal TextDecoder costs about twice as much per call as a replacing one, so decode
    // with replacement and look closer only if a U+FFFD came out.
    const bytes = this.buf.subarray(from, to);
    const s = decoder.decode(bytes);
    if (s.indexOf("\uFFFD") !== -1) {
      const bad = invalidUtf8At(bytes);
      if (bad < bytes.length) {
        throw new XmlSyntaxError("Invalid UTF-8 sequence", this.base + from + bad);
      }
    }
    return s;
  }
}

// Private to src/modules: the XEP-0198 counters and the queue of stanzas a client has not
// acknowledged yet, as plain data with no I/O (the stream management module drives it).
import type { Element } from "../xml/element.ts";

/** XEP-0198 §4: `h` is an unsigned 32-bit integer that wraps to 0 past 2^32 - 1. */
export const SEQUENCE_MODULUS = 2 ** 32;

/** What an `<a h/>` did to the queue. */
export type AckResult =
  | { readonly kind: "ok"; readonly acked: readonly Element[] }
  | { readonly kind: "too-high"; readonly h: number; readonly sent: number };

/** Adds 1 to a sequence number, modulo 2^32. */
export function nextSequence(n: number): number {
  return n + 1 === SEQUENCE_MODULUS ? 0 : n + 1;
}

/**
 * Reads an `h` attribute: a decimal unsigned 32-bit integer (XEP-0198 §4, the schema's
 * xs:unsignedInt); `undefined` when it is missing or not one.
 */
export function parseSequence(value: string | undefined): number | undefined {
  if (value === undefined || !/^[0-9]{1,10}$/.test(value)) return undefined;
  const n = Number(value);
  return n < SEQUENCE_MODULUS ? n : undefined;
}

/**
 * A rough size of an element in bytes of XML (names twice, attributes, text), cheaper than
 * serializing it: what the per-session byte cap counts.
 */
export function approxBytes(el: Element): number {
  let n = el.name.length * 2 + 5;
  for (const key in el.attrs) n += key.length + el.attrs[key].length + 4;
  for (const c of el.children) n += typeof c === "string" ? c.length : approxBytes(c);
  return n;
}

/** One queued stanza. */
export interface Unacked {
  /** The stanza as it went to the connection. */
  readonly stanza: Element;
  /** Its {@linkcode approxBytes}. */
  readonly size: number;
  /** When it was sent (ms since the epoch): the XEP-0203 stamp if it is redelivered. */
  readonly at: number;
}

/**
 * The stanzas sent to a client and not acknowledged yet, oldest first. The number sent is
 * always the number acknowledged plus the queue's length (modulo 2^32): a stanza withdrawn
 * before it was written ({@linkcode UnackedQueue.withdraw}) was never sent.
 */
export class UnackedQueue {
  #items: Unacked[] = [];
  #head = 0;
  #acked: number;
  #bytes = 0;

  /** @param start The `h` to count from (0 when stream management is enabled). */
  constructor(start = 0) {
    this.#acked = start;
  }

  /** Stanzas in the queue. */
  get length(): number {
    return this.#items.length - this.#head;
  }

  /** Their {@linkcode approxBytes}, summed. */
  get bytes(): number {
    return this.#bytes;
  }

  /** The last `h` the client acknowledged. */
  get acked(): number {
    return this.#acked;
  }

  /** Stanzas sent since stream management was enabled, modulo 2^32. */
  get sent(): number {
    return (this.#acked + this.length) % SEQUENCE_MODULUS;
  }

  /** Appends a stanza that is being sent. */
  push(stanza: Element, size: number, at: number): void {
    this.#items.push({ stanza, size, at });
    this.#bytes += size;
  }

  /**
   * Applies an acknowledgement: the client handled `h` stanzas in all (modulo 2^32).
   *
   * @returns The stanzas it acknowledged now, or "too-high" (nothing changes) when `h` counts
   * more than were sent.
   */
  ack(h: number): AckResult {
    const count = (h - this.#acked + SEQUENCE_MODULUS) % SEQUENCE_MODULUS;
    if (count > this.length) return { kind: "too-high", h, sent: this.sent };
    const acked = this.#items.slice(this.#head, this.#head + count);
    for (const item of acked) this.#bytes -= item.size;
    this.#head += count;
    this.#acked = h;
    this.#compact();
    return { kind: "ok", acked: acked.map((i) => i.stanza) };
  }

  /**
   * Takes back a stanza that a later `stanza/out` handler will never write (XEP-0352 drops a
   * presence superseded while it was held), so that the count matches what the client gets.
   *
   * @returns Whether it was in the queue.
   */
  withdraw(stanza: Element): boolean {
    for (let i = this.#items.length - 1; i >= this.#head; i--) {
      if (this.#items[i].stanza === stanza) {
        this.#bytes -= this.#items[i].size;
        this.#items.splice(i, 1);
        return true;
      }
    }
    return false;
  }

  /** Whether a stanza is in the queue. */
  has(stanza: Element): boolean {
    for (let i = this.#head; i < this.#items.length; i++) {
      if (this.#items[i].stanza === stanza) return true;
    }
    return false;
  }

  /** The unacknowledged stanzas, oldest first. */
  items(): Unacked[] {
    return this.#items.slice(this.#head);
  }

  /** Empties the queue and returns what it held, oldest first. */
  drain(): Unacked[] {
    const all = this.items();
    this.#acked = this.sent;
    this.#items = [];
    this.#head = 0;
    this.#bytes = 0;
    return all;
  }

  #compact(): void {
    if (this.#head > 64 && this.#head * 2 > this.#items.length) {
      this.#items = this.#items.slice(this.#head);
      this.#head = 0;
    }
  }
}

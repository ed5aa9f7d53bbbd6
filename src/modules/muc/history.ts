/**
 * A room's discussion history (XEP-0045 §7.2.14) and the history a joining occupant asks for
 * (`maxstanzas`, `maxchars`, `seconds`, `since`, §7.2.15).
 *
 * @module
 */
import { type Element, xml } from "../../xml/element.ts";
import { NS } from "../../xml/ns.ts";
import { serialize } from "../../xml/serializer.ts";

/** A message kept for history. */
export interface HistoryEntry {
  /** The message as broadcast (from the occupant JID, without `to`). */
  readonly stanza: Element;
  /** When the room got it. */
  readonly at: Date;
  /** Its size in characters as XML (§7.2.15: `maxchars` counts whole stanzas). */
  readonly chars: number;
}

/** What a joining occupant asked for in `<history/>`; absent values are unlimited. */
export interface HistoryRequest {
  /** Most messages. */
  readonly maxstanzas?: number;
  /** Most characters, counting each message's XML. */
  readonly maxchars?: number;
  /** Only messages of the last this many seconds. */
  readonly seconds?: number;
  /** Only messages after this time. */
  readonly since?: Date;
}

function count(value: string | undefined): number | undefined {
  if (value === undefined || !/^\d{1,9}$/.test(value)) return undefined;
  return Number(value);
}

/**
 * Reads a `<history/>` element (§7.2.15); values that are not numbers or dates are ignored.
 *
 * @param el The element, or `undefined` when the join had none.
 * @returns The request.
 */
export function historyRequest(el: Element | undefined): HistoryRequest {
  if (!el) return {};
  const since = el.attrs.since ? new Date(el.attrs.since) : undefined;
  return {
    maxstanzas: count(el.attrs.maxstanzas),
    maxchars: count(el.attrs.maxchars),
    seconds: count(el.attrs.seconds),
    since: since && !isNaN(since.getTime()) ? since : undefined,
  };
}

/** The last messages of a room, up to a length. */
export class History {
  #entries: HistoryEntry[] = [];
  #max: number;

  /**
   * @param max Most messages kept.
   */
  constructor(max: number) {
    this.#max = max;
  }

  /** Changes how many messages are kept. */
  resize(max: number): void {
    this.#max = max;
    this.#trim();
  }

  /** Keeps a message. */
  add(stanza: Element, at: Date): void {
    this.#entries.push({ stanza, at, chars: serialize(stanza, NS.CLIENT).length });
    this.#trim();
  }

  /**
   * The messages a request selects, oldest first: the newest ones that meet every limit.
   *
   * @param request What the occupant asked for.
   * @param now The current time.
   * @returns The entries.
   */
  select(request: HistoryRequest, now: Date): HistoryEntry[] {
    const after = Math.max(
      request.seconds !== undefined ? now.getTime() - request.seconds * 1000 : -Infinity,
      request.since?.getTime() ?? -Infinity,
    );
    const out: HistoryEntry[] = [];
    let chars = 0;
    for (let i = this.#entries.length - 1; i >= 0; i--) {
      const e = this.#entries[i];
      if (request.maxstanzas !== undefined && out.length >= request.maxstanzas) break;
      if (e.at.getTime() <= after) break;
      if (request.maxchars !== undefined && chars + e.chars > request.maxchars) break;
      chars += e.chars;
      out.push(e);
    }
    return out.reverse();
  }

  /** Drops a message by its stanza id (XEP-0359), e.g. once moderated. */
  removeById(id: string): void {
    this.#entries = this.#entries.filter((e) =>
      !e.stanza.children.some((c) =>
        typeof c !== "string" && c.xmlns === NS.STANZA_ID && c.attrs.id === id
      )
    );
  }

  #trim(): void {
    if (this.#entries.length > this.#max) this.#entries.splice(0, this.#entries.length - this.#max);
  }
}

/**
 * A history message as sent to one occupant, with its XEP-0203 delay.
 *
 * @param entry The kept message.
 * @param room The room's JID (the delay's `from`, §7.2.14).
 * @param to The occupant's real full JID.
 * @returns The message.
 */
export function historyMessage(entry: HistoryEntry, room: string, to: string): Element {
  const s = entry.stanza;
  return {
    ...s,
    attrs: { ...s.attrs, to },
    children: [
      ...s.children,
      xml("delay", { xmlns: NS.DELAY, from: room, stamp: entry.at.toISOString() }),
    ],
  };
}

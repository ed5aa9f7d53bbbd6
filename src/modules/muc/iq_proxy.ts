/**
 * IQs between occupants (XEP-0045 lets occupants query each other through the room): a
 * request to an occupant JID is passed on under the requester's occupant JID with a new id,
 * and the answer goes back to the requester with its own id. vCard requests go to the
 * occupant's bare JID (the account answers them, as the XEP asks), others to the occupant's
 * session.
 *
 * @module
 */
import { StanzaError } from "../../base/stanza_error.ts";
import type { Jid } from "../../jid/jid.ts";
import { type Element, elements } from "../../xml/element.ts";
import { NS } from "../../xml/ns.ts";
import { prepareNick } from "./nick.ts";
import type { Room } from "./room.ts";

interface Pending {
  /** The requester's real full JID. */
  readonly requester: string;
  /** The requester's id. */
  readonly id: string;
  /** Who was asked, as the requester sees it: the occupant JID. */
  readonly target: string;
  /** Who answers: the real JID asked. */
  readonly real: string;
  readonly at: number;
}

/** Requests passed on and not answered yet. */
export class IqProxy {
  readonly #pending = new Map<string, Pending>();
  readonly #ttlMs: number;

  /**
   * @param ttlMs How long an answer is waited for.
   */
  constructor(ttlMs = 60_000) {
    this.#ttlMs = ttlMs;
  }

  /**
   * Passes a request on to an occupant.
   *
   * @param room The room.
   * @param iq The request, to `room@service/nick`.
   * @param from The requester.
   * @param nick The nickname asked.
   * @param newId A new unique id.
   * @param now The current time in ms.
   * @returns The iq to send.
   * @throws {StanzaError} `not-acceptable` when the requester is not in the room,
   * `item-not-found` when no one has the nickname.
   */
  forward(room: Room, iq: Element, from: Jid, nick: string, newId: string, now: number): Element {
    const requester = room.bySession(from.full);
    if (!requester) throw new StanzaError("not-acceptable", "cancel", "You are not in the room");
    let target;
    try {
      target = room.occupants.get(prepareNick(nick, Infinity));
    } catch { /* no such nickname */ }
    if (!target) throw new StanzaError("item-not-found", "cancel", "No such occupant");
    this.#prune(now);
    const vcard = elements(iq)[0]?.xmlns === NS.VCARD;
    const real = vcard ? target.bare : [...target.sessions][0];
    this.#pending.set(newId, {
      requester: from.full,
      id: String(iq.attrs.id),
      target: `${room.jid}/${target.nick}`,
      real,
      at: now,
    });
    return {
      ...iq,
      attrs: { ...iq.attrs, id: newId, from: `${room.jid}/${requester.nick}`, to: real },
    };
  }

  /**
   * The answer to a request passed on, for the requester.
   *
   * @param iq A result or error to an occupant JID.
   * @param from Who sent it.
   * @returns The iq to send, or `undefined` when it answers nothing pending.
   */
  answer(iq: Element, from: Jid): Element | undefined {
    const id = iq.attrs.id;
    const p = id === undefined ? undefined : this.#pending.get(id);
    // Only the one asked may answer.
    if (!p || (from.full !== p.real && from.bare !== p.real)) return undefined;
    this.#pending.delete(String(id));
    return { ...iq, attrs: { ...iq.attrs, id: p.id, from: p.target, to: p.requester } };
  }

  #prune(now: number): void {
    for (const [id, p] of this.#pending) {
      if (now - p.at < this.#ttlMs) break; // in insertion order: the rest are newer
      this.#pending.delete(id);
    }
  }
}

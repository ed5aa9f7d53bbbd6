/**
 * A roster item as the `<item/>` of `jabber:iq:roster` (RFC 6121 §2.1.2) and back: one form for
 * roster results and pushes and for XEP-0227 export and import.
 *
 * @module
 */
import { parseJid } from "../jid/jid.ts";
import type { RosterItem, Subscription } from "../storage/roster_store.ts";
import { type Element, elements, text, xml } from "../xml/element.ts";
import { NS } from "../xml/ns.ts";

/**
 * The `<item/>` of a roster result or push (RFC 6121 §2.1.2), without a namespace of its own
 * (it inherits `jabber:iq:roster` from its `<query/>`).
 *
 * @param item The roster item.
 * @returns The `<item/>` element.
 * @example
 * ```ts
 * import { rosterItemElement } from "./roster_item_xml.ts";
 * import type { BareJid } from "../jid/jid.ts";
 * const el = rosterItemElement({
 *   jid: "bob@localhost" as BareJid,
 *   groups: ["Friends"],
 *   subscription: "to",
 *   ask: false,
 *   approved: false,
 * });
 * if (el.attrs.subscription !== "to" || el.children.length !== 1) throw new Error("wrong item");
 * ```
 */
export function rosterItemElement(item: RosterItem): Element {
  return xml(
    "item",
    {
      jid: item.jid,
      name: item.name,
      subscription: item.subscription,
      ask: item.ask ? "subscribe" : undefined,
      approved: item.approved ? "true" : undefined,
    },
    item.groups.map((g) => xml("group", null, g)),
  );
}

/**
 * Reads a stored `<item/>` in the `jabber:iq:roster` namespace back into a roster item, as
 * {@linkcode rosterItemElement} writes it: a missing 'subscription' is "none", duplicate groups
 * are kept once. This trusts the state it reads; a client's roster set is checked elsewhere.
 *
 * @param el The `<item/>` element, its namespace `jabber:iq:roster`.
 * @returns The roster item.
 * @throws {JidError} When the 'jid' is not a valid JID.
 * @example
 * ```ts
 * import { rosterItemElement, rosterItemFromElement } from "./roster_item_xml.ts";
 * import type { BareJid } from "../jid/jid.ts";
 * import type { RosterItem } from "../storage/roster_store.ts";
 * const item: RosterItem = {
 *   jid: "bob@localhost" as BareJid,
 *   name: "Bob",
 *   groups: ["Friends"],
 *   subscription: "both",
 *   ask: true,
 *   approved: false,
 * };
 * const el = rosterItemElement(item);
 * const back = rosterItemFromElement({ ...el, xmlns: "jabber:iq:roster" });
 * if (JSON.stringify(back) !== JSON.stringify(item)) throw new Error(JSON.stringify(back));
 * ```
 */
export function rosterItemFromElement(el: Element): RosterItem {
  return {
    jid: parseJid(el.attrs.jid).bare,
    name: el.attrs.name || undefined,
    groups: [...new Set(elements(el, "group", NS.ROSTER).map(text))],
    subscription: (el.attrs.subscription ?? "none") as Subscription,
    ask: el.attrs.ask === "subscribe",
    approved: el.attrs.approved === "true",
  };
}

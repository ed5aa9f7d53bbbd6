/**
 * Registering with a room (XEP-0045 §7.10): a user reserves a nickname (and becomes a
 * member), finds it again (§7.12, the `x-roomuser-item` node), and cancels the registration.
 *
 * @module
 */
import { StanzaError } from "../../base/stanza_error.ts";
import type { Jid } from "../../jid/jid.ts";
import { child, type Element, xml } from "../../xml/element.ts";
import { NS } from "../../xml/ns.ts";
import { submittedValues } from "../data_form.ts";
import { prepareNick } from "./nick.ts";
import type { Room } from "./room.ts";

/** The FORM_TYPE of the registration form (§15.5.2). */
const FORM_TYPE = "http://jabber.org/protocol/muc#register";

/**
 * An iq get of `jabber:iq:register`: the registered nickname, or the form (§7.10).
 *
 * @param room The room.
 * @param from Who asks.
 * @returns The `<query/>`.
 */
export function registrationForm(room: Room, from: Jid): Element {
  const nick = room.nicks.get(from.bare);
  if (nick !== undefined) {
    return xml(
      "query",
      { xmlns: NS.REGISTER },
      xml("registered", null),
      xml("username", null, nick),
    );
  }
  if (room.affiliation(from.bare) === "outcast") {
    throw new StanzaError("forbidden", "auth", "You are banned");
  }
  return xml(
    "query",
    { xmlns: NS.REGISTER },
    xml("instructions", null, "Choose a nickname to register with this room"),
    xml(
      "x",
      { xmlns: NS.DATA_FORMS, type: "form" },
      xml("field", { var: "FORM_TYPE", type: "hidden" }, xml("value", null, FORM_TYPE)),
      xml(
        "field",
        { var: "muc#register_roomnick", type: "text-single", label: "Nickname" },
        xml("required", null),
      ),
    ),
  );
}

/**
 * An iq set of `jabber:iq:register`: registers a nickname, or removes the registration.
 *
 * @param room The room.
 * @param query The `<query/>`.
 * @param from Who registers.
 * @param maxNickLength The longest nickname.
 * @throws {StanzaError} `forbidden` for a banned user, `conflict` for a nickname someone else
 * holds, `not-acceptable` or `jid-malformed` for a bad one, `bad-request` without one.
 */
export function register(room: Room, query: Element, from: Jid, maxNickLength: number): void {
  const bare = from.bare;
  if (room.affiliation(bare) === "outcast") throw new StanzaError("forbidden", "auth", "Banned");
  if (child(query, "remove")) {
    if (!room.nicks.delete(bare)) throw new StanzaError("item-not-found", "cancel");
    room.changed = true;
    return;
  }
  const raw = submittedValues(child(query, "x", NS.DATA_FORMS))["muc#register_roomnick"]?.[0];
  if (raw === undefined) throw new StanzaError("bad-request", "modify", "No nickname");
  const nick = prepareNick(raw, maxNickLength);
  const owner = room.nickOwner(nick);
  const occupant = room.occupants.get(nick);
  if (owner !== undefined && owner !== bare || occupant && occupant.bare !== bare) {
    throw new StanzaError("conflict", "cancel", "The nickname is taken");
  }
  room.nicks.set(bare, nick);
  // §7.10: a registered user is a member.
  if (room.affiliation(bare) === "none") room.setAffiliation(bare, "member");
  room.changed = true;
}

/**
 * §7.12: the registered nickname as a disco#info identity of the `x-roomuser-item` node.
 *
 * @param room The room.
 * @param from Who asks.
 * @returns The `<query/>`.
 */
export function reservedNick(room: Room, from: Jid): Element {
  const nick = room.nicks.get(from.bare);
  return xml(
    "query",
    { xmlns: NS.DISCO_INFO, node: "x-roomuser-item" },
    nick !== undefined
      ? xml("identity", { category: "conference", type: "text", name: nick })
      : undefined,
  );
}

/**
 * Service discovery of rooms (XEP-0045 §6): a room's identity, its `muc_*` features and the
 * `muc#roominfo` form (§6.4, §15.5.4), and the public rooms of the service (§6.3).
 *
 * @module
 */
import { type Element, xml } from "../../xml/element.ts";
import { NS } from "../../xml/ns.ts";
import type { Room } from "./room.ts";

/**
 * The features of a room (§6.4, §15.2.2).
 *
 * @param room The room.
 * @returns The feature names, sorted.
 */
export function roomFeatures(room: Room): string[] {
  const c = room.config;
  return [
    NS.MUC,
    NS.DISCO_INFO,
    NS.OCCUPANT_ID,
    NS.MUC_SELF_PING,
    NS.REGISTER,
    NS.VCARD,
    "muc_stable_id",
    c.persistent ? "muc_persistent" : "muc_temporary",
    c.membersOnly ? "muc_membersonly" : "muc_open",
    c.password ? "muc_passwordprotected" : "muc_unsecured",
    c.public ? "muc_public" : "muc_hidden",
    c.moderated ? "muc_moderated" : "muc_unmoderated",
    c.whois === "anyone" ? "muc_nonanonymous" : "muc_semianonymous",
    ...c.archive ? [NS.MAM, NS.MAM_EXTENDED, NS.STANZA_ID, NS.MODERATE, NS.MODERATE_0] : [],
  ].sort();
}

function infoForm(room: Room): Element {
  const field = (v: string, value: string, label?: string) =>
    xml("field", { var: v, label }, xml("value", null, value));
  return xml(
    "x",
    { xmlns: NS.DATA_FORMS, type: "result" },
    xml("field", { var: "FORM_TYPE", type: "hidden" }, xml("value", null, NS.MUC_ROOMINFO)),
    field("muc#roomconfig_roomname", room.config.name, "Name"),
    field("muc#roominfo_description", room.config.description, "Description"),
    field("muc#roominfo_subject", room.subject.text, "Subject"),
    field("muc#roominfo_occupants", String(room.occupants.size), "Number of occupants"),
    field("muc#roomconfig_changesubject", room.config.changeSubject ? "1" : "0"),
    field("muc#maxhistoryfetch", String(room.config.historyLength)),
    room.avatarHash ? field("muc#roominfo_avatarhash", room.avatarHash) : undefined,
  );
}

/**
 * A room's disco#info (§6.4).
 *
 * @param room The room.
 * @param roomLocal The room's localpart (its name when it has none).
 * @returns The `<query/>`.
 */
export function roomInfo(room: Room, roomLocal: string): Element {
  return xml(
    "query",
    { xmlns: NS.DISCO_INFO },
    xml("identity", { category: "conference", type: "text", name: room.config.name || roomLocal }),
    roomFeatures(room).map((f) => xml("feature", { var: f })),
    infoForm(room),
  );
}

/**
 * The service's disco#items: its public, unlocked rooms (§6.3).
 *
 * @param rooms The rooms by localpart.
 * @param domain The service's domain.
 * @returns The `<query/>`.
 */
export function publicRooms(rooms: ReadonlyMap<string, Room>, domain: string): Element {
  const items = [...rooms].filter(([, r]) => r.config.public && !r.locked && !r.destroyed)
    .sort(([a], [b]) => a < b ? -1 : a > b ? 1 : 0)
    .map(([local, r]) => xml("item", { jid: `${local}@${domain}`, name: r.config.name || local }));
  return xml("query", { xmlns: NS.DISCO_ITEMS }, items);
}

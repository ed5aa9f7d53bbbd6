/**
 * A room's vCard and avatar (XEP-0486): owners set the room's `vcard-temp` vCard, anyone reads
 * it, and occupants learn the avatar's SHA-1 (XEP-0153 `vcard-temp:x:update`) in a presence
 * from the room's JID, on join and when it changes; disco#info gives it as
 * `muc#roominfo_avatarhash`.
 *
 * @module
 */
import { StanzaError } from "../../base/stanza_error.ts";
import type { Jid } from "../../jid/jid.ts";
import { loadXml, storedXmlBytes, storeXml } from "../../storage/stored_xml.ts";
import { child, type Element, text, xml } from "../../xml/element.ts";
import { NS } from "../../xml/ns.ts";
import type { Room } from "./room.ts";

/**
 * An iq get of `vcard-temp` on the room: its vCard, or an empty one.
 *
 * @param room The room.
 * @returns The `<vCard/>`.
 */
export function roomVcard(room: Room): Element {
  const stored = room.vcard ? loadXml(room.vcard) : undefined;
  return stored ?? xml("vCard", { xmlns: NS.VCARD });
}

async function sha1Hex(bytes: Uint8Array<ArrayBuffer>): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-1", bytes));
  return [...digest].map((b) => b.toString(16).padStart(2, "0")).join("");
}

function decodeBase64(b64: string): Uint8Array<ArrayBuffer> {
  try {
    return Uint8Array.from(atob(b64.replace(/\s+/g, "")), (c) => c.charCodeAt(0));
  } catch {
    throw new StanzaError("bad-request", "modify", "The photo is not base64");
  }
}

/**
 * An iq set of `vcard-temp` on the room (XEP-0486 §4): owners only.
 *
 * @param room The room.
 * @param vcard The `<vCard/>`.
 * @param from Who sets it.
 * @param maxBytes The largest vCard.
 * @throws {StanzaError} `forbidden` for a non-owner, `not-acceptable` for one too large,
 * `bad-request` for a photo that is not base64.
 */
export async function setRoomVcard(
  room: Room,
  vcard: Element,
  from: Jid,
  maxBytes: number,
): Promise<void> {
  if (room.affiliation(from.bare) !== "owner") {
    throw new StanzaError("forbidden", "auth", "Only owners set the room's vCard");
  }
  const stored = storeXml(vcard);
  if (storedXmlBytes(stored) > maxBytes) {
    throw new StanzaError("not-acceptable", "modify", `The vCard is over ${maxBytes} bytes`);
  }
  const binval = text(child(child(vcard, "PHOTO") ?? vcard, "BINVAL"));
  room.avatarHash = binval ? await sha1Hex(decodeBase64(binval)) : "";
  room.vcard = stored;
  room.changed = true;
  for (const occ of room.occupants.values()) {
    for (const to of occ.sessions) room.send(avatarPresence(room, to));
  }
}

/**
 * The room's presence with its avatar hash (XEP-0486 §5).
 *
 * @param room The room.
 * @param to A session.
 * @returns The presence.
 */
export function avatarPresence(room: Room, to: string): Element {
  return xml(
    "presence",
    { xmlns: NS.CLIENT, from: room.jid, to },
    xml("x", { xmlns: NS.VCARD_UPDATE }, xml("photo", null, room.avatarHash)),
  );
}

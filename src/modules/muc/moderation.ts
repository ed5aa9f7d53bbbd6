/**
 * XEP-0425 message moderation: a moderator retracts an archived groupchat message. The room
 * tells its occupants, replaces the message in its archive with a tombstone and drops it from
 * the history sent on join. Both the current version (`urn:xmpp:message-moderate:1`) and
 * version 0 (wrapped in a XEP-0422 `<apply-to/>`, as slixmpp 1.8 sends it) are understood.
 *
 * @module
 */
import { StanzaError } from "../../base/stanza_error.ts";
import type { BareJid, Jid } from "../../jid/jid.ts";
import type { ArchiveStore } from "../../storage/archive_store.ts";
import { loadXml, storeXml } from "../../storage/stored_xml.ts";
import { child, type Element, xml } from "../../xml/element.ts";
import { NS } from "../../xml/ns.ts";
import type { Room } from "./room.ts";

/** A moderation request, whichever version it came in. */
interface Moderation {
  readonly version: 0 | 1;
  /** The stanza id (XEP-0359) of the message. */
  readonly id: string;
  readonly reason?: Element;
}

/**
 * Reads a moderation request from an iq's payload.
 *
 * @param payload The iq's first child.
 * @returns The request, or `undefined` when the payload is not one.
 */
export function moderationRequest(payload: Element | undefined): Moderation | undefined {
  if (!payload) return undefined;
  if (payload.name === "moderate" && payload.xmlns === NS.MODERATE) {
    if (!child(payload, "retract", NS.RETRACT)) return undefined;
    return { version: 1, id: payload.attrs.id ?? "", reason: child(payload, "reason") };
  }
  const moderate = payload.name === "apply-to" && payload.xmlns === NS.FASTEN
    ? child(payload, "moderate", NS.MODERATE_0)
    : undefined;
  if (!moderate || !child(moderate, "retract", NS.RETRACT_0)) return undefined;
  return { version: 0, id: payload.attrs.id ?? "", reason: child(moderate, "reason") };
}

function notice(room: Room, m: Moderation, by: string, occupantId: string): Element {
  const occupant = xml("occupant-id", { xmlns: NS.OCCUPANT_ID, id: occupantId });
  const payload = m.version === 1
    ? xml(
      "retract",
      { xmlns: NS.RETRACT, id: m.id },
      xml("moderated", { xmlns: NS.MODERATE, by }, occupant),
      m.reason,
    )
    : xml(
      "apply-to",
      { xmlns: NS.FASTEN, id: m.id },
      xml(
        "moderated",
        { xmlns: NS.MODERATE_0, by },
        xml("retract", { xmlns: NS.RETRACT_0 }),
        m.reason,
      ),
    );
  return xml("message", { xmlns: NS.CLIENT, from: room.jid, type: "groupchat", id: m.id }, payload);
}

function tombstone(original: string, m: Moderation, by: string, now: Date): string {
  const stamp = now.toISOString();
  const marker = m.version === 1
    ? xml(
      "retracted",
      { xmlns: NS.RETRACT, stamp },
      xml("moderated", { xmlns: NS.MODERATE, by }),
      m.reason,
    )
    : xml(
      "moderated",
      { xmlns: NS.MODERATE_0, by },
      xml("retracted", { xmlns: NS.RETRACT_0, stamp }),
      m.reason,
    );
  const from = loadXml(original)?.attrs.from;
  return storeXml(xml("message", { xmlns: NS.CLIENT, from, type: "groupchat" }, marker));
}

/**
 * Retracts a message as a moderator (XEP-0425 §4).
 *
 * @param store The archive store.
 * @param room The room.
 * @param m The request.
 * @param from The moderator.
 * @param now The current time.
 * @throws {StanzaError} `forbidden` when the sender is not a moderator, `item-not-found`
 * when the room's archive has no such message.
 */
export async function moderate(
  store: ArchiveStore,
  room: Room,
  m: Moderation,
  from: Jid,
  now: Date,
): Promise<void> {
  const occ = room.bySession(from.full);
  if (occ?.role !== "moderator") {
    throw new StanzaError("forbidden", "auth", "Only moderators retract messages");
  }
  const owner = room.jid as BareJid;
  const original = m.id ? await store.get(owner, m.id) : undefined;
  if (!original) throw new StanzaError("item-not-found", "cancel", "No such message");
  const by = `${room.jid}/${occ.nick}`;
  await store.replace(owner, m.id, tombstone(original.stanza, m, by, now));
  room.history.removeById(m.id);
  room.broadcastMessage(notice(room, m, by, occ.occupantId));
}

/**
 * IQs to a room's JID (XEP-0045 §8-§10 and the XEPs around it): admin and owner queries,
 * disco, the archive, registration, the room's vCard, moderation and ping; and the self-ping
 * of an occupant JID (XEP-0410).
 *
 * @module
 */
import { StanzaError } from "../../base/stanza_error.ts";
import type { StanzaEvent } from "../../hooks/server_hooks.ts";
import type { ArchiveStore } from "../../storage/archive_store.ts";
import { type Element, elements, xml } from "../../xml/element.ts";
import { NS } from "../../xml/ns.ts";
import { adminGet, adminSet } from "./admin.ts";
import { queryArchive, queryForm } from "./archive.ts";
import { roomVcard, setRoomVcard } from "./avatar.ts";
import type { ConfigLimits } from "./config.ts";
import { roomInfo } from "./disco.ts";
import { moderate, moderationRequest } from "./moderation.ts";
import { ownerGet, ownerSet } from "./owner.ts";
import { register, registrationForm, reservedNick } from "./registration.ts";
import type { Room } from "./room.ts";

/** What the room's iq handlers need from the service. */
export interface RoomIqDeps {
  /** The archive store. */
  readonly archive: ArchiveStore;
  /** The current time. */
  readonly now: Date;
  /** The limits of configuration forms. */
  readonly limits: ConfigLimits;
  /** The longest nickname. */
  readonly maxNickLength: number;
  /** The largest room vCard. */
  readonly maxVcardBytes: number;
}

/**
 * Handles an iq request to the room's bare JID.
 *
 * @param room The room.
 * @param ev The iq.
 * @param deps The service's parts.
 * @returns The result's payload (`true`: an empty result).
 * @throws {StanzaError} The XEP's error; `service-unavailable` for what a room does not do.
 */
export async function roomIq(
  room: Room,
  ev: StanzaEvent,
  deps: RoomIqDeps,
): Promise<Element | true> {
  const { stanza, from } = ev;
  const query = elements(stanza)[0];
  const set = stanza.attrs.type === "set";
  const { limits } = deps;
  if (query?.name === "query" && query.attrs.node === undefined) {
    if (query.xmlns === NS.MUC_ADMIN) {
      return set ? (adminSet(room, query, from), true) : adminGet(room, query, from);
    }
    if (query.xmlns === NS.MUC_OWNER) {
      return set
        ? (ownerSet(room, query, from, limits), true)
        : ownerGet(room, query, from, limits);
    }
    if (!set && query.xmlns === NS.DISCO_INFO) return roomInfo(room, ev.to.local);
    if (!set && query.xmlns === NS.DISCO_ITEMS) return xml("query", { xmlns: NS.DISCO_ITEMS });
    if (query.xmlns === NS.MAM) {
      return set ? await queryArchive(deps.archive, room, query, from) : queryForm();
    }
  }
  if (query?.name === "query" && query.xmlns === NS.REGISTER) {
    if (!set) return registrationForm(room, from);
    register(room, query, from, deps.maxNickLength);
    return true;
  }
  if (!set && query?.xmlns === NS.DISCO_INFO && query.attrs.node === "x-roomuser-item") {
    return reservedNick(room, from);
  }
  if (!set && query?.name === "ping" && query.xmlns === NS.PING) return true;
  if (query?.name === "vCard" && query.xmlns === NS.VCARD) {
    if (!set) return roomVcard(room);
    await setRoomVcard(room, query, from, deps.maxVcardBytes);
    return true;
  }
  const moderation = set ? moderationRequest(query) : undefined;
  if (moderation) {
    await moderate(deps.archive, room, moderation, from, deps.now);
    return true;
  }
  throw new StanzaError("service-unavailable", "cancel");
}

// XEP-0410 §3: a ping to one's own occupant JID tells whether one is still joined; the
// room answers it (§4.1: without bothering the client).
/**
 * Whether a request to an occupant JID is a self-ping the room answers.
 *
 * @param room The room.
 * @param ev The request.
 * @returns Whether to answer it with an empty result.
 * @throws {StanzaError} `not-acceptable` when the sender is not in the room.
 */
export function selfPing(room: Room, ev: StanzaEvent): boolean {
  const { stanza, from, to } = ev;
  const query = elements(stanza)[0];
  if (stanza.attrs.type !== "get" || query?.name !== "ping" || query.xmlns !== NS.PING) {
    return false;
  }
  const occ = room.bySession(from.full);
  if (!occ) throw new StanzaError("not-acceptable", "cancel", "You are not in the room");
  return occ.nick === to.resource;
}

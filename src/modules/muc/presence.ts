/**
 * Presence to an occupant JID (XEP-0045 §7.2-§7.7): entering a room, presence updates, nick
 * changes and leaving.
 *
 * @module
 */
import type { Jid } from "../../jid/jid.ts";
import { StanzaError } from "../../base/stanza_error.ts";
import { child, type Element, text } from "../../xml/element.ts";
import { NS } from "../../xml/ns.ts";
import { avatarPresence } from "./avatar.ts";
import { historyMessage, historyRequest } from "./history.ts";
import { prepareNick } from "./nick.ts";
import { defaultRole, type Occupant, occupantId, occupantPresence } from "./occupants.ts";
import type { Room } from "./room.ts";

/** What an operation on a room needs from the service. */
export interface RoomContext {
  /** The current time. */
  readonly now: Date;
  /** The longest nickname. */
  readonly maxNickLength: number;
  /** The most occupants a room may have. */
  readonly maxUsers: number;
  /** A new unique id (archive ids). */
  readonly randomId: () => string;
}

/** A presence to an occupant JID. */
export interface OccupantPresence {
  /** The presence. */
  readonly stanza: Element;
  /** The real sender. */
  readonly from: Jid;
  /** The nickname as addressed (the resourcepart). */
  readonly nick: string;
  /** Whether the room was created by this presence (status 201). */
  readonly created?: boolean;
}

/**
 * Handles a presence to an occupant JID of an existing room.
 *
 * @param room The room.
 * @param ev The presence.
 * @param ctx The service's context.
 * @throws {StanzaError} When a join or nick change is refused.
 */
export async function roomPresence(
  room: Room,
  ev: OccupantPresence,
  ctx: RoomContext,
): Promise<void> {
  const type = ev.stanza.attrs.type;
  const occ = room.bySession(ev.from.full);
  if (type === "unavailable") return occ && leave(room, occ, ev);
  // §7.2.x: an error bounced by an occupant's server removes it (status 333).
  if (type === "error") return occ && room.expel(occ, { codes: [333] });
  if (type !== undefined) return; // subscriptions and probes mean nothing to a room
  const nick = prepareNick(ev.nick, ctx.maxNickLength);
  if (!occ) return await join(room, ev, nick, ctx);
  if (occ.nick === nick) {
    occ.presence = ev.stanza;
    // A client that thinks it left (after a lost connection) joins again: it gets the whole
    // join again, as Prosody does; otherwise this is a presence update.
    if (child(ev.stanza, "x", NS.MUC)) return welcome(room, occ, ev, ctx, { all: true });
    room.broadcastPresence(occ);
    return;
  }
  changeNick(room, occ, ev, nick);
}

function checkEntry(room: Room, ev: OccupantPresence, nick: string, ctx: RoomContext): void {
  const bare = ev.from.bare;
  const affiliation = room.affiliation(bare);
  // §10.1.1: only the owner enters a locked room; to others it does not exist yet.
  if (room.locked && affiliation !== "owner") {
    throw new StanzaError("item-not-found", "cancel", "The room is locked");
  }
  if (affiliation === "outcast") throw new StanzaError("forbidden", "auth", "You are banned");
  if (room.config.membersOnly && !room.isMember(bare)) {
    throw new StanzaError("registration-required", "auth", "The room is members-only");
  }
  const holder = room.occupants.get(nick);
  if (holder && holder.bare !== bare) {
    throw new StanzaError("conflict", "cancel", "The nickname is in use");
  }
  checkReserved(room, bare, nick);
  const privileged = affiliation === "owner" || affiliation === "admin";
  const x = child(ev.stanza, "x", NS.MUC);
  const password = x && text(child(x, "password"));
  if (room.config.password && !privileged && password !== room.config.password) {
    throw new StanzaError("not-authorized", "auth", "A password is required");
  }
  const max = Math.min(room.config.maxUsers || ctx.maxUsers, ctx.maxUsers);
  if (!holder && !privileged && room.occupants.size >= max) {
    throw new StanzaError("service-unavailable", "wait", "The room is full");
  }
}

async function join(room: Room, ev: OccupantPresence, nick: string, ctx: RoomContext) {
  checkEntry(room, ev, nick, ctx);
  const to = ev.from.full;
  let occ = room.occupants.get(nick);
  const firstSession = !occ;
  if (!occ) {
    occ = {
      nick,
      bare: ev.from.bare,
      sessions: new Set(),
      role: defaultRole(room.affiliation(ev.from.bare), room.config.moderated),
      presence: ev.stanza,
      occupantId: await occupantId(room.secret, ev.from.bare),
    };
  }
  room.addSession(occ, to);
  welcome(room, occ, ev, ctx, { all: firstSession });
}

// §7.2.3: the others' presence first, then the newcomer's to all (or to the new session
// alone), self-presence last; then the room's avatar, the history and the subject.
function welcome(
  room: Room,
  occ: Occupant,
  ev: OccupantPresence,
  ctx: RoomContext,
  options: { all: boolean },
): void {
  const to = ev.from.full;
  for (const other of room.occupants.values()) {
    if (other === occ) continue;
    const viewer = { to, seesJids: room.seesJids(occ.role), self: false };
    room.send(occupantPresence(room.jid, other, room.affiliation(other.bare), viewer));
  }
  const selfCodes = [
    ...room.config.whois === "anyone" ? [100] : [],
    ...room.config.archive ? [170] : [],
    ...ev.created ? [201] : [],
    ...occ.nick !== ev.nick ? [210] : [],
  ];
  if (options.all) {
    room.broadcastPresence(occ, { selfCodes });
  } else {
    const viewer = { to, seesJids: room.seesJids(occ.role), self: true };
    room.send(occupantPresence(room.jid, occ, room.affiliation(occ.bare), viewer, { selfCodes }));
  }
  // XEP-0486 §5: the room's avatar.
  if (room.avatarHash) room.send(avatarPresence(room, to));
  // §7.2.15, §7.2.16: the history, then the subject.
  const x = child(ev.stanza, "x", NS.MUC);
  const request = historyRequest(x && child(x, "history"));
  for (const entry of room.history.select(request, ctx.now)) {
    room.send(historyMessage(entry, room.jid, to));
  }
  room.send(room.subjectMessage(to));
}

function leave(room: Room, occ: Occupant, ev: OccupantPresence): void {
  occ.presence = ev.stanza;
  if (occ.sessions.size > 1) {
    // One of several sessions leaves: only it learns (§7.14 is silent; Prosody does this).
    const viewer = { to: ev.from.full, seesJids: room.seesJids(occ.role), self: true };
    room.send(occupantPresence(room.jid, occ, room.affiliation(occ.bare), viewer, {
      type: "unavailable",
    }));
    room.removeSession(occ, ev.from.full);
    return;
  }
  // §7.14: everyone, the occupant last, gets its unavailable presence.
  room.broadcastPresence(occ, { type: "unavailable" });
  room.removeOccupant(occ);
}

// §7.2.9, §7.10: a nickname registered by someone else is theirs.
function checkReserved(room: Room, bare: string, nick: string): void {
  const owner = room.nickOwner(nick);
  if (owner !== undefined && owner !== bare) {
    throw new StanzaError("conflict", "cancel", "The nickname is registered by someone else");
  }
}

function changeNick(room: Room, occ: Occupant, ev: OccupantPresence, nick: string): void {
  const holder = room.occupants.get(nick);
  if (holder && holder !== occ) {
    throw new StanzaError("conflict", "cancel", "The nickname is in use");
  }
  checkReserved(room, occ.bare, nick);
  // §7.6: unavailable from the old nickname with 303 and the new one, then available from
  // the new one.
  room.broadcastPresence(occ, { type: "unavailable", codes: [303], newNick: nick });
  room.rename(occ, nick);
  occ.presence = ev.stanza;
  room.broadcastPresence(occ, nick !== ev.nick ? { selfCodes: [210] } : {});
}

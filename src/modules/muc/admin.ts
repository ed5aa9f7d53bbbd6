/**
 * The admin lists (XEP-0045 §8, §9, §10.3-§10.8): reading and changing affiliations (owner,
 * admin, member, outcast) and roles (moderator, participant, visitor; `none` kicks), with
 * the notifications to the room.
 *
 * @module
 */
import { type Jid, tryParseJid } from "../../jid/jid.ts";
import { StanzaError } from "../../base/stanza_error.ts";
import { child, type Element, elements, text, xml } from "../../xml/element.ts";
import {
  type Affiliation,
  AFFILIATIONS,
  defaultRole,
  type Occupant,
  type Role,
  ROLES,
} from "./occupants.ts";
import type { Room } from "./room.ts";

const RANK: Record<Affiliation, number> = { owner: 4, admin: 3, member: 2, none: 1, outcast: 0 };

interface Actor {
  readonly bare: string;
  readonly affiliation: Affiliation;
  readonly occupant?: Occupant;
}

function actorOf(room: Room, from: Jid): Actor {
  return {
    bare: from.bare,
    affiliation: room.affiliation(from.bare),
    occupant: room.bySession(from.full),
  };
}

const forbidden = (why: string) => new StanzaError("forbidden", "auth", why);
const notAllowed = (why: string) => new StanzaError("not-allowed", "cancel", why);

/**
 * Reads a list (§8.5, §9.5, §10.5): the items with one affiliation or role.
 *
 * @param room The room.
 * @param query The `<query/>` with one `<item/>`.
 * @param from Who asks.
 * @returns The result's `<query/>`.
 * @throws {StanzaError} `forbidden` without the privilege, `bad-request` for a bad item.
 */
export function adminGet(room: Room, query: Element, from: Jid): Element {
  const item = child(query, "item");
  const actor = actorOf(room, from);
  const affiliation = item?.attrs.affiliation as Affiliation | undefined;
  const role = item?.attrs.role as Role | undefined;
  let items: Element[];
  if (affiliation && AFFILIATIONS.includes(affiliation) && affiliation !== "none") {
    if (RANK[actor.affiliation] < RANK.admin) throw forbidden("Only admins read this list");
    items = room.withAffiliation(affiliation).map((jid) =>
      xml("item", { affiliation, jid, nick: room.nicks.get(jid) })
    );
  } else if (role && ROLES.includes(role) && role !== "none") {
    if (actor.occupant?.role !== "moderator") throw forbidden("Only moderators read this list");
    items = [...room.occupants.values()].filter((o) => o.role === role).map((o) =>
      xml("item", {
        nick: o.nick,
        role: o.role,
        affiliation: room.affiliation(o.bare),
        jid: [...o.sessions][0],
      })
    );
  } else {
    throw new StanzaError("bad-request", "modify", "Ask for one affiliation or role");
  }
  return xml("query", { xmlns: query.xmlns }, items);
}

type Change =
  | { kind: "role"; target: Occupant; role: Role; reason?: string }
  | { kind: "affiliation"; bare: string; affiliation: Affiliation; reason?: string };

function roleChange(room: Room, actor: Actor, item: Element, reason?: string): Change {
  const role = item.attrs.role as Role;
  if (!ROLES.includes(role)) throw new StanzaError("bad-request", "modify", "Unknown role");
  const target = room.occupants.get(item.attrs.nick ?? "");
  if (!target) throw new StanzaError("item-not-found", "cancel", "No such occupant");
  if (actor.occupant?.role !== "moderator") throw forbidden("Only moderators change roles");
  const targetAff = room.affiliation(target.bare);
  // §8.2, §8.4: admins and owners keep their voice; §9.7: moderator is granted by admins.
  if (role === "moderator" || target.role === "moderator" && targetAff === "none") {
    if (RANK[actor.affiliation] < RANK.admin) throw forbidden("Only admins grant moderator");
  }
  if (RANK[targetAff] >= RANK.admin && role !== "moderator") {
    throw notAllowed("An admin or owner keeps the moderator role");
  }
  return { kind: "role", target, role, reason };
}

function affiliationChange(room: Room, actor: Actor, item: Element, reason?: string): Change {
  const affiliation = item.attrs.affiliation as Affiliation;
  if (!AFFILIATIONS.includes(affiliation)) {
    throw new StanzaError("bad-request", "modify", "Unknown affiliation");
  }
  let bare: string | undefined;
  if (item.attrs.jid !== undefined) {
    const jid = tryParseJid(item.attrs.jid);
    if (!jid) throw new StanzaError("jid-malformed", "modify", "Bad JID in item");
    bare = jid.bare;
  } else if (item.attrs.nick !== undefined) {
    bare = room.occupants.get(item.attrs.nick)?.bare;
    if (!bare) throw new StanzaError("item-not-found", "cancel", "No such occupant");
  }
  if (!bare) throw new StanzaError("bad-request", "modify", "An item needs a jid or nick");
  if (RANK[actor.affiliation] < RANK.admin) throw forbidden("Only admins change affiliations");
  const current = room.affiliation(bare);
  // §10.3-§10.8: only owners make or unmake admins and owners; §9.1: an admin cannot ban one.
  if (actor.affiliation !== "owner") {
    if (RANK[current] >= RANK.admin) throw notAllowed("Only owners change admins and owners");
    if (RANK[affiliation] >= RANK.admin) throw forbidden("Only owners grant admin or owner");
  }
  return { kind: "affiliation", bare, affiliation, reason };
}

/**
 * Changes roles and affiliations (§8-§10): all the items, or none when one is refused.
 *
 * @param room The room.
 * @param query The `<query/>` with `<item/>`s.
 * @param from Who asks.
 * @throws {StanzaError} `forbidden`, `not-allowed`, `item-not-found`, `bad-request`, or
 * `conflict` when the last owner would go (§10.6).
 */
export function adminSet(room: Room, query: Element, from: Jid): void {
  const actor = actorOf(room, from);
  const items = elements(query, "item");
  if (items.length === 0) throw new StanzaError("bad-request", "modify", "No item");
  const changes = items.map((item) => {
    const reason = text(child(item, "reason")) || undefined;
    if (item.attrs.affiliation !== undefined) return affiliationChange(room, actor, item, reason);
    if (item.attrs.role !== undefined) return roleChange(room, actor, item, reason);
    throw new StanzaError("bad-request", "modify", "An item needs a role or affiliation");
  });
  const owners = new Set(room.withAffiliation("owner"));
  for (const c of changes) {
    if (c.kind !== "affiliation") continue;
    if (c.affiliation === "owner") owners.add(c.bare);
    else owners.delete(c.bare);
  }
  if (owners.size === 0) throw new StanzaError("conflict", "cancel", "A room needs an owner");
  const actorNick = actor.occupant?.nick;
  for (const c of changes) {
    if (c.kind === "role") applyRole(room, c.target, c.role, { reason: c.reason, actorNick });
    else applyAffiliation(room, c.bare, c.affiliation, { reason: c.reason, actorNick });
  }
}

interface Why {
  readonly reason?: string;
  readonly actorNick?: string;
}

function applyRole(room: Room, target: Occupant, role: Role, why: Why): void {
  if (!room.occupants.has(target.nick)) return;
  if (role === "none") return room.expel(target, { codes: [307], ...why }); // §8.2: kick
  target.role = role;
  room.broadcastPresence(target, why);
}

function applyAffiliation(room: Room, bare: string, affiliation: Affiliation, why: Why): void {
  room.setAffiliation(bare, affiliation);
  for (const occ of room.byBare(bare)) {
    if (affiliation === "outcast") {
      room.expel(occ, { codes: [301], ...why }); // §9.1: ban
    } else if (room.config.membersOnly && affiliation === "none") {
      room.expel(occ, { codes: [321], ...why }); // §9.4: no longer a member
    } else {
      occ.role = defaultRole(affiliation, room.config.moderated);
      room.broadcastPresence(occ, why);
    }
  }
}

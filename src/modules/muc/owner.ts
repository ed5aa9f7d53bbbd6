/**
 * The owner's use cases (XEP-0045 §10): the configuration form of a new (locked) or existing
 * room, an instant room, cancelling a new room, and destroying a room.
 *
 * @module
 */
import { type Jid, tryParseJid } from "../../jid/jid.ts";
import { StanzaError } from "../../base/stanza_error.ts";
import { child, type Element, xml } from "../../xml/element.ts";
import { NS } from "../../xml/ns.ts";
import { adminGet, adminSet } from "./admin.ts";
import { applyForm, configForm, type ConfigLimits, type RoomConfig } from "./config.ts";
import type { Room } from "./room.ts";

function requireOwner(room: Room, from: Jid): void {
  if (room.affiliation(from.bare) !== "owner") {
    throw new StanzaError("forbidden", "auth", "Only owners configure the room");
  }
}

/**
 * An iq get of `muc#owner`: the configuration form (§10.2), or an owner/admin list (§10.5).
 *
 * @param room The room.
 * @param query The `<query/>`.
 * @param from Who asks.
 * @param limits The service's limits.
 * @returns The result's `<query/>`.
 */
export function ownerGet(room: Room, query: Element, from: Jid, limits: ConfigLimits): Element {
  if (child(query, "item")) return adminGet(room, query, from);
  requireOwner(room, from);
  return xml("query", { xmlns: NS.MUC_OWNER }, configForm(room.config, limits));
}

/**
 * An iq set of `muc#owner`: a submitted or cancelled form (§10.1, §10.2), a destruction
 * (§10.9), or owner/admin list changes (§10.3-§10.8).
 *
 * @param room The room.
 * @param query The `<query/>`.
 * @param from Who asks.
 * @param limits The service's limits.
 */
export function ownerSet(room: Room, query: Element, from: Jid, limits: ConfigLimits): void {
  if (child(query, "item")) return adminSet(room, query, from);
  requireOwner(room, from);
  const destroy = child(query, "destroy");
  if (destroy) return destroyRoom(room, destroy);
  const form = child(query, "x", NS.DATA_FORMS);
  if (!form) throw new StanzaError("bad-request", "modify", "Expected a form or destroy");
  if (form.attrs.type === "cancel") {
    // §10.1.3: cancelling the initial configuration destroys the new room.
    if (room.locked) destroyRoom(room, xml("destroy", null));
    return;
  }
  if (form.attrs.type !== "submit") {
    throw new StanzaError("bad-request", "modify", "Expected a submitted form");
  }
  const before = room.config;
  room.config = applyForm(before, form, limits);
  room.changed = true;
  room.history.resize(Math.min(room.config.historyLength, limits.maxHistory));
  const wasLocked = room.locked;
  room.locked = false;
  if (!wasLocked) notifyChange(room, before);
}

// §10.2.1: status codes of a configuration change, and those it removes (§9.4: 322).
function notifyChange(room: Room, before: RoomConfig): void {
  const codes = [104];
  if (before.whois !== room.config.whois) codes.push(room.config.whois === "anyone" ? 172 : 173);
  if (before.archive !== room.config.archive) codes.push(room.config.archive ? 170 : 171);
  room.broadcastStatus(codes);
  if (room.config.membersOnly && !before.membersOnly) {
    for (const occ of [...room.occupants.values()]) {
      if (!room.isMember(occ.bare)) room.expel(occ, { codes: [322] });
    }
  }
}

/**
 * Destroys a room (§10.9): every occupant gets an unavailable presence with the
 * `<destroy/>` element (alternate venue, reason).
 *
 * @param room The room.
 * @param destroy The owner's `<destroy/>`.
 */
export function destroyRoom(room: Room, destroy: Element): void {
  const venue = destroy.attrs.jid !== undefined ? tryParseJid(destroy.attrs.jid) : undefined;
  if (destroy.attrs.jid !== undefined && !venue) {
    throw new StanzaError("jid-malformed", "modify", "Bad alternate venue");
  }
  const note = xml(
    "destroy",
    { jid: venue?.bare },
    child(destroy, "reason"),
    child(destroy, "password"),
  );
  for (const occ of [...room.occupants.values()]) room.expel(occ, { destroy: note });
  room.destroyed = true;
}

/**
 * Messages to a room and its occupants (XEP-0045 §7.4-§7.9, §8.1): groupchat, subject,
 * private messages, mediated invitations and declines, voice requests.
 *
 * @module
 */
import { type Jid, tryParseJid } from "../../jid/jid.ts";
import { StanzaError } from "../../base/stanza_error.ts";
import { child, type Element, elements, text, xml, type XmlChild } from "../../xml/element.ts";
import { NS } from "../../xml/ns.ts";
import { archiveMessage, withoutForgedIds } from "./archive.ts";
import { formTypeOf, submittedValues } from "../data_form.ts";
import { prepareNick } from "./nick.ts";
import type { Occupant } from "./occupants.ts";
import type { Room } from "./room.ts";
import type { RoomContext } from "./presence.ts";

/**
 * Error conditions that say a message the room sent could not reach an occupant's session: its
 * server is gone or the session is (as Prosody and ejabberd treat "ghost" occupants).
 */
const UNREACHABLE = new Set([
  "gone",
  "item-not-found",
  "recipient-unavailable",
  "redirect",
  "remote-server-not-found",
  "remote-server-timeout",
  "service-unavailable",
]);

/**
 * A message of type error from an occupant's real JID: when it says the occupant cannot be
 * reached (e.g. its server went away: `remote-server-not-found` over s2s), the room removes the
 * occupant with status 333 (XEP-0045 status codes: removed because of an error in transmission).
 *
 * @param room The room.
 * @param stanza The error message.
 * @param from Its real sender.
 */
export function bouncedMessage(room: Room, stanza: Element, from: Jid): void {
  const occ = room.bySession(from.full);
  const error = child(stanza, "error");
  const condition = error && elements(error).find((c) => c.xmlns === NS.STANZAS)?.name;
  if (occ && condition && UNREACHABLE.has(condition)) room.expel(occ, { codes: [333] });
}

function payload(stanza: Element): Element[] {
  return elements(stanza).filter((c) => c.xmlns !== NS.OCCUPANT_ID);
}

function occupantOf(room: Room, from: Jid): Occupant {
  const occ = room.bySession(from.full);
  // §7.4, §7.5: only occupants speak in a room.
  if (!occ) throw new StanzaError("not-acceptable", "modify", "You are not in the room");
  return occ;
}

/**
 * A message to the room's bare JID.
 *
 * @param room The room.
 * @param stanza The message.
 * @param from Its real sender.
 * @param ctx The service's context.
 * @throws {StanzaError} When the sender may not send it.
 */
export function roomMessage(room: Room, stanza: Element, from: Jid, ctx: RoomContext): void {
  const type = stanza.attrs.type ?? "normal";
  if (type === "error") return;
  if (type === "groupchat") return groupchat(room, stanza, from, ctx);
  const user = child(stanza, "x", NS.MUC_USER);
  if (user && child(user, "invite")) return invite(room, user, from);
  if (user && child(user, "decline")) return decline(room, user, from);
  const form = child(stanza, "x", NS.DATA_FORMS);
  if (form && formTypeOf(form) === NS.MUC_REQUEST) {
    return voiceRequest(room, form, from);
  }
  throw new StanzaError("bad-request", "modify", "Send groupchat messages to the room");
}

function groupchat(room: Room, stanza: Element, from: Jid, ctx: RoomContext): void {
  const occ = occupantOf(room, from);
  const subject = child(stanza, "subject");
  const isSubject = subject !== undefined && !child(stanza, "body");
  // §7.4, §8.4: a visitor has no voice.
  if (occ.role === "visitor" || occ.role === "none") {
    throw new StanzaError("forbidden", "auth", "You have no voice in this room");
  }
  if (isSubject && occ.role !== "moderator" && !room.config.changeSubject) {
    throw new StanzaError("forbidden", "auth", "Only moderators may change the subject");
  }
  let message = xml(
    "message",
    { xmlns: NS.CLIENT, from: `${room.jid}/${occ.nick}`, type: "groupchat", id: stanza.attrs.id },
    withoutForgedIds(payload(stanza), room.jid),
    xml("occupant-id", { xmlns: NS.OCCUPANT_ID, id: occ.occupantId }),
  );
  if (isSubject) {
    room.subject = { text: text(subject), nick: occ.nick };
    room.changed = true;
  } else if (child(stanza, "body")) {
    if (room.config.archive) message = archiveMessage(room, message, ctx.randomId(), ctx.now);
    room.history.add(message, ctx.now);
  }
  room.broadcastMessage(message);
}

/**
 * A message to an occupant JID: a private message (§7.5).
 *
 * @param room The room.
 * @param stanza The message.
 * @param from Its real sender.
 * @param nick The addressed nickname.
 * @throws {StanzaError} When it cannot be delivered.
 */
export function privateMessage(room: Room, stanza: Element, from: Jid, nick: string): void {
  const type = stanza.attrs.type;
  if (type === "error") return;
  if (type === "groupchat") {
    throw new StanzaError("bad-request", "modify", "A private message cannot be groupchat");
  }
  const occ = occupantOf(room, from);
  let target: Occupant | undefined;
  try {
    target = room.occupants.get(prepareNick(nick, Infinity));
  } catch { /* no such nickname */ }
  if (!target) throw new StanzaError("item-not-found", "cancel", "No such occupant");
  const allow = room.config.allowPm;
  const may = allow === "anyone" ||
    allow === "participants" && occ.role !== "visitor" ||
    allow === "moderators" && occ.role === "moderator";
  if (!may) throw new StanzaError("forbidden", "auth", "Private messages are not allowed");
  const message = xml(
    "message",
    { xmlns: NS.CLIENT, from: `${room.jid}/${occ.nick}`, type, id: stanza.attrs.id },
    payload(stanza).filter((c) => c.xmlns !== NS.MUC_USER),
    xml("x", { xmlns: NS.MUC_USER }),
    xml("occupant-id", { xmlns: NS.OCCUPANT_ID, id: occ.occupantId }),
  );
  for (const to of target.sessions) room.send({ ...message, attrs: { ...message.attrs, to } });
}

function invite(room: Room, user: Element, from: Jid): void {
  occupantOf(room, from);
  const affiliation = room.affiliation(from.bare);
  const privileged = affiliation === "owner" || affiliation === "admin";
  // §7.8.2: in a members-only room only admins invite, unless occupants are allowed to.
  if (room.config.membersOnly && !privileged && !room.config.allowInvites) {
    throw new StanzaError("forbidden", "auth", "You may not invite to this room");
  }
  const invites = elements(user, "invite").map((i) => {
    const to = tryParseJid(i.attrs.to ?? "");
    if (!to) throw new StanzaError("jid-malformed", "modify", "Cannot invite: bad JID");
    return { to, reason: child(i, "reason") };
  });
  for (const { to, reason } of invites) {
    if (room.config.membersOnly && room.affiliation(to.bare) === "none") {
      room.setAffiliation(to.bare, "member"); // §7.8.2: the invitee becomes a member
    }
    room.send(fromRoom(
      room,
      to.full,
      // §7.8.2: the invitee learns the inviter's real JID.
      xml("invite", { from: from.full }, reason),
      room.config.password ? xml("password", null, room.config.password) : undefined,
    ));
  }
}

/** A message from the room itself with a muc#user payload (§7.8: invitations, declines). */
function fromRoom(room: Room, to: string, ...user: XmlChild[]): Element {
  return xml(
    "message",
    { xmlns: NS.CLIENT, from: room.jid, to },
    xml("x", { xmlns: NS.MUC_USER }, user),
  );
}

function decline(room: Room, user: Element, from: Jid): void {
  const el = child(user, "decline")!;
  const to = tryParseJid(el.attrs.to ?? "");
  if (!to) throw new StanzaError("jid-malformed", "modify", "Cannot decline: bad JID");
  // §7.8.2: the room passes the decline on to the inviter, from the room.
  room.send(fromRoom(room, to.full, xml("decline", { from: from.bare }, child(el, "reason"))));
}

function requestForm(occ: Occupant, jid: string): Element {
  const field = (v: string, type: string, value: string, label?: string) =>
    xml("field", { var: v, type, label }, xml("value", null, value));
  return xml(
    "x",
    { xmlns: NS.DATA_FORMS, type: "form" },
    xml("title", null, "Voice request"),
    field("FORM_TYPE", "hidden", NS.MUC_REQUEST),
    field("muc#role", "list-single", "participant", "Requested role"),
    field("muc#jid", "jid-single", jid, "User ID"),
    field("muc#roomnick", "text-single", occ.nick, "Room Nickname"),
    field("muc#request_allow", "boolean", "false", "Grant voice to this person?"),
  );
}

function voiceRequest(room: Room, form: Element, from: Jid): void {
  const occ = occupantOf(room, from);
  const values = submittedValues(form);
  if (occ.role === "moderator" && values["muc#request_allow"] !== undefined) {
    return approveVoice(room, occ, values);
  }
  if (occ.role !== "visitor") return; // §7.13: only visitors ask for voice
  // §7.13: the request goes to every moderator as a form to approve.
  for (const moderator of room.occupants.values()) {
    if (moderator.role !== "moderator") continue;
    for (const to of moderator.sessions) {
      room.send(xml(
        "message",
        { xmlns: NS.CLIENT, from: room.jid, to },
        requestForm(occ, from.full),
      ));
    }
  }
}

function approveVoice(room: Room, actor: Occupant, values: Record<string, string[]>): void {
  const allow = values["muc#request_allow"]?.[0];
  if (allow !== "1" && allow !== "true") return;
  const target = room.occupants.get(values["muc#roomnick"]?.[0] ?? "");
  if (!target || target.role !== "visitor") return;
  // §8.3: granting voice is broadcast as the occupant's new presence.
  target.role = "participant";
  room.broadcastPresence(target, { actorNick: actor.nick });
}

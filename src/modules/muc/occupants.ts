/**
 * Occupants of a room (XEP-0045 §5): affiliations, roles, and the presence an occupant
 * shows to another one with its `muc#user` item and status codes (§7.2.3).
 *
 * @module
 */
import type { BareJid } from "../../jid/jid.ts";
import { type Element, xml } from "../../xml/element.ts";
import { NS } from "../../xml/ns.ts";

/** A long-lived association with a room (§5.2). */
export type Affiliation = "owner" | "admin" | "member" | "outcast" | "none";
/** A temporary position in a room while present (§5.1). */
export type Role = "moderator" | "participant" | "visitor" | "none";

/** The affiliations, most privileged first. */
export const AFFILIATIONS: readonly Affiliation[] = ["owner", "admin", "member", "none", "outcast"];
/** The roles, most privileged first. */
export const ROLES: readonly Role[] = ["moderator", "participant", "visitor", "none"];

/** Someone in a room under a nickname, with one or more sessions (multi-session nicks). */
export interface Occupant {
  /** The room nickname. */
  nick: string;
  /** The real bare JID. */
  readonly bare: BareJid;
  /** The real full JIDs joined under this nickname, in join order. */
  readonly sessions: Set<string>;
  /** The role. */
  role: Role;
  /** The last presence the occupant sent to the room. */
  presence: Element;
  /** XEP-0421: a stable, anonymous id of the real bare JID in this room. */
  readonly occupantId: string;
}

/**
 * The role an affiliation gets on entering (§5.1.2).
 *
 * @param affiliation The occupant's affiliation.
 * @param moderated Whether the room is moderated.
 * @returns The role.
 */
export function defaultRole(affiliation: Affiliation, moderated: boolean): Role {
  if (affiliation === "owner" || affiliation === "admin") return "moderator";
  if (affiliation === "member") return "participant";
  if (affiliation === "outcast") return "none";
  return moderated ? "visitor" : "participant";
}

/**
 * XEP-0421 §4: an occupant id, the same for a bare JID in a room every time and telling
 * nothing about it (a keyed hash with the room's secret).
 *
 * @param secret The room's secret.
 * @param bare The real bare JID.
 * @returns The id.
 */
export async function occupantId(secret: string, bare: string): Promise<string> {
  const data = new TextEncoder().encode(`${secret}\0${bare}`);
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", data));
  return btoa(String.fromCharCode(...digest.subarray(0, 18))).replaceAll("+", "-")
    .replaceAll("/", "_");
}

/** Whether an element belongs to the MUC protocol (stripped from what occupants send). */
export function isMucPayload(el: Element): boolean {
  return el.xmlns === NS.MUC || el.xmlns === NS.MUC_USER || el.xmlns === NS.OCCUPANT_ID;
}

/** What a presence of an occupant says beyond its item. */
export interface PresenceNote {
  /** `unavailable` when the occupant leaves (or is removed). */
  readonly type?: "unavailable";
  /** Status codes for everyone (§15.6): 301, 303, 307, 321, 322, 332, 333. */
  readonly codes?: readonly number[];
  /** Status codes for the occupant itself only: 110 is added by the builder. */
  readonly selfCodes?: readonly number[];
  /** The new nickname (303, §7.6). */
  readonly newNick?: string;
  /** Why (kick, ban, §8.2, §9.1). */
  readonly reason?: string;
  /** Who did it: the actor's nickname. */
  readonly actorNick?: string;
  /** §10.9: the `<destroy/>` element. */
  readonly destroy?: Element;
}

/** Who receives a presence, and what they may see. */
export interface Viewer {
  /** The receiving session's full JID. */
  readonly to: string;
  /** Whether the receiver may see real JIDs (non-anonymous room, or a moderator). */
  readonly seesJids: boolean;
  /** Whether the receiver is the occupant itself. */
  readonly self: boolean;
}

function mucUser(occ: Occupant, affiliation: Affiliation, viewer: Viewer, note: PresenceNote) {
  const codes = [...note.codes ?? [], ...viewer.self ? [110, ...note.selfCodes ?? []] : []];
  const jid = viewer.self ? viewer.to : [...occ.sessions][0];
  return xml(
    "x",
    { xmlns: NS.MUC_USER },
    xml(
      "item",
      {
        // §10.9: a destroyed room leaves everyone without affiliation.
        affiliation: note.destroy ? "none" : affiliation,
        role: note.type === "unavailable" ? "none" : occ.role,
        jid: viewer.seesJids || viewer.self ? jid : undefined,
        nick: note.newNick,
      },
      note.actorNick !== undefined ? xml("actor", { nick: note.actorNick }) : undefined,
      note.reason ? xml("reason", null, note.reason) : undefined,
    ),
    note.destroy,
    [...new Set(codes)].sort().map((code) => xml("status", { code: String(code) })),
  );
}

/**
 * The presence of an occupant as one session sees it (§7.2.3).
 *
 * @param room The room's JID.
 * @param occ The occupant.
 * @param affiliation The occupant's affiliation.
 * @param viewer The receiver.
 * @param note Status codes, reason and the like.
 * @returns The presence.
 */
export function occupantPresence(
  room: string,
  occ: Occupant,
  affiliation: Affiliation,
  viewer: Viewer,
  note: PresenceNote = {},
): Element {
  const own = note.type === "unavailable"
    ? occ.presence.children.filter((c) => typeof c !== "string" && c.name === "status")
    : occ.presence.children.filter((c) => typeof c !== "string" && !isMucPayload(c));
  return xml(
    "presence",
    { xmlns: NS.CLIENT, from: `${room}/${occ.nick}`, to: viewer.to, type: note.type },
    own,
    mucUser(occ, affiliation, viewer, note),
    xml("occupant-id", { xmlns: NS.OCCUPANT_ID, id: occ.occupantId }),
  );
}

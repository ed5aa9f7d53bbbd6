/**
 * A room: its stored state (configuration, affiliations, subject) and its occupants while
 * the server runs. Operations on a room (see presence.ts, messages.ts, admin.ts, owner.ts)
 * put the stanzas they send in its outbox; the service routes them.
 *
 * @module
 */
import type { BareJid } from "../../jid/jid.ts";
import type { ArchivedMessage } from "../../storage/archive_store.ts";
import { type Element, xml } from "../../xml/element.ts";
import { NS } from "../../xml/ns.ts";
import { DEFAULT_CONFIG, type RoomConfig } from "./config.ts";
import { History } from "./history.ts";
import {
  type Affiliation,
  type Occupant,
  occupantPresence,
  type PresenceNote,
  type Role,
} from "./occupants.ts";

/** The subject of a room (§8.1). */
export interface Subject {
  /** The text; "" when none was set. */
  readonly text: string;
  /** The nickname of who set it; "" for the room. */
  readonly nick: string;
}

/** What is stored of a persistent room. */
export interface RoomRecord {
  /** The configuration. */
  readonly config: RoomConfig;
  /** Affiliations other than `none`, by bare JID. */
  readonly affiliations: Readonly<Record<string, Affiliation>>;
  /** The subject. */
  readonly subject: Subject;
  /** The key of XEP-0421 occupant ids. */
  readonly secret: string;
  /** Registered (reserved) nicknames by bare JID (§7.10); absent in older records. */
  readonly nicks?: Readonly<Record<string, string>>;
  /** The room's vCard (XEP-0486), serialized, and its avatar's SHA-1 ("" for none). */
  readonly vcard?: string;
  /** The SHA-1 of the vCard's photo. */
  readonly avatarHash?: string;
}

/** A room in memory. */
export class Room {
  /** The room's bare JID. */
  readonly jid: string;
  /** The configuration. */
  config: RoomConfig;
  /** Affiliations other than `none`. */
  readonly affiliations: Map<string, Affiliation>;
  /** The subject. */
  subject: Subject;
  /** The occupant id key. */
  readonly secret: string;
  /** Registered nicknames by bare JID (§7.10). */
  readonly nicks: Map<string, string>;
  /** The room's vCard, serialized (XEP-0486). */
  vcard: string | undefined;
  /** The SHA-1 of its photo, "" for none. */
  avatarHash: string;
  /** §10.1.1: a new room is locked until its owner configures it. */
  locked = false;
  /** Set when the room is destroyed: the service forgets it. */
  destroyed = false;
  /** Set when stored state changed: the service writes it. */
  changed = false;
  /** The occupants by nickname. */
  readonly occupants: Map<string, Occupant> = new Map();
  /** The discussion history. */
  readonly history: History;
  /** Messages to archive before the outbox is sent (XEP-0313 §5). */
  readonly archiveQueue: ArchivedMessage[] = [];
  /** Stanzas to send, in order. */
  readonly outbox: Element[] = [];
  readonly #bySession = new Map<string, Occupant>();

  /**
   * @param jid The room's bare JID.
   * @param record Its stored state.
   * @param maxHistory The service's limit on history.
   */
  constructor(jid: string, record: RoomRecord, maxHistory: number) {
    this.jid = jid;
    this.config = { ...DEFAULT_CONFIG, ...record.config };
    this.affiliations = new Map(Object.entries(record.affiliations));
    this.subject = record.subject;
    this.secret = record.secret;
    this.nicks = new Map(Object.entries(record.nicks ?? {}));
    this.vcard = record.vcard;
    this.avatarHash = record.avatarHash ?? "";
    this.history = new History(Math.min(this.config.historyLength, maxHistory));
  }

  /** What is stored of the room. */
  record(): RoomRecord {
    return {
      config: this.config,
      affiliations: Object.fromEntries(this.affiliations),
      subject: this.subject,
      secret: this.secret,
      nicks: Object.fromEntries(this.nicks),
      vcard: this.vcard,
      avatarHash: this.avatarHash,
    };
  }

  /** An affiliation of a bare JID. */
  affiliation(bare: string): Affiliation {
    return this.affiliations.get(bare) ?? "none";
  }

  /** Sets an affiliation (`none` removes it). */
  setAffiliation(bare: string, affiliation: Affiliation): void {
    if (affiliation === "none") this.affiliations.delete(bare);
    else this.affiliations.set(bare, affiliation);
    this.changed = true;
  }

  /** The bare JIDs with an affiliation. */
  withAffiliation(affiliation: Affiliation): string[] {
    return [...this.affiliations].filter(([, a]) => a === affiliation).map(([j]) => j);
  }

  /** The occupant a real full JID is joined as. */
  bySession(full: string): Occupant | undefined {
    return this.#bySession.get(full);
  }

  /** The occupants a real bare JID is joined as. */
  byBare(bare: string): Occupant[] {
    return [...this.occupants.values()].filter((o) => o.bare === bare);
  }

  /** Adds an occupant, or a session to it. */
  addSession(occ: Occupant, full: string): void {
    occ.sessions.add(full);
    this.occupants.set(occ.nick, occ);
    this.#bySession.set(full, occ);
  }

  /** Removes a session; the occupant goes with its last one. */
  removeSession(occ: Occupant, full: string): void {
    occ.sessions.delete(full);
    this.#bySession.delete(full);
    if (occ.sessions.size === 0) this.occupants.delete(occ.nick);
  }

  /** Removes an occupant with every session. */
  removeOccupant(occ: Occupant): void {
    for (const s of occ.sessions) this.#bySession.delete(s);
    this.occupants.delete(occ.nick);
  }

  /** Renames an occupant (§7.6). */
  rename(occ: Occupant, nick: string): void {
    this.occupants.delete(occ.nick);
    occ.nick = nick;
    this.occupants.set(nick, occ);
  }

  /** Whether a role may see real JIDs in this room (§7.2.3, §7.2.4). */
  seesJids(role: Role): boolean {
    return this.config.whois === "anyone" || role === "moderator";
  }

  /** Queues a stanza. */
  send(stanza: Element): void {
    this.outbox.push(stanza);
  }

  /**
   * Sends an occupant's presence to every session in the room, the occupant's own last
   * (§7.2.3: self-presence is the last of the join).
   *
   * @param occ The occupant (possibly already removed from the room).
   * @param note Codes, reason, etc.
   */
  broadcastPresence(occ: Occupant, note: PresenceNote = {}): void {
    const affiliation = this.affiliation(occ.bare);
    for (const other of this.occupants.values()) {
      if (other === occ) continue;
      for (const to of other.sessions) {
        const viewer = { to, seesJids: this.seesJids(other.role), self: false };
        this.send(occupantPresence(this.jid, occ, affiliation, viewer, note));
      }
    }
    for (const to of occ.sessions) {
      const viewer = { to, seesJids: this.seesJids(occ.role), self: true };
      this.send(occupantPresence(this.jid, occ, affiliation, viewer, note));
    }
  }

  /** Sends a message to every session of every occupant, `to` filled in. */
  broadcastMessage(message: Element): void {
    for (const occ of this.occupants.values()) {
      for (const to of occ.sessions) this.send({ ...message, attrs: { ...message.attrs, to } });
    }
  }

  /** §10.2: a message with status codes to every occupant (configuration changes). */
  broadcastStatus(codes: readonly number[]): void {
    if (codes.length === 0) return;
    this.broadcastMessage(xml(
      "message",
      { xmlns: NS.CLIENT, from: this.jid, type: "groupchat" },
      xml("x", { xmlns: NS.MUC_USER }, codes.map((c) => xml("status", { code: String(c) }))),
    ));
  }

  /**
   * Removes an occupant with an unavailable presence to everyone, and to it (§8.2, §9.1).
   *
   * @param occ The occupant.
   * @param note The codes (307, 301, 321, 322, 333) and reason.
   */
  expel(occ: Occupant, note: PresenceNote): void {
    this.broadcastPresence(occ, { ...note, type: "unavailable" });
    this.removeOccupant(occ);
  }

  /** The subject message sent on join (§7.2.16), to one session. */
  subjectMessage(to: string): Element {
    const from = this.subject.nick ? `${this.jid}/${this.subject.nick}` : this.jid;
    return xml(
      "message",
      { xmlns: NS.CLIENT, from, to, type: "groupchat" },
      xml("subject", null, this.subject.text),
    );
  }

  /** Who registered a nickname, if anyone (§7.10). */
  nickOwner(nick: string): string | undefined {
    for (const [bare, n] of this.nicks) if (n === nick) return bare;
    return undefined;
  }

  /** Whether a bare JID may enter a members-only room (§7.2.6). */
  isMember(bare: BareJid | string): boolean {
    const a = this.affiliation(bare);
    return a === "owner" || a === "admin" || a === "member";
  }
}

/**
 * The state of a new room.
 *
 * @param owner Its creator.
 * @param secret A new random key for occupant ids.
 * @param config Its configuration (the service's defaults).
 * @returns The record.
 */
export function newRoomRecord(owner: string, secret: string, config: RoomConfig): RoomRecord {
  return { config, affiliations: { [owner]: "owner" }, subject: { text: "", nick: "" }, secret };
}

/**
 * The multi-user chat service of one domain: finds or creates the room a stanza is for,
 * runs the operations of one room one after the other, sends what they queued, answers
 * failures with the XEP's errors, and keeps persistent rooms in the document store.
 *
 * @module
 */
import { errorReply, StanzaError } from "../../base/stanza_error.ts";
import { HANDLED, type HookResult } from "../../hooks/hook_registry.ts";
import type { StanzaEvent } from "../../hooks/server_hooks.ts";
import { type BareJid, parseJid, tryParseJid } from "../../jid/jid.ts";
import type { ModuleApi } from "../../module/module_api.ts";
import { type DocumentCollection, documentCollection } from "../../storage/document_collection.ts";
import { loadXml } from "../../storage/stored_xml.ts";
import { child, type Element, elements, xml } from "../../xml/element.ts";
import { NS } from "../../xml/ns.ts";
import { adminGet, adminSet } from "./admin.ts";
import { queryArchive, queryForm } from "./archive.ts";
import { DEFAULT_CONFIG, type RoomConfig } from "./config.ts";
import { publicRooms, roomInfo } from "./disco.ts";
import { privateMessage, roomMessage } from "./messages.ts";
import { moderate, moderationRequest } from "./moderation.ts";
import { IqProxy } from "./iq_proxy.ts";
import { roomVcard, setRoomVcard } from "./avatar.ts";
import { prepareNick } from "./nick.ts";
import { register, registrationForm, reservedNick } from "./registration.ts";
import { ownerGet, ownerSet } from "./owner.ts";
import { type RoomContext, roomPresence } from "./presence.ts";
import { newRoomRecord, Room, type RoomRecord } from "./room.ts";

/** Settings of a MUC service. */
export interface MucSettings {
  /** The service's domain, e.g. `conference.example.org`. */
  readonly domain: string;
  /** Longest nickname, in characters. */
  readonly maxNickLength: number;
  /** Most occupants of a room. */
  readonly maxUsers: number;
  /** Most history messages of a room. */
  readonly maxHistory: number;
  /** Who may create rooms: users of hosted domains, or anyone. */
  readonly createRooms: "local" | "anyone";
  /** Most rooms at once. */
  readonly maxRooms: number;
  /** The largest room vCard, in bytes. */
  readonly maxVcardBytes: number;
  /** The configuration of new rooms. */
  readonly defaultConfig: RoomConfig;
}

/** The rooms of a MUC service. */
export class MucService {
  readonly #api: ModuleApi;
  readonly #settings: MucSettings;
  readonly #rooms = new Map<string, Room>();
  readonly #stored = new Set<string>();
  readonly #queues = new Map<string, Promise<void>>();
  readonly #store: DocumentCollection<RoomRecord>;
  readonly #proxy = new IqProxy();
  readonly #sending = new Map<string, Promise<void>>();

  /**
   * @param api The module's API.
   * @param settings The service's settings.
   */
  constructor(api: ModuleApi, settings: MucSettings) {
    this.#api = api;
    this.#settings = settings;
    this.#store = documentCollection<RoomRecord>(api.storage, `muc:${settings.domain}`);
  }

  /** Loads the persistent rooms. */
  async load(): Promise<void> {
    for await (const doc of this.#store.all()) {
      const room = this.#room(doc.key, doc.value);
      this.#rooms.set(doc.key, room);
      this.#stored.add(doc.key);
      await this.#loadHistory(room);
    }
  }

  // A persistent room's join history after a restart: its last archived messages.
  async #loadHistory(room: Room): Promise<void> {
    const max = Math.min(room.config.historyLength, this.#settings.maxHistory);
    if (!room.config.archive || max === 0) return;
    const page = await this.#api.storage.archive.query(room.jid as BareJid, { before: "", max });
    for (const m of page.messages) {
      const stanza = loadXml(m.stanza);
      if (stanza && child(stanza, "body")) room.history.add(stanza, m.stamp);
    }
  }

  /** The rooms, by localpart. */
  get rooms(): ReadonlyMap<string, Room> {
    return this.#rooms;
  }

  /**
   * Takes a stanza to the service or one of its rooms.
   *
   * @param ev The stanza.
   * @returns `HANDLED`, or nothing for the component's defaults.
   */
  async handle(ev: StanzaEvent): Promise<HookResult> {
    if (!ev.to.local) return await this.#service(ev);
    await this.#serialized(ev.to.local, () => this.#roomStanza(ev));
    return HANDLED;
  }

  /**
   * A session ended without leaving its rooms (RFC 6121 §4.5.2 as the room sees it): it
   * leaves every room it is in.
   *
   * @param full The session's full JID.
   */
  async sessionClosed(full: string): Promise<void> {
    const jid = tryParseJid(full);
    if (!jid) return;
    for (const [local, room] of this.#rooms) {
      const occ = room.bySession(full);
      if (!occ) continue;
      const to = parseJid(`${room.jid}/${occ.nick}`);
      const stanza = xml("presence", {
        xmlns: NS.CLIENT,
        type: "unavailable",
        from: full,
        to: to.full,
      });
      await this.#serialized(local, () => this.#roomStanza({ stanza, from: jid, to }));
    }
  }

  #room(local: string, record: RoomRecord): Room {
    return new Room(`${local}@${this.#settings.domain}`, record, this.#settings.maxHistory);
  }

  async #service(ev: StanzaEvent): Promise<HookResult> {
    const { stanza } = ev;
    if (stanza.name === "presence") return HANDLED; // nothing to do with the service itself
    const query = elements(stanza)[0];
    if (
      stanza.name === "iq" && stanza.attrs.type === "get" && query?.name === "query" &&
      query.xmlns === NS.DISCO_ITEMS && query.attrs.node === undefined
    ) {
      await this.#api.router.route(result(stanza, publicRooms(this.#rooms, this.#settings.domain)));
      return HANDLED;
    }
    return undefined;
  }

  // One room's stanzas are handled one after the other, in arrival order.
  async #serialized(key: string, fn: () => Promise<void>): Promise<void> {
    const before = this.#queues.get(key) ?? Promise.resolve();
    const run = before.then(fn);
    const tail = run.catch(() => {});
    this.#queues.set(key, tail);
    try {
      await run;
    } finally {
      if (this.#queues.get(key) === tail) this.#queues.delete(key);
    }
  }

  async #roomStanza(ev: StanzaEvent): Promise<void> {
    let reply: Element | undefined;
    try {
      const answer = await this.#dispatch(ev);
      if (answer) reply = result(ev.stanza, answer === true ? undefined : answer);
    } catch (e) {
      reply = this.#errorFor(ev.stanza, e);
    }
    const room = this.#rooms.get(ev.to.local);
    const out = room ? await this.#settle(ev.to.local, room) : [];
    if (reply) out.push(reply);
    this.#deliver(ev.to.local, out);
  }

  // Delivery happens after the room's lock is released, in order per room: a stanza the
  // delivery causes to come back to the room (a vCard the server answers for an occupant)
  // must not wait for the lock held by the operation that sent it.
  #deliver(key: string, stanzas: Element[]): void {
    if (stanzas.length === 0) return;
    const next = (this.#sending.get(key) ?? Promise.resolve())
      .then(() => this.#send(stanzas))
      .catch((e) => this.#api.logger.error("MUC failed to send", { error: String(e) }));
    this.#sending.set(key, next);
    void next.then(() => {
      if (this.#sending.get(key) === next) this.#sending.delete(key);
    });
  }

  /**
   * The service stops (the module is unloaded): every occupant leaves with status 332
   * (§15.6: removed because of a system shutdown), then everything queued is sent.
   */
  async shutdown(): Promise<void> {
    for (const [local, room] of this.#rooms) {
      await this.#serialized(local, () => {
        for (const occ of [...room.occupants.values()]) room.expel(occ, { codes: [332] });
        this.#deliver(local, room.outbox.splice(0));
        return Promise.resolve();
      });
    }
    await this.drain();
  }

  /** Waits until everything the rooms queued has been sent. */
  async drain(): Promise<void> {
    while (this.#sending.size > 0) await Promise.all(this.#sending.values());
  }

  #errorFor(stanza: Element, e: unknown): Element | undefined {
    let error: StanzaError;
    if (e instanceof StanzaError) {
      error = e;
    } else {
      this.#api.logger.error("MUC failed on a stanza", { error: String(e) });
      error = new StanzaError("internal-server-error", "wait");
    }
    const type = stanza.attrs.type;
    if (type === "error" || stanza.name === "iq" && type === "result") return undefined;
    const reply = errorReply(stanza, error);
    // XEP-0045 §7.2: a refused join echoes the MUC payload.
    if (stanza.name !== "presence") return reply;
    return { ...reply, children: [xml("x", { xmlns: NS.MUC }), ...reply.children] };
  }

  // Archives, stores or forgets the room; returns what it queued to send.
  async #settle(local: string, room: Room): Promise<Element[]> {
    const owner = room.jid as BareJid;
    // Archived before anyone sees the message's stanza id.
    for (const m of room.archiveQueue.splice(0)) await this.#api.storage.archive.append(owner, m);
    const out = room.outbox.splice(0);
    const gone = room.destroyed || room.occupants.size === 0 && !room.config.persistent;
    if (gone) {
      this.#rooms.delete(local);
      await this.#api.storage.archive.removeAll(owner); // the archive goes with the room
    }
    if ((gone || !room.config.persistent) && this.#stored.has(local)) {
      await this.#store.delete(local);
      this.#stored.delete(local);
    } else if (!gone && room.config.persistent && !room.locked && room.changed) {
      await this.#store.put(local, room.record());
      this.#stored.add(local);
    }
    room.changed = false;
    return out;
  }

  // Each recipient gets its stanzas in order; recipients are served side by side, so a
  // broadcast to many occupants does not wait for each delivery in turn.
  async #send(stanzas: Element[]): Promise<void> {
    const byRecipient = new Map<string, Element[]>();
    for (const s of stanzas) {
      const to = String(s.attrs.to);
      const list = byRecipient.get(to);
      if (list) list.push(s);
      else byRecipient.set(to, [s]);
    }
    await Promise.all([...byRecipient.values()].map(async (list) => {
      for (const s of list) await this.#api.router.route(s);
    }));
  }

  #context(): RoomContext {
    const { maxNickLength, maxUsers } = this.#settings;
    return { now: this.#api.now(), maxNickLength, maxUsers, randomId: () => this.#api.randomId() };
  }

  // Returns an iq's result payload (true: an empty result).
  async #dispatch(ev: StanzaEvent): Promise<Element | true | undefined> {
    const { stanza, from, to } = ev;
    const room = this.#rooms.get(to.local);
    if (stanza.name === "presence") {
      if (room) return void await roomPresence(room, this.#presence(ev), this.#context());
      return void await this.#create(ev);
    }
    if (stanza.attrs.type === "error" || stanza.attrs.type === "result") {
      const answer = stanza.name === "iq" && to.resource
        ? this.#proxy.answer(stanza, from)
        : undefined;
      if (answer) room?.send(answer);
      return undefined;
    }
    if (!room || room.locked && room.affiliation(from.bare) !== "owner") {
      throw new StanzaError("item-not-found", "cancel", "No such room");
    }
    if (stanza.name === "message") {
      if (to.resource) privateMessage(room, stanza, from, to.resource);
      else roomMessage(room, stanza, from, this.#context());
      return undefined;
    }
    if (!to.resource) return await this.#roomIq(room, ev);
    if (selfPing(room, ev)) return true;
    const id = this.#api.randomId();
    room.send(this.#proxy.forward(room, stanza, from, to.resource, id, this.#api.now().getTime()));
    return undefined;
  }

  #presence(ev: StanzaEvent) {
    const { stanza, from, to } = ev;
    if (!to.resource && stanza.attrs.type === undefined) {
      throw new StanzaError("jid-malformed", "modify", "A room nickname is required");
    }
    return { stanza, from, nick: to.resource };
  }

  async #create(ev: StanzaEvent): Promise<void> {
    const p = this.#presence(ev);
    if (ev.stanza.attrs.type !== undefined || !p.nick) return;
    if (this.#settings.createRooms === "local" && !this.#api.domains.includes(ev.from.domain)) {
      throw new StanzaError("not-allowed", "cancel", "Only local users create rooms");
    }
    prepareNick(p.nick, this.#settings.maxNickLength); // a bad nickname creates no room
    if (this.#rooms.size >= this.#settings.maxRooms) {
      throw new StanzaError("resource-constraint", "wait", "Too many rooms");
    }
    const record = newRoomRecord(ev.from.bare, this.#api.randomId(), this.#settings.defaultConfig);
    const room = this.#room(ev.to.local, record);
    // §10.1.1: a client that speaks MUC gets a locked room to configure (or accept as an
    // instant room); a groupchat 1.0 client an unlocked one.
    room.locked = child(ev.stanza, "x", NS.MUC) !== undefined;
    room.changed = true;
    this.#rooms.set(ev.to.local, room);
    await roomPresence(room, { ...p, created: true }, this.#context());
  }

  async #roomIq(room: Room, ev: StanzaEvent): Promise<Element | true> {
    const { stanza, from } = ev;
    const query = elements(stanza)[0];
    const set = stanza.attrs.type === "set";
    const limits = { maxUsers: this.#settings.maxUsers, maxHistory: this.#settings.maxHistory };
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
        return set ? await queryArchive(this.#api.storage.archive, room, query, from) : queryForm();
      }
    }
    if (query?.name === "query" && query.xmlns === NS.REGISTER) {
      if (!set) return registrationForm(room, from);
      register(room, query, from, this.#settings.maxNickLength);
      return true;
    }
    if (!set && query?.xmlns === NS.DISCO_INFO && query.attrs.node === "x-roomuser-item") {
      return reservedNick(room, from);
    }
    if (!set && query?.name === "ping" && query.xmlns === NS.PING) return true;
    if (query?.name === "vCard" && query.xmlns === NS.VCARD) {
      if (!set) return roomVcard(room);
      await setRoomVcard(room, query, from, this.#settings.maxVcardBytes);
      return true;
    }
    const moderation = set ? moderationRequest(query) : undefined;
    if (moderation) {
      await moderate(this.#api.storage.archive, room, moderation, from, this.#api.now());
      return true;
    }
    throw new StanzaError("service-unavailable", "cancel");
  }
}

// XEP-0410 §3: a ping to one's own occupant JID tells whether one is still joined; the
// room answers it (§4.1: without bothering the client).
function selfPing(room: Room, ev: StanzaEvent): boolean {
  const { stanza, from, to } = ev;
  const query = elements(stanza)[0];
  if (stanza.attrs.type !== "get" || query?.name !== "ping" || query.xmlns !== NS.PING) {
    return false;
  }
  const occ = room.bySession(from.full);
  if (!occ) throw new StanzaError("not-acceptable", "cancel", "You are not in the room");
  return occ.nick === to.resource;
}

function result(iq: Element, payload?: Element): Element {
  return xml("iq", {
    xmlns: NS.CLIENT,
    type: "result",
    id: iq.attrs.id,
    from: iq.attrs.to,
    to: iq.attrs.from,
  }, payload);
}

/** The default configuration of new rooms, with overrides. */
export function defaultConfig(overrides: Partial<RoomConfig> = {}): RoomConfig {
  return { ...DEFAULT_CONFIG, ...overrides };
}

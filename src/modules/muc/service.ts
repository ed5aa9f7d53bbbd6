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
import { DEFAULT_CONFIG, type RoomConfig } from "./config.ts";
import { publicRooms } from "./disco.ts";
import { bouncedMessage, privateMessage, roomMessage } from "./messages.ts";
import { Delivery } from "./delivery.ts";
import { IqProxy } from "./iq_proxy.ts";
import { roomIq, type RoomIqDeps, selfPing } from "./room_iq.ts";
import { prepareNick } from "./nick.ts";
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
  readonly #delivery: Delivery;

  /**
   * @param api The module's API.
   * @param settings The service's settings.
   */
  constructor(api: ModuleApi, settings: MucSettings) {
    this.#api = api;
    this.#settings = settings;
    this.#store = documentCollection<RoomRecord>(api.storage, `muc:${settings.domain}`);
    this.#delivery = new Delivery(api.router, api.logger);
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
    this.#delivery.deliver(ev.to.local, out);
  }

  /**
   * The service stops (the module is unloaded): every occupant leaves with status 332
   * (§15.6: removed because of a system shutdown), then everything queued is sent.
   */
  async shutdown(): Promise<void> {
    for (const [local, room] of this.#rooms) {
      await this.#serialized(local, () => {
        for (const occ of [...room.occupants.values()]) room.expel(occ, { codes: [332] });
        this.#delivery.deliver(local, room.outbox.splice(0));
        return Promise.resolve();
      });
    }
    await this.#delivery.drain();
  }

  /** Waits until everything the rooms queued has been sent. */
  drain(): Promise<void> {
    return this.#delivery.drain();
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
      if (room && stanza.name === "message" && stanza.attrs.type === "error") {
        bouncedMessage(room, stanza, from);
      }
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
    if (!to.resource) return await roomIq(room, ev, this.#iqDeps());
    if (selfPing(room, ev)) return true;
    const id = this.#api.randomId();
    room.send(this.#proxy.forward(room, stanza, from, to.resource, id, this.#api.now().getTime()));
    return undefined;
  }

  #iqDeps(): RoomIqDeps {
    const { maxUsers, maxHistory, maxNickLength, maxVcardBytes } = this.#settings;
    return {
      archive: this.#api.storage.archive,
      now: this.#api.now(),
      limits: { maxUsers, maxHistory },
      maxNickLength,
      maxVcardBytes,
    };
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

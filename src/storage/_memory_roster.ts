// In-memory RosterStore: a version counter per owner and a change log for roster versioning.
import type { BareJid } from "../jid/jid.ts";
import type {
  PendingSubscription,
  Roster,
  RosterDelta,
  RosterItem,
  RosterOp,
  RosterOpResult,
  RosterStore,
} from "./roster_store.ts";

interface Owned {
  version: number;
  items: Map<BareJid, RosterItem>;
  /** Version at which each contact last changed; `undefined` item means removed. */
  log: Map<BareJid, { version: number; item?: RosterItem }>;
  pending: Map<BareJid, PendingSubscription>;
}

export class MemoryRosterStore implements RosterStore {
  readonly #owners = new Map<BareJid, Owned>();

  #owner(owner: BareJid): Owned {
    let o = this.#owners.get(owner);
    if (!o) {
      o = { version: 0, items: new Map(), log: new Map(), pending: new Map() };
      this.#owners.set(owner, o);
    }
    return o;
  }

  get(owner: BareJid): Promise<Roster> {
    const o = this.#owners.get(owner);
    return Promise.resolve({
      version: String(o?.version ?? 0),
      items: o ? [...o.items.values()] : [],
    });
  }

  getItem(owner: BareJid, contact: BareJid): Promise<RosterItem | undefined> {
    return Promise.resolve(this.#owners.get(owner)?.items.get(contact));
  }

  itemsAbout(contact: BareJid, owners: readonly BareJid[]): Promise<Map<BareJid, RosterItem>> {
    const found = new Map<BareJid, RosterItem>();
    for (const owner of owners) {
      const item = this.#owners.get(owner)?.items.get(contact);
      if (item) found.set(owner, item);
    }
    return Promise.resolve(found);
  }

  setItem(owner: BareJid, item: RosterItem): Promise<string> {
    return Promise.resolve(this.#set(owner, item));
  }

  #set(owner: BareJid, item: RosterItem): string {
    const o = this.#owner(owner);
    o.version++;
    o.items.set(item.jid, item);
    o.log.delete(item.jid);
    o.log.set(item.jid, { version: o.version, item });
    return String(o.version);
  }

  removeItem(owner: BareJid, contact: BareJid): Promise<string | undefined> {
    return Promise.resolve(this.#remove(owner, contact));
  }

  #remove(owner: BareJid, contact: BareJid): string | undefined {
    const o = this.#owners.get(owner);
    if (!o?.items.delete(contact)) return undefined;
    o.version++;
    o.log.delete(contact);
    o.log.set(contact, { version: o.version });
    return String(o.version);
  }

  apply(ops: readonly RosterOp[]): Promise<RosterOpResult[]> {
    // Synchronous from the first change to the last: nothing can see a half-applied batch.
    return Promise.resolve(ops.map((op): RosterOpResult => {
      switch (op.op) {
        case "set":
          return { changed: true, version: this.#set(op.owner, op.item) };
        case "remove": {
          const version = this.#remove(op.owner, op.contact);
          return version === undefined ? { changed: false } : { changed: true, version };
        }
        case "addPending":
          this.#addPending(op.owner, op.pending);
          return { changed: true };
        case "removePending":
          return { changed: this.#removePending(op.owner, op.from) };
      }
    }));
  }

  changesSince(owner: BareJid, version: string): Promise<RosterDelta | undefined> {
    const o = this.#owners.get(owner);
    const since = Number(version);
    const current = o?.version ?? 0;
    if (!/^\d+$/.test(version) || since > current) return Promise.resolve(undefined);
    const changed: RosterItem[] = [];
    const removed: BareJid[] = [];
    for (const [jid, entry] of o?.log ?? []) {
      if (entry.version <= since) continue;
      if (entry.item) changed.push(entry.item);
      else removed.push(jid);
    }
    return Promise.resolve({ version: String(current), changed, removed });
  }

  count(owner: BareJid): Promise<number> {
    return Promise.resolve(this.#owners.get(owner)?.items.size ?? 0);
  }

  addPending(owner: BareJid, pending: PendingSubscription): Promise<void> {
    this.#addPending(owner, pending);
    return Promise.resolve();
  }

  #addPending(owner: BareJid, pending: PendingSubscription): void {
    const o = this.#owner(owner);
    o.pending.delete(pending.from);
    o.pending.set(pending.from, pending);
  }

  removePending(owner: BareJid, from: BareJid): Promise<boolean> {
    return Promise.resolve(this.#removePending(owner, from));
  }

  #removePending(owner: BareJid, from: BareJid): boolean {
    return this.#owners.get(owner)?.pending.delete(from) ?? false;
  }

  listPending(owner: BareJid): Promise<PendingSubscription[]> {
    return Promise.resolve([...(this.#owners.get(owner)?.pending.values() ?? [])]);
  }

  removeAll(owner: BareJid): Promise<void> {
    this.#owners.delete(owner);
    return Promise.resolve();
  }
}

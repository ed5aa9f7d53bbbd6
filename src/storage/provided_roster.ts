/**
 * App-owned contacts (#15): a {@linkcode RosterProvider} whose contacts are merged into the
 * stored rosters as read-only items with subscription `both`, so that roster gets, presence
 * broadcasts and probes treat them as mutual subscriptions without any handshake.
 *
 * @module
 */
import { type BareJid, tryParseJid } from "../jid/jid.ts";
import type {
  PendingSubscription,
  Roster,
  RosterDelta,
  RosterItem,
  RosterOp,
  RosterOpResult,
  RosterStore,
} from "./roster_store.ts";
import type { Storage } from "./storage.ts";

/** One contact the host application puts on a user's roster. */
export interface ProvidedContact {
  /** The contact's bare JID, e.g. "bob@example.com". */
  readonly jid: string;
  /** Display name. */
  readonly name?: string;
  /** The application's group names (team, followers…). */
  readonly groups?: readonly string[];
}

/**
 * The host application's contact lists (#15, item 2), e.g. team members kept in its own tables.
 * Their items are read-only for clients (`<not-allowed/>`) and count as mutual subscriptions.
 * Keep the lists symmetric (Bob on Alice's list and Alice on Bob's) so presence flows both ways.
 * After a change, call `XmppServer.rosterChanged(jid)` for each user whose list changed.
 *
 * @example
 * ```ts
 * import type { RosterProvider } from "./provided_roster.ts";
 * const team = ["alice@example.com", "bob@example.com"];
 * const provider: RosterProvider = {
 *   contacts: (user) => team.filter((j) => j !== user).map((jid) => ({ jid, groups: ["Team"] })),
 * };
 * ```
 */
export interface RosterProvider {
  /** The contacts of `user` (a bare JID); an empty list when the app has none for it. */
  contacts(user: BareJid): Promise<readonly ProvidedContact[]> | readonly ProvidedContact[];
}

/** What changed in the provided part of a roster, for roster pushes. */
export interface ProvidedRosterChange {
  /** Items added or changed. */
  readonly changed: readonly RosterItem[];
  /** Contacts no longer provided. */
  readonly removed: readonly BareJid[];
}

/** How long a provider's answer serves before it is asked again. */
const FRESH_MS = 30_000;
/** Owners whose answers are kept at most. */
const MAX_CACHED = 10_000;

interface Cached {
  readonly at: number;
  readonly items: Map<BareJid, RosterItem>;
}

function toItem(c: ProvidedContact): RosterItem | undefined {
  const jid = tryParseJid(c.jid);
  if (!jid || jid.resource) return undefined;
  const groups = [...new Set(c.groups ?? [])].filter((g) => g !== "");
  return {
    jid: jid.bare,
    name: c.name || undefined,
    groups,
    subscription: "both",
    ask: false,
    approved: false,
    locked: true,
  };
}

/** A short hash of the provided items, folded into the roster version (RFC 6121 §2.6). */
function fingerprint(items: Iterable<RosterItem>): string {
  let h = 0x811c9dc5;
  const s = JSON.stringify([...items].map((i) => [i.jid, i.name ?? "", i.groups]).sort());
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return (h >>> 0).toString(36);
}

function sameItem(a: RosterItem, b: RosterItem): boolean {
  return a.name === b.name && a.groups.join("\n") === b.groups.join("\n");
}

/** A {@linkcode RosterStore} that merges a provider's contacts over a stored one. */
export class ProvidedRosterStore implements RosterStore {
  readonly #inner: RosterStore;
  readonly #provider: RosterProvider;
  readonly #now: () => number;
  readonly #cache = new Map<BareJid, Cached>();

  constructor(inner: RosterStore, provider: RosterProvider, now: () => number = Date.now) {
    this.#inner = inner;
    this.#provider = provider;
    this.#now = now;
  }

  async #read(owner: BareJid): Promise<Map<BareJid, RosterItem>> {
    const items = new Map<BareJid, RosterItem>();
    for (const c of await this.#provider.contacts(owner)) {
      const item = toItem(c);
      if (item && item.jid !== owner) items.set(item.jid, item);
    }
    if (this.#cache.size >= MAX_CACHED) this.#cache.clear();
    this.#cache.set(owner, { at: this.#now(), items });
    return items;
  }

  /** The provided items of `owner`, read at most every 30 s. */
  provided(owner: BareJid): Promise<Map<BareJid, RosterItem>> {
    const cached = this.#cache.get(owner);
    if (cached && this.#now() - cached.at < FRESH_MS) return Promise.resolve(cached.items);
    return this.#read(owner);
  }

  /** Asks the provider again and tells what changed since the last answer. */
  async refresh(owner: BareJid): Promise<ProvidedRosterChange> {
    const before = this.#cache.get(owner)?.items ?? new Map<BareJid, RosterItem>();
    const after = await this.#read(owner);
    const changed = [...after.values()].filter((i) => {
      const old = before.get(i.jid);
      return !old || !sameItem(old, i);
    });
    const removed = [...before.keys()].filter((j) => !after.has(j));
    return { changed, removed };
  }

  async get(owner: BareJid): Promise<Roster> {
    const [stored, provided] = await Promise.all([this.#inner.get(owner), this.provided(owner)]);
    if (provided.size === 0) return stored;
    const items = stored.items.filter((i) => !provided.has(i.jid));
    return {
      version: `${stored.version}.${fingerprint(provided.values())}`,
      items: [...items, ...provided.values()],
    };
  }

  async getItem(owner: BareJid, contact: BareJid): Promise<RosterItem | undefined> {
    return (await this.provided(owner)).get(contact) ?? this.#inner.getItem(owner, contact);
  }

  async itemsAbout(
    contact: BareJid,
    owners: readonly BareJid[],
  ): Promise<Map<BareJid, RosterItem>> {
    const found = await this.#inner.itemsAbout(contact, owners);
    for (const owner of owners) {
      const item = (await this.provided(owner)).get(contact);
      if (item) found.set(owner, item);
    }
    return found;
  }

  async setItem(owner: BareJid, item: RosterItem): Promise<string> {
    if ((await this.provided(owner)).has(item.jid)) return (await this.get(owner)).version;
    await this.#inner.setItem(owner, item);
    return (await this.get(owner)).version;
  }

  async removeItem(owner: BareJid, contact: BareJid): Promise<string | undefined> {
    if ((await this.provided(owner)).has(contact)) return undefined;
    const removed = await this.#inner.removeItem(owner, contact);
    return removed === undefined ? undefined : (await this.get(owner)).version;
  }

  async changesSince(owner: BareJid, version: string): Promise<RosterDelta | undefined> {
    // A composite version (stored.provided) is not known to the inner store: the whole roster.
    if ((await this.provided(owner)).size > 0) return undefined;
    return this.#inner.changesSince(owner, version);
  }

  count(owner: BareJid): Promise<number> {
    return this.#inner.count(owner);
  }

  addPending(owner: BareJid, pending: PendingSubscription): Promise<void> {
    return this.#inner.addPending(owner, pending);
  }

  removePending(owner: BareJid, from: BareJid): Promise<boolean> {
    return this.#inner.removePending(owner, from);
  }

  listPending(owner: BareJid): Promise<PendingSubscription[]> {
    return this.#inner.listPending(owner);
  }

  /** Applies ops, leaving provided items alone (they are the application's). */
  async apply(ops: readonly RosterOp[]): Promise<RosterOpResult[]> {
    const keep: boolean[] = [];
    for (const op of ops) {
      const contact = op.op === "set" ? op.item.jid : op.op === "remove" ? op.contact : undefined;
      keep.push(contact === undefined || !(await this.provided(op.owner)).has(contact));
    }
    const kept = ops.filter((_, i) => keep[i]);
    const results = kept.length > 0 ? await this.#inner.apply(kept) : [];
    let next = 0;
    const out: RosterOpResult[] = [];
    for (let i = 0; i < ops.length; i++) {
      if (!keep[i]) {
        out.push({ changed: false });
        continue;
      }
      const r = results[next++];
      const owner = ops[i].owner;
      const merged = r.version === undefined ? undefined : (await this.get(owner)).version;
      out.push(merged === undefined ? r : { ...r, version: merged });
    }
    return out;
  }

  removeAll(owner: BareJid): Promise<void> {
    this.#cache.delete(owner);
    return this.#inner.removeAll(owner);
  }
}

/** `storage` with its roster store wrapped by a {@linkcode ProvidedRosterStore}. */
export function withRosterProvider(
  storage: Storage,
  roster: ProvidedRosterStore,
): Storage {
  return {
    accounts: storage.accounts,
    roster,
    offline: storage.offline,
    vcard: storage.vcard,
    privateXml: storage.privateXml,
    blocklist: storage.blocklist,
    archive: storage.archive,
    pubsub: storage.pubsub,
    documents: storage.documents,
    close: () => storage.close(),
  };
}

// RosterStore on the drizzle schema: versions, the removal log for roster versioning, pending
// requests, and batches of changes in one transaction.
import { and, asc, count, eq, gt, inArray, sql } from "drizzle-orm";
import type { BareJid } from "../../src/jid/jid.ts";
import type {
  PendingSubscription,
  Roster,
  RosterDelta,
  RosterItem,
  RosterOp,
  RosterOpResult,
  RosterStore,
  Subscription,
} from "../../src/storage/roster_store.ts";
import type { Db } from "./_db.ts";
import { rosterItems, rosterPending, rosterRemovals, rosterVersions } from "./schema.ts";

type ItemRow = typeof rosterItems.$inferSelect;

function toItem(r: ItemRow): RosterItem {
  const item: RosterItem = {
    jid: r.jid as BareJid,
    groups: r.groups,
    subscription: r.subscription as Subscription,
    ask: r.ask,
    approved: r.approved,
  };
  return r.name === null ? item : { ...item, name: r.name };
}

export class PgRosterStore implements RosterStore {
  readonly #db: Db;
  readonly #get;

  constructor(db: Db) {
    this.#db = db;
    // Login: the version and every item in one round trip.
    this.#get = db.select({ version: rosterVersions.version, item: rosterItems })
      .from(rosterVersions)
      .leftJoin(rosterItems, eq(rosterItems.owner, rosterVersions.owner))
      .where(eq(rosterVersions.owner, sql.placeholder("owner")))
      .prepare("parley_get_roster");
  }

  // Increments the owner's version inside a transaction; returns the new one.
  static async #bump(tx: Db, owner: BareJid): Promise<number> {
    const [row] = await tx.insert(rosterVersions).values({ owner, version: 1 })
      .onConflictDoUpdate({
        target: rosterVersions.owner,
        set: { version: sql`${rosterVersions.version} + 1` },
      })
      .returning({ version: rosterVersions.version });
    return row.version;
  }

  async get(owner: BareJid): Promise<Roster> {
    const rows = await this.#get.execute({ owner });
    if (rows.length === 0) return { version: "0", items: [] };
    const items = rows.flatMap((r) => r.item ? [toItem(r.item)] : []);
    return { version: String(rows[0].version), items };
  }

  async getItem(owner: BareJid, contact: BareJid): Promise<RosterItem | undefined> {
    const rows = await this.#db.select().from(rosterItems)
      .where(and(eq(rosterItems.owner, owner), eq(rosterItems.jid, contact)));
    return rows[0] ? toItem(rows[0]) : undefined;
  }

  async itemsAbout(
    contact: BareJid,
    owners: readonly BareJid[],
  ): Promise<Map<BareJid, RosterItem>> {
    const found = new Map<BareJid, RosterItem>();
    if (owners.length === 0) return found;
    const rows = await this.#db.select().from(rosterItems)
      .where(and(eq(rosterItems.jid, contact), inArray(rosterItems.owner, [...new Set(owners)])));
    for (const r of rows) found.set(r.owner as BareJid, toItem(r));
    return found;
  }

  setItem(owner: BareJid, item: RosterItem): Promise<string> {
    return this.#db.transaction((tx) => PgRosterStore.#set(tx, owner, item));
  }

  static async #set(tx: Db, owner: BareJid, item: RosterItem): Promise<string> {
    const version = await PgRosterStore.#bump(tx, owner);
    const values = {
      name: item.name ?? null,
      groups: [...item.groups],
      subscription: item.subscription,
      ask: item.ask,
      approved: item.approved,
      version,
    };
    await tx.insert(rosterItems).values({ owner, jid: item.jid, ...values })
      .onConflictDoUpdate({ target: [rosterItems.owner, rosterItems.jid], set: values });
    await tx.delete(rosterRemovals)
      .where(and(eq(rosterRemovals.owner, owner), eq(rosterRemovals.jid, item.jid)));
    return String(version);
  }

  removeItem(owner: BareJid, contact: BareJid): Promise<string | undefined> {
    return this.#db.transaction((tx) => PgRosterStore.#remove(tx, owner, contact));
  }

  static async #remove(tx: Db, owner: BareJid, contact: BareJid): Promise<string | undefined> {
    const gone = await tx.delete(rosterItems)
      .where(and(eq(rosterItems.owner, owner), eq(rosterItems.jid, contact)))
      .returning({ jid: rosterItems.jid });
    if (gone.length === 0) return undefined;
    const version = await PgRosterStore.#bump(tx, owner);
    await tx.insert(rosterRemovals).values({ owner, jid: contact, version })
      .onConflictDoUpdate({
        target: [rosterRemovals.owner, rosterRemovals.jid],
        set: { version },
      });
    return String(version);
  }

  apply(ops: readonly RosterOp[]): Promise<RosterOpResult[]> {
    if (ops.length === 0) return Promise.resolve([]);
    // Every batch locks its owners' version rows first, in one order, then works owner by
    // owner: two subscription changes between the same users cannot deadlock.
    const owners = [...new Set(ops.map((op) => op.owner))].sort();
    const order = ops.map((op, i) => ({ op, i }))
      .sort((a, b) => a.op.owner < b.op.owner ? -1 : a.op.owner > b.op.owner ? 1 : a.i - b.i);
    return this.#db.transaction(async (tx) => {
      for (const owner of owners) {
        await tx.insert(rosterVersions).values({ owner, version: 0 }).onConflictDoUpdate({
          target: rosterVersions.owner,
          set: { version: sql`${rosterVersions.version}` },
        });
      }
      const results: RosterOpResult[] = new Array(ops.length);
      for (const { op, i } of order) results[i] = await PgRosterStore.#applyOne(tx, op);
      return results;
    });
  }

  static async #applyOne(tx: Db, op: RosterOp): Promise<RosterOpResult> {
    switch (op.op) {
      case "set":
        return { changed: true, version: await PgRosterStore.#set(tx, op.owner, op.item) };
      case "remove": {
        const version = await PgRosterStore.#remove(tx, op.owner, op.contact);
        return version === undefined ? { changed: false } : { changed: true, version };
      }
      case "addPending":
        await PgRosterStore.#addPending(tx, op.owner, op.pending);
        return { changed: true };
      case "removePending":
        return { changed: await PgRosterStore.#removePending(tx, op.owner, op.from) };
    }
  }

  async changesSince(owner: BareJid, version: string): Promise<RosterDelta | undefined> {
    if (!/^\d{1,15}$/.test(version)) return undefined;
    const since = Number(version);
    const [current, changed, removed] = await Promise.all([
      this.#db.select({ version: rosterVersions.version }).from(rosterVersions)
        .where(eq(rosterVersions.owner, owner)),
      this.#db.select().from(rosterItems)
        .where(and(eq(rosterItems.owner, owner), gt(rosterItems.version, since)))
        .orderBy(asc(rosterItems.version)),
      this.#db.select({ jid: rosterRemovals.jid }).from(rosterRemovals)
        .where(and(eq(rosterRemovals.owner, owner), gt(rosterRemovals.version, since)))
        .orderBy(asc(rosterRemovals.version)),
    ]);
    const now = current[0]?.version ?? 0;
    if (since > now) return undefined;
    return {
      version: String(now),
      changed: changed.map(toItem),
      removed: removed.map((r) => r.jid as BareJid),
    };
  }

  async count(owner: BareJid): Promise<number> {
    const [row] = await this.#db.select({ n: count() }).from(rosterItems)
      .where(eq(rosterItems.owner, owner));
    return Number(row.n);
  }

  addPending(owner: BareJid, pending: PendingSubscription): Promise<void> {
    return PgRosterStore.#addPending(this.#db, owner, pending);
  }

  static async #addPending(db: Db, owner: BareJid, pending: PendingSubscription): Promise<void> {
    // Replacing a request moves it to the end, like a new one.
    await db.insert(rosterPending)
      .values({ owner, fromJid: pending.from, stanza: pending.stanza })
      .onConflictDoUpdate({
        target: [rosterPending.owner, rosterPending.fromJid],
        set: {
          stanza: pending.stanza,
          seq: sql`nextval(pg_get_serial_sequence('roster_pending', 'seq'))`,
        },
      });
  }

  removePending(owner: BareJid, from: BareJid): Promise<boolean> {
    return PgRosterStore.#removePending(this.#db, owner, from);
  }

  static async #removePending(db: Db, owner: BareJid, from: BareJid): Promise<boolean> {
    const rows = await db.delete(rosterPending)
      .where(and(eq(rosterPending.owner, owner), eq(rosterPending.fromJid, from)))
      .returning({ from: rosterPending.fromJid });
    return rows.length > 0;
  }

  async listPending(owner: BareJid): Promise<PendingSubscription[]> {
    const rows = await this.#db.select().from(rosterPending)
      .where(eq(rosterPending.owner, owner)).orderBy(asc(rosterPending.seq));
    return rows.map((r) => ({ from: r.fromJid as BareJid, stanza: r.stanza }));
  }

  async removeAll(owner: BareJid): Promise<void> {
    await this.#db.transaction(async (tx) => {
      await tx.delete(rosterItems).where(eq(rosterItems.owner, owner));
      await tx.delete(rosterRemovals).where(eq(rosterRemovals.owner, owner));
      await tx.delete(rosterPending).where(eq(rosterPending.owner, owner));
      await tx.delete(rosterVersions).where(eq(rosterVersions.owner, owner));
    });
  }
}

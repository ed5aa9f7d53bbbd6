// AccountStore and RosterStore on the drizzle schema.
import { and, asc, count, eq, gt, sql } from "drizzle-orm";
import type { BareJid } from "../../src/jid/jid.ts";
import type { AccountStore, Credentials } from "../../src/storage/account_store.ts";
import type {
  PendingSubscription,
  Roster,
  RosterDelta,
  RosterItem,
  RosterStore,
  Subscription,
} from "../../src/storage/roster_store.ts";
import { byteOrder, type Db } from "./_db.ts";
import { accounts, rosterItems, rosterPending, rosterRemovals, rosterVersions } from "./schema.ts";

type AccountRow = typeof accounts.$inferSelect;

function credentialColumns(c: Credentials) {
  return {
    sha1Salt: c.sha1.salt,
    sha1Iterations: c.sha1.iterations,
    sha1StoredKey: c.sha1.storedKey,
    sha1ServerKey: c.sha1.serverKey,
    sha256Salt: c.sha256.salt,
    sha256Iterations: c.sha256.iterations,
    sha256StoredKey: c.sha256.storedKey,
    sha256ServerKey: c.sha256.serverKey,
  };
}

function toCredentials(r: AccountRow): Credentials {
  return {
    sha1: {
      salt: r.sha1Salt,
      iterations: r.sha1Iterations,
      storedKey: r.sha1StoredKey,
      serverKey: r.sha1ServerKey,
    },
    sha256: {
      salt: r.sha256Salt,
      iterations: r.sha256Iterations,
      storedKey: r.sha256StoredKey,
      serverKey: r.sha256ServerKey,
    },
  };
}

export class PgAccountStore implements AccountStore {
  readonly #db: Db;
  // The credential lookup of every login: a prepared statement.
  readonly #getCredentials;

  constructor(db: Db) {
    this.#db = db;
    this.#getCredentials = db.select().from(accounts)
      .where(eq(accounts.jid, sql.placeholder("jid")))
      .prepare("parley_get_credentials");
  }

  async create(jid: BareJid, credentials: Credentials): Promise<boolean> {
    const rows = await this.#db.insert(accounts).values({ jid, ...credentialColumns(credentials) })
      .onConflictDoNothing().returning({ jid: accounts.jid });
    return rows.length > 0;
  }
  async getCredentials(jid: BareJid): Promise<Credentials | undefined> {
    const rows = await this.#getCredentials.execute({ jid });
    return rows[0] ? toCredentials(rows[0]) : undefined;
  }
  async setCredentials(jid: BareJid, credentials: Credentials): Promise<boolean> {
    const rows = await this.#db.update(accounts).set(credentialColumns(credentials))
      .where(eq(accounts.jid, jid)).returning({ jid: accounts.jid });
    return rows.length > 0;
  }
  async exists(jid: BareJid): Promise<boolean> {
    const rows = await this.#db.select({ jid: accounts.jid }).from(accounts)
      .where(eq(accounts.jid, jid));
    return rows.length > 0;
  }
  async remove(jid: BareJid): Promise<boolean> {
    const rows = await this.#db.delete(accounts).where(eq(accounts.jid, jid))
      .returning({ jid: accounts.jid });
    return rows.length > 0;
  }
  async list(): Promise<BareJid[]> {
    const rows = await this.#db.select({ jid: accounts.jid }).from(accounts)
      .orderBy(byteOrder(accounts.jid));
    return rows.map((r) => r.jid as BareJid);
  }
}

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

  setItem(owner: BareJid, item: RosterItem): Promise<string> {
    return this.#db.transaction(async (tx) => {
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
    });
  }

  removeItem(owner: BareJid, contact: BareJid): Promise<string | undefined> {
    return this.#db.transaction(async (tx) => {
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
    });
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

  async addPending(owner: BareJid, pending: PendingSubscription): Promise<void> {
    // Replacing a request moves it to the end, like a new one.
    await this.#db.insert(rosterPending)
      .values({ owner, fromJid: pending.from, stanza: pending.stanza })
      .onConflictDoUpdate({
        target: [rosterPending.owner, rosterPending.fromJid],
        set: {
          stanza: pending.stanza,
          seq: sql`nextval(pg_get_serial_sequence('roster_pending', 'seq'))`,
        },
      });
  }

  async removePending(owner: BareJid, from: BareJid): Promise<boolean> {
    const rows = await this.#db.delete(rosterPending)
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

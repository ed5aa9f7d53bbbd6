// OfflineStore, VcardStore, PrivateStore and BlocklistStore on the drizzle schema.
import { and, asc, count, eq, inArray, sql } from "drizzle-orm";
import type { BareJid } from "../../src/jid/jid.ts";
import type { OfflineMessage, OfflineStore } from "../../src/storage/offline_store.ts";
import type { BlocklistStore, PrivateStore, VcardStore } from "../../src/storage/xml_stores.ts";
import { byteOrder, type Db, rowsOf } from "./_db.ts";
import { blocklist, offlineMessages, privateXml, vcards } from "./schema.ts";

export class PgOfflineStore implements OfflineStore {
  readonly #db: Db;
  readonly #list;

  constructor(db: Db) {
    this.#db = db;
    this.#list = db.select().from(offlineMessages)
      .where(eq(offlineMessages.owner, sql.placeholder("owner")))
      .orderBy(asc(offlineMessages.id))
      .prepare("parley_list_offline");
  }

  async push(owner: BareJid, stanza: string, stamp: Date, limit: number) {
    // One statement: the limit check and the insert.
    const result = await this.#db.execute(sql`
      insert into ${offlineMessages} (owner, stamp, stanza)
      select ${owner}, ${stamp.toISOString()}::timestamptz, ${stanza}
      where (select count(*) from ${offlineMessages} where owner = ${owner}) < ${limit}
      returning id`);
    const [row] = rowsOf<{ id: number | string }>(result);
    return row ? { id: String(row.id), stamp, stanza } : undefined;
  }
  async list(owner: BareJid): Promise<OfflineMessage[]> {
    const rows = await this.#list.execute({ owner });
    return rows.map((r) => ({ id: String(r.id), stamp: r.stamp, stanza: r.stanza }));
  }
  async count(owner: BareJid) {
    const [row] = await this.#db.select({ n: count() }).from(offlineMessages)
      .where(eq(offlineMessages.owner, owner));
    return Number(row.n);
  }
  async remove(owner: BareJid, ids: readonly string[]) {
    const numeric = ids.filter((id) => /^\d{1,15}$/.test(id)).map(Number);
    if (numeric.length === 0) return;
    await this.#db.delete(offlineMessages)
      .where(and(eq(offlineMessages.owner, owner), inArray(offlineMessages.id, numeric)));
  }
  async removeAll(owner: BareJid) {
    await this.#db.delete(offlineMessages).where(eq(offlineMessages.owner, owner));
  }
}

export class PgVcardStore implements VcardStore {
  constructor(private readonly db: Db) {}
  async get(owner: BareJid) {
    const rows = await this.db.select().from(vcards).where(eq(vcards.owner, owner));
    return rows[0]?.vcard;
  }
  async set(owner: BareJid, vcard: string | undefined) {
    if (vcard === undefined) {
      await this.db.delete(vcards).where(eq(vcards.owner, owner));
    } else {
      await this.db.insert(vcards).values({ owner, vcard })
        .onConflictDoUpdate({ target: vcards.owner, set: { vcard } });
    }
  }
}

export class PgPrivateStore implements PrivateStore {
  constructor(private readonly db: Db) {}
  async get(owner: BareJid, name: string, xmlns: string) {
    const rows = await this.db.select().from(privateXml).where(and(
      eq(privateXml.owner, owner),
      eq(privateXml.name, name),
      eq(privateXml.xmlns, xmlns),
    ));
    return rows[0]?.fragment;
  }
  async set(owner: BareJid, name: string, xmlns: string, fragment: string | undefined) {
    if (fragment === undefined) {
      await this.db.delete(privateXml).where(and(
        eq(privateXml.owner, owner),
        eq(privateXml.name, name),
        eq(privateXml.xmlns, xmlns),
      ));
    } else {
      await this.db.insert(privateXml).values({ owner, name, xmlns, fragment })
        .onConflictDoUpdate({
          target: [privateXml.owner, privateXml.name, privateXml.xmlns],
          set: { fragment },
        });
    }
  }
  async removeAll(owner: BareJid) {
    await this.db.delete(privateXml).where(eq(privateXml.owner, owner));
  }
  /** Every fragment of an owner, for export. */
  listAll(owner: BareJid) {
    return this.db.select({
      name: privateXml.name,
      xmlns: privateXml.xmlns,
      fragment: privateXml.fragment,
    }).from(privateXml).where(eq(privateXml.owner, owner))
      .orderBy(byteOrder(privateXml.xmlns), byteOrder(privateXml.name));
  }
}

export class PgBlocklistStore implements BlocklistStore {
  constructor(private readonly db: Db) {}
  async list(owner: BareJid) {
    const rows = await this.db.select({ jid: blocklist.jid }).from(blocklist)
      .where(eq(blocklist.owner, owner)).orderBy(byteOrder(blocklist.jid));
    return rows.map((r) => r.jid);
  }
  async add(owner: BareJid, jids: readonly string[]) {
    const unique = [...new Set(jids)];
    if (unique.length === 0) return [];
    const rows = await this.db.insert(blocklist).values(unique.map((jid) => ({ owner, jid })))
      .onConflictDoNothing().returning({ jid: blocklist.jid });
    const added = new Set(rows.map((r) => r.jid));
    return unique.filter((j) => added.has(j));
  }
  async remove(owner: BareJid, jids: readonly string[] | undefined) {
    if (jids !== undefined && jids.length === 0) return [];
    const rows = await this.db.delete(blocklist).where(
      jids === undefined
        ? eq(blocklist.owner, owner)
        : and(eq(blocklist.owner, owner), inArray(blocklist.jid, [...new Set(jids)])),
    ).returning({ jid: blocklist.jid });
    return rows.map((r) => r.jid).sort();
  }
}

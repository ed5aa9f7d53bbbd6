// VcardStore, PrivateStore and BlocklistStore on the drizzle schema.
import { and, eq, inArray } from "drizzle-orm";
import type { BareJid } from "../../src/jid/jid.ts";
import type { BlocklistStore, PrivateStore, VcardStore } from "../../src/storage/xml_stores.ts";
import { byteOrder, type Db } from "./_db.ts";
import { blocklist, privateXml, vcards } from "./schema.ts";

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
  async listMany(owners: readonly BareJid[]) {
    const lists = new Map(owners.map((o) => [o, [] as string[]]));
    if (lists.size === 0) return lists;
    const rows = await this.db.select().from(blocklist)
      .where(inArray(blocklist.owner, [...lists.keys()]))
      .orderBy(byteOrder(blocklist.owner), byteOrder(blocklist.jid));
    for (const r of rows) lists.get(r.owner as BareJid)!.push(r.jid);
    return lists;
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

// ArchiveStore and PubsubStore on the drizzle schema.
import { and, asc, desc, eq, gte, inArray, lte, notInArray, type SQL, sql } from "drizzle-orm";
import type { BareJid } from "../../src/jid/jid.ts";
import type {
  ArchivedMessage,
  ArchivePage,
  ArchiveQuery,
  ArchiveStore,
} from "../../src/storage/archive_store.ts";
import type { NodeConfig, PubsubItem, PubsubStore } from "../../src/storage/pubsub_store.ts";
import { byteOrder, type Db } from "./_db.ts";
import { archive, pubsubItems, pubsubNodes } from "./schema.ts";

type ArchiveRow = typeof archive.$inferSelect;

function toArchived(r: ArchiveRow): ArchivedMessage {
  return {
    id: r.id,
    stamp: r.stamp,
    with: r.withJid as BareJid,
    direction: r.direction as "in" | "out",
    stanza: r.stanza,
  };
}

export class PgArchiveStore implements ArchiveStore {
  constructor(private readonly db: Db) {}

  async append(owner: BareJid, m: ArchivedMessage): Promise<void> {
    await this.db.insert(archive).values({
      owner,
      id: m.id,
      stamp: m.stamp,
      withJid: m.with,
      direction: m.direction,
      stanza: m.stanza,
    });
  }

  /** Appends many messages with multi-row inserts (imports, benchmarks). */
  async appendMany(owner: BareJid, messages: readonly ArchivedMessage[]): Promise<void> {
    for (let i = 0; i < messages.length; i += 5000) {
      await this.db.insert(archive).values(
        messages.slice(i, i + 5000).map((m) => ({
          owner,
          id: m.id,
          stamp: m.stamp,
          withJid: m.with,
          direction: m.direction,
          stanza: m.stanza,
        })),
      );
    }
  }

  async query(owner: BareJid, q: ArchiveQuery): Promise<ArchivePage> {
    const where: SQL[] = [eq(archive.owner, owner)];
    if (q.with !== undefined) where.push(eq(archive.withJid, q.with));
    if (q.start !== undefined) where.push(gte(archive.stamp, q.start));
    if (q.end !== undefined) where.push(lte(archive.stamp, q.end));
    // XEP-0059 paging by (stamp, seq), the order of the (owner, stamp, seq) index.
    const position = (id: string) =>
      sql`(select a.stamp, a.seq from ${archive} a where a.owner = ${owner} and a.id = ${id})`;
    if (q.after !== undefined) {
      where.push(sql`(${archive.stamp}, ${archive.seq}) > ${position(q.after)}`);
    }
    if (q.before !== undefined && q.before !== "") {
      where.push(sql`(${archive.stamp}, ${archive.seq}) < ${position(q.before)}`);
    }
    const backwards = q.before !== undefined;
    const order = backwards
      ? [desc(archive.stamp), desc(archive.seq)]
      : [asc(archive.stamp), asc(archive.seq)];
    const rows = await this.db.select().from(archive).where(and(...where))
      .orderBy(...order).limit(q.max + 1);
    const page = rows.slice(0, q.max).map(toArchived);
    if (backwards) page.reverse();
    return { messages: page, complete: rows.length <= q.max };
  }

  async removeAll(owner: BareJid): Promise<void> {
    await this.db.delete(archive).where(eq(archive.owner, owner));
  }
}

type ItemRow = typeof pubsubItems.$inferSelect;

function toItem(r: ItemRow): PubsubItem {
  return { id: r.id, payload: r.payload, publisher: r.publisher, stamp: r.stamp };
}

export class PgPubsubStore implements PubsubStore {
  constructor(private readonly db: Db) {}

  #node(owner: BareJid, node: string) {
    return and(eq(pubsubItems.owner, owner), eq(pubsubItems.node, node));
  }

  async listNodes(owner: BareJid) {
    const rows = await this.db.select({ node: pubsubNodes.node }).from(pubsubNodes)
      .where(eq(pubsubNodes.owner, owner)).orderBy(byteOrder(pubsubNodes.node));
    return rows.map((r) => r.node);
  }
  async getNode(owner: BareJid, node: string): Promise<NodeConfig | undefined> {
    const rows = await this.db.select({ config: pubsubNodes.config }).from(pubsubNodes)
      .where(and(eq(pubsubNodes.owner, owner), eq(pubsubNodes.node, node)));
    return rows[0]?.config;
  }
  async setNode(owner: BareJid, node: string, config: NodeConfig) {
    await this.db.insert(pubsubNodes).values({ owner, node, config: { ...config } })
      .onConflictDoUpdate({
        target: [pubsubNodes.owner, pubsubNodes.node],
        set: { config: { ...config } },
      });
  }
  deleteNode(owner: BareJid, node: string) {
    return this.db.transaction(async (tx) => {
      await tx.delete(pubsubItems).where(this.#node(owner, node));
      const rows = await tx.delete(pubsubNodes)
        .where(and(eq(pubsubNodes.owner, owner), eq(pubsubNodes.node, node)))
        .returning({ node: pubsubNodes.node });
      return rows.length > 0;
    });
  }
  async publish(owner: BareJid, node: string, item: PubsubItem, maxItems: number) {
    await this.db.transaction(async (tx) => {
      const exists = await tx.select({ node: pubsubNodes.node }).from(pubsubNodes)
        .where(and(eq(pubsubNodes.owner, owner), eq(pubsubNodes.node, node)));
      if (exists.length === 0) {
        throw new Error(`Cannot publish to node "${node}": no such node`);
      }
      // Republishing an id makes it the newest item.
      await tx.delete(pubsubItems).where(and(this.#node(owner, node), eq(pubsubItems.id, item.id)));
      await tx.insert(pubsubItems).values({ owner, node, ...item });
      const keep = tx.select({ seq: pubsubItems.seq }).from(pubsubItems)
        .where(this.#node(owner, node)).orderBy(desc(pubsubItems.seq))
        .limit(Math.max(1, maxItems));
      await tx.delete(pubsubItems)
        .where(and(this.#node(owner, node), notInArray(pubsubItems.seq, keep)));
    });
  }
  async getItems(
    owner: BareJid,
    node: string,
    options?: { readonly ids?: readonly string[]; readonly max?: number },
  ) {
    if (options?.ids) {
      if (options.ids.length === 0) return [];
      const rows = await this.db.select().from(pubsubItems)
        .where(and(this.#node(owner, node), inArray(pubsubItems.id, [...options.ids])))
        .orderBy(desc(pubsubItems.seq));
      return rows.map(toItem);
    }
    const query = this.db.select().from(pubsubItems).where(this.#node(owner, node))
      .orderBy(desc(pubsubItems.seq));
    const rows = options?.max === undefined ? await query : await query.limit(options.max);
    return rows.map(toItem);
  }
  async retract(owner: BareJid, node: string, id: string) {
    const rows = await this.db.delete(pubsubItems)
      .where(and(this.#node(owner, node), eq(pubsubItems.id, id)))
      .returning({ id: pubsubItems.id });
    return rows.length > 0;
  }
  async removeAll(owner: BareJid) {
    await this.db.transaction(async (tx) => {
      await tx.delete(pubsubItems).where(eq(pubsubItems.owner, owner));
      await tx.delete(pubsubNodes).where(eq(pubsubNodes.owner, owner));
    });
  }
}

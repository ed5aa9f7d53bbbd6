// PubsubStore on the drizzle schema.
import { and, desc, eq, inArray, notInArray } from "drizzle-orm";
import type { BareJid } from "../../src/jid/jid.ts";
import type {
  LastPublished,
  NodeConfig,
  PubsubItem,
  PubsubStore,
} from "../../src/storage/pubsub_store.ts";
import { byteOrder, type Db } from "./_db.ts";
import { pubsubItems, pubsubNodes } from "./schema.ts";

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
  async lastItems(owners: readonly BareJid[], nodes: readonly string[]) {
    if (owners.length === 0 || nodes.length === 0) return [];
    // One query: each node asked for, joined with its newest item by the (owner, node, seq)
    // index: a lookup per node, however many items the nodes keep.
    const newest = this.db.select({
      id: pubsubItems.id,
      payload: pubsubItems.payload,
      publisher: pubsubItems.publisher,
      stamp: pubsubItems.stamp,
    }).from(pubsubItems)
      .where(and(eq(pubsubItems.owner, pubsubNodes.owner), eq(pubsubItems.node, pubsubNodes.node)))
      .orderBy(desc(pubsubItems.seq)).limit(1).as("newest");
    const rows = await this.db.select({
      owner: pubsubNodes.owner,
      node: pubsubNodes.node,
      config: pubsubNodes.config,
      id: newest.id,
      payload: newest.payload,
      publisher: newest.publisher,
      stamp: newest.stamp,
    }).from(pubsubNodes)
      .crossJoinLateral(newest)
      .where(and(
        inArray(pubsubNodes.owner, [...new Set(owners)]),
        inArray(pubsubNodes.node, [...new Set(nodes)]),
      ));
    return rows.map((r): LastPublished => ({
      owner: r.owner as BareJid,
      node: r.node,
      config: r.config,
      item: { id: r.id, payload: r.payload, publisher: r.publisher, stamp: r.stamp },
    }));
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

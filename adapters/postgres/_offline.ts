// OfflineStore on the drizzle schema. Messages arriving together (a flood to an offline user)
// are written as one statement, with the per-owner limit checked once per batch.
import { and, asc, count, eq, inArray, sql } from "drizzle-orm";
import type { BareJid } from "../../src/jid/jid.ts";
import type { OfflineMessage, OfflineStore } from "../../src/storage/offline_store.ts";
import { Batcher, isDataError, type WriteBatching } from "./_batcher.ts";
import { type Db, rowsOf } from "./_db.ts";
import { offlineMessages } from "./schema.ts";

interface Push {
  readonly owner: BareJid;
  readonly stanza: string;
  readonly stamp: Date;
  readonly limit: number;
}

export class PgOfflineStore implements OfflineStore {
  readonly #db: Db;
  readonly #list;
  readonly #pushes: Batcher<Push, OfflineMessage | undefined>;

  constructor(db: Db, batching: WriteBatching) {
    this.#db = db;
    this.#list = db.select().from(offlineMessages)
      .where(eq(offlineMessages.owner, sql.placeholder("owner")))
      .orderBy(asc(offlineMessages.id))
      .prepare("parley_list_offline");
    this.#pushes = new Batcher((items) => this.#insert(items), {
      ...batching,
      retryAlone: isDataError,
      laneKey: (p) => p.owner,
    });
  }

  push(owner: BareJid, stanza: string, stamp: Date, limit: number) {
    return this.#pushes.submit({ owner, stanza, stamp, limit });
  }

  async #insert(items: readonly Push[]): Promise<(OfflineMessage | undefined)[]> {
    if (items.length === 1) {
      const { owner, stanza, stamp, limit } = items[0];
      // One statement: the limit check and the insert.
      const result = await this.#db.execute(sql`
        insert into ${offlineMessages} (owner, stamp, stanza)
        select ${owner}, ${stamp.toISOString()}::timestamptz, ${stanza}
        where (select count(*) from ${offlineMessages} where owner = ${owner}) < ${limit}
        returning id`);
      const [row] = rowsOf<{ id: number | string }>(result);
      return [row ? { id: String(row.id), stamp, stanza } : undefined];
    }
    // The queues' lengths once, then the limit decided here as one push after another would.
    // (As with single pushes, two servers on one database may both take the last place.)
    const owners = [...new Set(items.map((p) => p.owner))];
    const counts = new Map(owners.map((o) => [o, 0]));
    const rows = await this.#db.select({ owner: offlineMessages.owner, n: count() })
      .from(offlineMessages).where(inArray(offlineMessages.owner, owners))
      .groupBy(offlineMessages.owner);
    for (const r of rows) counts.set(r.owner as BareJid, Number(r.n));
    const accepted = items.map((p) => {
      const n = counts.get(p.owner)!;
      if (n >= p.limit) return false;
      counts.set(p.owner, n + 1);
      return true;
    });
    const stored = items.filter((_, i) => accepted[i]);
    if (stored.length === 0) return items.map(() => undefined);
    const json = JSON.stringify(
      stored.map((p) => ({ owner: p.owner, stamp: p.stamp.toISOString(), stanza: p.stanza })),
    );
    // Rows go in in order, so the ids (from the sequence) follow it.
    const ids = rowsOf<{ id: number | string }>(
      await this.#db.execute(sql`
        insert into ${offlineMessages} (owner, stamp, stanza)
        select r->>'owner', (r->>'stamp')::timestamptz, r->>'stanza'
        from json_array_elements(${json}::json) with ordinality as t(r, n) order by n
        returning id`),
    ).map((r) => Number(r.id)).sort((a, b) => a - b);
    let next = 0;
    return items.map((p, i) =>
      accepted[i] ? { id: String(ids[next++]), stamp: p.stamp, stanza: p.stanza } : undefined
    );
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

// ArchiveStore on the drizzle schema. Appends arriving together are written as one statement
// (see _batcher.ts); pages follow the (owner, stamp, seq) index in either direction.
import { and, asc, count, desc, eq, gte, inArray, lte, type SQL, sql } from "drizzle-orm";
import type { BareJid } from "../../src/jid/jid.ts";
import type {
  ArchivedMessage,
  ArchiveMetadata,
  ArchivePage,
  ArchiveQuery,
  ArchiveStore,
} from "../../src/storage/archive_store.ts";
import { Batcher, isDataError, type WriteBatching } from "./_batcher.ts";
import type { Db } from "./_db.ts";
import { archive } from "./schema.ts";

type ArchiveRow = typeof archive.$inferSelect;

function toArchived(r: ArchiveRow): ArchivedMessage {
  return {
    id: r.id,
    stamp: r.stamp,
    with: r.withJid,
    direction: r.direction as "in" | "out",
    stanza: r.stanza,
  };
}

interface Append {
  readonly owner: BareJid;
  readonly message: ArchivedMessage;
}

/**
 * Joins a column's values: U+0001 cannot appear in XML 1.0 (§2.2 Char, not even as a
 * character reference) nor in a JID, so serialized stanzas, JIDs, ids and times never hold it.
 */
const SEPARATOR = "\x01";

/**
 * The columns of a batch as text[] expressions, one parameter each: the values joined by
 * {@linkcode SEPARATOR} (split again by the server: cheap on both sides), or, when a value
 * holds it after all, a JSON array of strings.
 */
function columns(items: readonly Append[]): SQL[] {
  const cols: string[][] = [[], [], [], [], [], []];
  for (const { owner, message: m } of items) {
    cols[0].push(owner);
    cols[1].push(m.id);
    cols[2].push(m.stamp.toISOString());
    cols[3].push(m.with);
    cols[4].push(m.direction);
    cols[5].push(m.stanza);
  }
  const joinable = cols.every((col) => col.every((v) => !v.includes(SEPARATOR)));
  // Two values or more: the joined text has a separator, so it never splits into nothing.
  return cols.map((col) =>
    joinable
      ? sql`string_to_array(${col.join(SEPARATOR)}::text, ${SEPARATOR}::text)`
      : sql`array(select json_array_elements_text(${JSON.stringify(col)}::json))`
  );
}

export class PgArchiveStore implements ArchiveStore {
  readonly #db: Db;
  readonly #appends: Batcher<Append, void>;

  constructor(db: Db, batching: WriteBatching) {
    this.#db = db;
    this.#appends = new Batcher((items) => this.#insert(items), {
      ...batching,
      retryAlone: isDataError,
      laneKey: (a) => a.owner,
    });
  }

  append(owner: BareJid, message: ArchivedMessage): Promise<void> {
    return this.#appends.submit({ owner, message });
  }

  /** Appends many messages with multi-row inserts (imports, benchmarks). */
  async appendMany(owner: BareJid, messages: readonly ArchivedMessage[]): Promise<void> {
    for (let i = 0; i < messages.length; i += 5000) {
      await this.#insert(messages.slice(i, i + 5000).map((message) => ({ owner, message })));
    }
  }

  async #insert(items: readonly Append[]): Promise<void[]> {
    if (items.length === 1) {
      const { owner, message: m } = items[0];
      await this.#db.insert(archive).values({
        owner,
        id: m.id,
        stamp: m.stamp,
        withJid: m.with,
        direction: m.direction,
        stanza: m.stanza,
      });
      return [undefined];
    }
    // One statement, one parameter per column, zipped by unnest and inserted in order (so `seq`
    // follows the order of arrival).
    const [owners, ids, stamps, withs, directions, stanzas] = columns(items);
    await this.#db.execute(sql`
      insert into ${archive} (owner, id, stamp, with_jid, direction, stanza)
      select owner, id, stamp::timestamptz, with_jid, direction, stanza
      from unnest(${owners}, ${ids}, ${stamps}, ${withs}, ${directions}, ${stanzas})
        with ordinality as t(owner, id, stamp, with_jid, direction, stanza, n)
      order by n`);
    return items.map(() => undefined);
  }

  #filters(owner: BareJid, q: ArchiveQuery): SQL[] {
    const where: SQL[] = [eq(archive.owner, owner)];
    if (q.with !== undefined) where.push(eq(archive.withJid, q.with));
    if (q.start !== undefined) where.push(gte(archive.stamp, q.start));
    if (q.end !== undefined) where.push(lte(archive.stamp, q.end));
    if (q.ids !== undefined) {
      where.push(q.ids.length === 0 ? sql`false` : inArray(archive.id, [...new Set(q.ids)]));
    }
    // XEP-0313 #extended: after-id and before-id bound the result set (and its count).
    if (q.afterId !== undefined) where.push(this.#beyond(owner, ">", q.afterId));
    if (q.beforeId !== undefined) where.push(this.#beyond(owner, "<", q.beforeId));
    return where;
  }

  /**
   * Messages after (`>`) or before (`<`) an id in (stamp, seq) order, the order of the
   * (owner, stamp, seq) index; an id that is not in the archive has no position, and nothing
   * is after or before it.
   */
  #beyond(owner: BareJid, op: ">" | "<", id: string): SQL {
    return sql`(${archive.stamp}, ${archive.seq}) ${
      sql.raw(op)
    } (select a.stamp, a.seq from ${archive} a where a.owner = ${owner} and a.id = ${id})`;
  }

  async query(owner: BareJid, q: ArchiveQuery): Promise<ArchivePage> {
    const where = this.#filters(owner, q);
    const counted = q.count
      ? this.#db.select({ n: count() }).from(archive).where(and(...where))
      : undefined;
    // XEP-0059 paging by (stamp, seq).
    const filters = [...where];
    if (q.after !== undefined) where.push(this.#beyond(owner, ">", q.after));
    if (q.before !== undefined && q.before !== "") {
      where.push(this.#beyond(owner, "<", q.before));
    }
    const backwards = q.before !== undefined;
    const order = backwards
      ? [desc(archive.stamp), desc(archive.seq)]
      : [asc(archive.stamp), asc(archive.seq)];
    const [rows, n] = await Promise.all([
      this.#db.select().from(archive).where(and(...where)).orderBy(...order).limit(q.max + 1),
      counted,
    ]);
    const messages = rows.slice(0, q.max).map(toArchived);
    if (backwards) messages.reverse();
    const page: ArchivePage = {
      messages,
      complete: rows.length <= q.max,
      ...(n === undefined ? {} : { count: Number(n[0].n) }),
    };
    if (!q.index || messages.length === 0) return page;
    // RSM <first index/>: how many of the result set come before the page.
    const [{ i }] = await this.#db.select({ i: count() }).from(archive)
      .where(and(...filters, this.#beyond(owner, "<", messages[0].id)));
    return { ...page, index: Number(i) };
  }

  async get(owner: BareJid, id: string): Promise<ArchivedMessage | undefined> {
    const rows = await this.#db.select().from(archive)
      .where(and(eq(archive.owner, owner), eq(archive.id, id)));
    return rows[0] && toArchived(rows[0]);
  }

  async replace(owner: BareJid, id: string, stanza: string): Promise<boolean> {
    const rows = await this.#db.update(archive).set({ stanza })
      .where(and(eq(archive.owner, owner), eq(archive.id, id))).returning({ id: archive.id });
    return rows.length > 0;
  }

  async remove(owner: BareJid, id: string): Promise<boolean> {
    const rows = await this.#db.delete(archive)
      .where(and(eq(archive.owner, owner), eq(archive.id, id))).returning({ id: archive.id });
    return rows.length > 0;
  }

  async metadata(owner: BareJid): Promise<ArchiveMetadata> {
    const end = (order: SQL[]) =>
      this.#db.select({ id: archive.id, stamp: archive.stamp }).from(archive)
        .where(eq(archive.owner, owner)).orderBy(...order).limit(1);
    const [first, last] = await Promise.all([
      end([asc(archive.stamp), asc(archive.seq)]),
      end([desc(archive.stamp), desc(archive.seq)]),
    ]);
    return first[0] && last[0] ? { first: first[0], last: last[0] } : {};
  }

  async removeAll(owner: BareJid): Promise<void> {
    await this.#db.delete(archive).where(eq(archive.owner, owner));
  }
}

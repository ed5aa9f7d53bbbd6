// DocumentStore on the drizzle schema. Values go in and out as JSON text (`::jsonb`,
// `::text`), so that both drivers read back exactly what JSON.parse gives.
import { type SQL, sql } from "drizzle-orm";
import {
  checkDocumentKey,
  documentJson,
  type DocumentListOptions,
  type DocumentPage,
  documentPageSize,
  type DocumentStore,
  type DocumentUpdater,
  type DocumentWriteOptions,
  prefixEnd,
  type StoredDocument,
  updateDocument,
} from "../../src/storage/document_store.ts";
import { type Db, rowsOf } from "./_db.ts";
import { documents } from "./schema.ts";

interface Row {
  key: string;
  value: string;
  version: number | string;
}

const toDocument = (r: Row): StoredDocument => ({
  key: r.key,
  value: JSON.parse(r.value),
  version: Number(r.version),
});

function checkVersion(ifVersion: number | undefined): void {
  if (ifVersion !== undefined && (!Number.isSafeInteger(ifVersion) || ifVersion < 0)) {
    throw new RangeError(`Cannot compare with document version ${ifVersion}`);
  }
}

/** `key` within a prefix: a range on the primary key, in code point order ("C"). */
function inPrefix(prefix: string): SQL {
  if (prefix === "") return sql`true`;
  const end = prefixEnd(prefix);
  return end === undefined
    ? sql`${documents.key} >= ${prefix}`
    : sql`${documents.key} >= ${prefix} and ${documents.key} < ${end}`;
}

export class PgDocumentStore implements DocumentStore {
  constructor(private readonly db: Db) {}

  async get(ns: string, key: string): Promise<StoredDocument | undefined> {
    checkDocumentKey(ns, key);
    const rows = rowsOf<Row>(
      await this.db.execute(sql`
        select ${documents.key} as key, ${documents.value}::text as value, ${documents.version}
        from ${documents} where ${documents.ns} = ${ns} and ${documents.key} = ${key}`),
    );
    return rows[0] && toDocument(rows[0]);
  }

  async put(
    ns: string,
    key: string,
    value: unknown,
    options: DocumentWriteOptions = {},
  ): Promise<number | undefined> {
    checkDocumentKey(ns, key);
    checkVersion(options.ifVersion);
    const json = documentJson(value);
    const v = options.ifVersion;
    const query = v === undefined
      ? sql`insert into ${documents} (ns, key, value, version)
          values (${ns}, ${key}, ${json}::jsonb, 1)
          on conflict (ns, key) do update
          set value = excluded.value, version = ${documents.version} + 1
          returning version`
      : v === 0
      ? sql`insert into ${documents} (ns, key, value, version)
          values (${ns}, ${key}, ${json}::jsonb, 1)
          on conflict (ns, key) do nothing returning version`
      : sql`update ${documents} set value = ${json}::jsonb, version = ${documents.version} + 1
          where ${documents.ns} = ${ns} and ${documents.key} = ${key}
            and ${documents.version} = ${v}
          returning version`;
    const [row] = rowsOf<{ version: number | string }>(await this.db.execute(query));
    return row ? Number(row.version) : undefined;
  }

  async delete(ns: string, key: string, options: DocumentWriteOptions = {}): Promise<boolean> {
    checkDocumentKey(ns, key);
    checkVersion(options.ifVersion);
    const v = options.ifVersion;
    if (v === 0) return false;
    const rows = rowsOf(
      await this.db.execute(sql`
        delete from ${documents} where ${documents.ns} = ${ns} and ${documents.key} = ${key}
        ${v === undefined ? sql`` : sql`and ${documents.version} = ${v}`}
        returning 1`),
    );
    return rows.length > 0;
  }

  async list(ns: string, options: DocumentListOptions = {}): Promise<DocumentPage> {
    const limit = documentPageSize(options.limit);
    const prefix = options.prefix ?? "";
    checkDocumentKey(ns, prefix);
    if (options.after !== undefined) checkDocumentKey(ns, options.after);
    const rows = rowsOf<Row>(
      await this.db.execute(sql`
        select ${documents.key} as key, ${documents.value}::text as value, ${documents.version}
        from ${documents}
        where ${documents.ns} = ${ns} and ${inPrefix(prefix)}
        ${options.after === undefined ? sql`` : sql`and ${documents.key} > ${options.after}`}
        order by ${documents.key} limit ${limit + 1}`),
    );
    return { documents: rows.slice(0, limit).map(toDocument), complete: rows.length <= limit };
  }

  async deleteAll(ns: string, prefix = ""): Promise<number> {
    checkDocumentKey(ns, prefix);
    const [row] = rowsOf<{ n: number | string }>(
      await this.db.execute(sql`
        with gone as (
          delete from ${documents} where ${documents.ns} = ${ns} and ${inPrefix(prefix)}
          returning 1
        ) select count(*) as n from gone`),
    );
    return Number(row.n);
  }

  update(ns: string, key: string, fn: DocumentUpdater): Promise<StoredDocument | undefined> {
    return updateDocument(this, ns, key, fn);
  }
}

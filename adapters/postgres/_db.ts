// The drizzle database type shared by both drivers, and small helpers.
import type { PgDatabase, PgQueryResultHKT } from "drizzle-orm/pg-core";
import { type SQL, sql } from "drizzle-orm";
import type { AnyPgColumn } from "drizzle-orm/pg-core";

/** A drizzle PostgreSQL database, whichever driver runs it. */
export type Db = PgDatabase<PgQueryResultHKT>;

/** Rows of `db.execute()`: postgres.js gives an array, PGlite an object with `rows`. */
export function rowsOf<T>(result: unknown): T[] {
  if (Array.isArray(result)) return result as T[];
  return ((result as { rows?: T[] }).rows ?? []) as T[];
}

/** Orders by bytes (like JavaScript's default sort), whatever the database collation. */
export function byteOrder(column: AnyPgColumn): SQL {
  return sql`${column} collate "C"`;
}

/**
 * The PostgreSQL driver, through postgres.js. This is the only file that imports `postgres`.
 *
 * @module
 */
import postgres from "postgres";
import { drizzle } from "drizzle-orm/postgres-js";
import { migrate } from "drizzle-orm/postgres-js/migrator";
import type { Storage } from "../../src/storage/storage.ts";
import { drizzleStorage, MIGRATIONS_FOLDER } from "./_storage.ts";

/** Options of {@linkcode postgresStorage}. */
export interface PostgresStorageOptions {
  /**
   * A schema to keep every table in, created when missing (also `?schema=NAME` in the URL);
   * default `public`, with the migration journal in `drizzle`.
   */
  readonly schema?: string;
  /** Largest number of connections in the pool; default 10. */
  readonly maxConnections?: number;
  /** Seconds to wait for a connection; default 10. */
  readonly connectTimeout?: number;
}

/** Where a URL points, without its password, for error messages. */
function describe(url: string): string {
  try {
    const u = new URL(url);
    return `${u.hostname}:${u.port || "5432"}${u.pathname}`;
  } catch {
    return "the given URL";
  }
}

/**
 * Connects to PostgreSQL and applies the pending migrations. postgres.js reconnects by itself
 * when the server comes back after a connection was lost.
 *
 * @param url A `postgres://` URL.
 * @param options Schema and pool size.
 * @returns The storage; `close()` ends the connections.
 * @throws {Error} A one-line error when the database cannot be reached.
 * @example
 * ```ts ignore
 * import { postgresStorage } from "./postgres_js.ts";
 * const storage = await postgresStorage("postgres://root@127.0.0.1:5432/test");
 * await storage.close();
 * ```
 */
export async function postgresStorage(
  url: string,
  options: PostgresStorageOptions = {},
): Promise<Storage> {
  // `?schema=NAME` in the URL (as Prisma spells it) is ours, not a server parameter.
  const parsed = URL.canParse(url) ? new URL(url) : undefined;
  const schema = options.schema ?? (parsed?.searchParams.get("schema") || undefined);
  if (parsed?.searchParams.has("schema")) {
    parsed.searchParams.delete("schema");
    url = parsed.href;
  }
  const client = postgres(url, {
    max: options.maxConnections ?? 10,
    connect_timeout: options.connectTimeout ?? 10,
    onnotice: () => {},
    connection: schema === undefined ? {} : { search_path: schema },
  });
  try {
    await client`select 1`;
    if (schema !== undefined) await client`create schema if not exists ${client(schema)}`;
    const db = drizzle(client);
    await migrate(db, {
      migrationsFolder: MIGRATIONS_FOLDER,
      migrationsSchema: schema ?? "drizzle",
    });
    // Hot writes in up to 4 batches at once, each owner's in order in one of them.
    return drizzleStorage(db, () => client.end({ timeout: 5 }), { maxBatch: 500, lanes: 4 });
  } catch (e) {
    await client.end({ timeout: 1 }).catch(() => {});
    // One line, from the innermost cause (drizzle wraps driver errors with the query text).
    let cause: unknown = e;
    while (cause instanceof Error && cause.cause instanceof Error) cause = cause.cause;
    const message = (cause instanceof Error ? cause.message : String(cause)).split("\n")[0];
    throw new Error(`Cannot open PostgreSQL storage at ${describe(url)}: ${message}`);
  }
}

/**
 * Drops a schema and everything in it: the clean-up of {@linkcode PostgresStorageOptions.schema}
 * used by tests.
 *
 * @param url A `postgres://` URL.
 * @param schema The schema to drop.
 * @example
 * ```ts ignore
 * import { dropPostgresSchema } from "./postgres_js.ts";
 * await dropPostgresSchema("postgres://root@127.0.0.1:5432/test", "t_1");
 * ```
 */
export async function dropPostgresSchema(url: string, schema: string): Promise<void> {
  const client = postgres(url, { max: 1, onnotice: () => {} });
  try {
    await client`drop schema if exists ${client(schema)} cascade`;
  } finally {
    await client.end({ timeout: 5 });
  }
}

/**
 * The PostgreSQL driver, through postgres.js. This is the only file that imports `postgres`.
 *
 * @module
 */
import postgres from "postgres";
import { drizzle } from "drizzle-orm/postgres-js";
import { migrate } from "drizzle-orm/postgres-js/migrator";
import type { Storage } from "../../src/storage/storage.ts";
import type { Db } from "./_db.ts";
import { drizzleStorage, MIGRATIONS_FOLDER } from "./_storage.ts";
import { type LaneClient, type LaneQuery, retryUnsent, TransactionLanes } from "./_tx_lanes.ts";

/** Options of {@linkcode postgresStorage}. */
export interface PostgresStorageOptions {
  /**
   * A schema to keep every table in, created when missing (also `?schema=NAME` in the URL);
   * default `public`, with the migration journal in `drizzle`.
   */
  readonly schema?: string;
  /**
   * Largest number of connections; default 10, at least 2. Half of them are kept for
   * transactions, one transaction each at a time (see `_tx_lanes.ts`).
   */
  readonly maxConnections?: number;
  /** Seconds to wait for a connection; default the URL's `connect_timeout`, else 10. */
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
 * Driver settings for a server that must outlive its database connections.
 *
 * `fetch_types: false`: postgres.js otherwise looks up the array types on every new
 * connection from an internal promise that nobody awaits, so a connection lost during that
 * lookup (a restart, `pg_terminate_backend`) is an unhandled rejection that ends the process.
 * The schema's only array column (`roster_items.groups`, text[]) does not need it: drizzle
 * reads and writes PostgreSQL array literals itself.
 */
function clientOptions(
  options: PostgresStorageOptions,
  schema: string | undefined,
  max: number,
  onclose?: () => void,
): postgres.Options<Record<string, never>> {
  return {
    max,
    connect_timeout: options.connectTimeout ?? 10,
    fetch_types: false,
    onnotice: () => {},
    onclose,
    connection: schema === undefined ? {} : { search_path: schema },
  };
}

/** A statement on the pool, run when awaited (like postgres.js runs it), through
 * {@linkcode retryUnsent}. */
class PoolStatement implements LaneQuery {
  #values = false;
  #result?: Promise<unknown>;
  constructor(
    readonly run: (values: boolean) => PromiseLike<unknown>,
    readonly attempts: number,
  ) {}
  values(): this {
    this.#values = true;
    return this;
  }
  then<A = unknown, B = never>(
    onfulfilled?: ((value: unknown) => A | PromiseLike<A>) | null,
    onrejected?: ((reason: unknown) => B | PromiseLike<B>) | null,
  ): Promise<A | B> {
    this.#result ??= retryUnsent(() => this.run(this.#values), this.attempts);
    return this.#result.then(onfulfilled, onrejected);
  }
}

/**
 * The client drizzle gets: statements on the pool, transactions on the lanes. drizzle calls
 * `unsafe()` (and `.values()` on its result) for statements, `begin()` for transactions, and
 * reads `options` for its parsers.
 */
function poolWithLanes(pool: postgres.Sql, lanes: TransactionLanes): postgres.Sql {
  const attempts = pool.options.max + 1;
  const client = {
    options: pool.options,
    unsafe: (query: string, params?: postgres.ParameterOrJSON<never>[], options?: object) =>
      new PoolStatement((values) => {
        const statement = pool.unsafe(query, params, options);
        return values ? statement.values() : statement;
      }, attempts),
    begin: (fn: Parameters<TransactionLanes["begin"]>[0]) => lanes.begin(fn),
  };
  return client as unknown as postgres.Sql;
}

/**
 * Connects to PostgreSQL and applies the pending migrations. postgres.js reconnects by itself
 * when the server comes back after a connection was lost; a lost connection fails the
 * statements and transactions that were using it (with an error the caller sees), never the
 * process, and never runs part of a transaction outside it.
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
  // `?connect_timeout=SECONDS`, as libpq spells it (postgres.js ignores it once an explicit
  // option is given), unless `options.connectTimeout` says otherwise.
  const urlTimeout = Number(parsed?.searchParams.get("connect_timeout") ?? NaN);
  if (options.connectTimeout === undefined && urlTimeout > 0) {
    options = { ...options, connectTimeout: urlTimeout };
  }
  const max = Math.max(2, options.maxConnections ?? 10);
  const laneCount = Math.floor(max / 2);
  const client = postgres(url, clientOptions(options, schema, max - laneCount));
  const lanes = new TransactionLanes(laneCount, (onclose) => {
    const lane = postgres(url, clientOptions(options, schema, 1, onclose));
    // drizzle sets its parsers (dates and JSON as text) on the clients it is given.
    drizzle(lane);
    return lane as unknown as LaneClient;
  });
  const end = (timeout: number) =>
    Promise.all([client.end({ timeout }), lanes.end({ timeout })]).then(() => {});
  try {
    await client`select 1`;
    if (schema !== undefined) await client`create schema if not exists ${client(schema)}`;
    // Migrations run once at start, before anything else uses the database.
    await migrate(drizzle(client), {
      migrationsFolder: MIGRATIONS_FOLDER,
      migrationsSchema: schema ?? "drizzle",
    });
    const db: Db = drizzle(poolWithLanes(client, lanes));
    // Hot writes in up to 4 batches at once, each owner's in order in one of them.
    return drizzleStorage(db, () => end(5), { maxBatch: 500, lanes: 4 });
  } catch (e) {
    await end(1).catch(() => {});
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
  const client = postgres(url, { max: 1, fetch_types: false, onnotice: () => {} });
  try {
    await client`drop schema if exists ${client(schema)} cascade`;
  } finally {
    await client.end({ timeout: 5 });
  }
}

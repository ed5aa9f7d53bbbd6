/**
 * The embedded driver: PostgreSQL compiled to WebAssembly (PGlite), in a data directory or in
 * memory. This is the only file that imports `@electric-sql/pglite`.
 *
 * @module
 */
import { PGlite } from "@electric-sql/pglite";
import { drizzle } from "drizzle-orm/pglite";
import { migrate } from "drizzle-orm/pglite/migrator";
import type { Storage } from "../../src/storage/storage.ts";
import { fairShare } from "./_fair_share.ts";
import { drizzleStorage, MIGRATIONS_FOLDER } from "./_storage.ts";

/** Options of {@linkcode pgliteStorage}. */
export interface PgliteStorageOptions {
  /** The data directory; in memory (nothing survives the process) when left out. */
  readonly dataDir?: string;
}

/**
 * Opens PGlite storage and applies the pending migrations. Writes are durable when their
 * promise resolves: `relaxedDurability` stays off, so every commit reaches the data directory
 * before the query returns. Only one process may open a data directory at a time.
 *
 * @param options Where the data lives.
 * @returns The storage; `close()` shuts the database down cleanly.
 * @example
 * ```ts
 * import { pgliteStorage } from "./pglite.ts";
 * const storage = await pgliteStorage();
 * if ((await storage.accounts.list()).length !== 0) throw new Error();
 * await storage.close();
 * ```
 */
export async function pgliteStorage(options: PgliteStorageOptions = {}): Promise<Storage> {
  const lock = options.dataDir === undefined ? undefined : await lockDataDir(options.dataDir);
  const release = async () => {
    if (!lock) return;
    await lock.unlock();
    lock.close();
  };
  let client: PGlite | undefined;
  try {
    if (options.dataDir !== undefined) await createDataDir(options.dataDir);
    client = await PGlite.create({
      ...(options.dataDir === undefined ? {} : { dataDir: options.dataDir }),
      relaxedDurability: false,
      startParams: startParams(),
    });
    shareThread(client);
    const db = drizzle(client);
    await migrate(db, { migrationsFolder: MIGRATIONS_FOLDER });
    const opened = client;
    // One lane: PGlite runs one statement at a time anyway, and one lane keeps arrival order.
    return drizzleStorage(db, async () => {
      await opened.close();
      await release();
    }, { maxBatch: 500, lanes: 1 });
  } catch (e) {
    await client?.close().catch(() => {});
    await release();
    throw e;
  }
}

/**
 * PGlite's own start parameters (single-user mode, no parallel workers, ...), as the package
 * sets them; copied for the case a release stops exposing them.
 */
const PGLITE_DEFAULT_START_PARAMS: readonly string[] = [
  "--single",
  "-F",
  "-O",
  "-j",
  "-c",
  "search_path=public",
  "-c",
  "exit_on_error=false",
  "-c",
  "log_checkpoints=false",
  "-c",
  "max_worker_processes=0",
  "-c",
  "max_parallel_workers=0",
  "-c",
  "max_parallel_workers_per_gather=0",
  "-c",
  "io_method=sync",
  "-c",
  "max_parallel_maintenance_workers=0",
];

/**
 * Memory settings for a database that one process uses. initdb writes `shared_buffers = 128MB`
 * into postgresql.conf, and the WebAssembly build zeroes all of it at start, so the idle server
 * held it resident (with the rest, about 300 MiB). 8 MB of buffers (1,024 pages) holds an XMPP
 * server's hot rows; the OS page cache keeps the rest. WAL and fsync settings are untouched,
 * so a commit is on disk (in the OS) before its query resolves, as before.
 *
 * `max_connections` sizes per-backend arrays in shared memory (process slots, statistics,
 * locks), all zeroed at start like the buffers: PGlite runs one backend, and 100 (initdb's
 * value) held 4 MiB more than 5 (shared_memory_size 15 MB → 12 MB). 5 keeps the check
 * `superuser_reserved_connections` (3) < `max_connections` satisfied; the lock table still has
 * room for about 2,000 locks (64 per backend slot, autovacuum and WAL sender slots included).
 */
const MEMORY_START_PARAMS: readonly string[] = [
  "-c",
  "shared_buffers=8MB",
  "-c",
  "max_connections=5",
];

function startParams(): string[] {
  const exposed = (PGlite as unknown as { defaultStartParams?: readonly string[] })
    .defaultStartParams;
  return [...(exposed ?? PGLITE_DEFAULT_START_PARAMS), ...MEMORY_START_PARAMS];
}

/**
 * Runs initdb in a worker when the directory holds no database yet. In this process it would
 * leave about 450 MiB resident after the first start (PGlite creates a second instance for it).
 */
async function createDataDir(dataDir: string): Promise<void> {
  if (await exists(`${dataDir}/PG_VERSION`)) return;
  const worker = new Worker(new URL("./_pglite_initdb_worker.ts", import.meta.url), {
    type: "module",
  });
  try {
    const reply = await new Promise<{ ok?: true; error?: string }>((resolve, reject) => {
      worker.onmessage = (e) => resolve(e.data);
      worker.onerror = (e) => {
        e.preventDefault();
        reject(new Error(e.message));
      };
      worker.postMessage({ dataDir, startParams: startParams() });
    });
    if (reply.error !== undefined) throw new Error(reply.error);
  } finally {
    worker.terminate();
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return false;
    throw e;
  }
}

/** How long a run of queries may hold the main thread before others get a turn, in ms. */
const QUERY_RUN_BUDGET_MS = 8;

// Every query and transaction drizzle starts passes the fair-share gate (see _fair_share.ts).
function shareThread(client: PGlite): void {
  const gate = fairShare(QUERY_RUN_BUDGET_MS);
  const query = client.query.bind(client);
  const exec = client.exec.bind(client);
  const transaction = client.transaction.bind(client);
  client.query = async <T>(...args: Parameters<typeof query>) => {
    await gate();
    return await query<T>(...args);
  };
  client.exec = async (...args: Parameters<typeof exec>) => {
    await gate();
    return await exec(...args);
  };
  client.transaction = async <T>(callback: Parameters<typeof transaction<T>>[0]) => {
    await gate();
    return await transaction(callback);
  };
}

// PostgreSQL in PGlite runs in single-user mode: two processes on one data directory would
// corrupt it. An advisory lock (flock) on a file in it, released by the OS even on SIGKILL.
async function lockDataDir(dir: string): Promise<Deno.FsFile> {
  await Deno.mkdir(dir, { recursive: true });
  const file = await Deno.open(`${dir}/.parley.lock`, { create: true, write: true });
  const locking = file.lock(true).then(() => true);
  let timer: ReturnType<typeof setTimeout> | undefined;
  const waited = new Promise<false>((r) => timer = setTimeout(() => r(false), 300));
  const locked = await Promise.race([locking, waited]);
  clearTimeout(timer);
  if (!locked) {
    // Should the other process end, give the lock straight back.
    void locking.then(() => file.close(), () => file.close());
    throw new Error(
      `Cannot open the PGlite data directory "${dir}": another process has it open ` +
        "(a running server?); stop it first",
    );
  }
  return file;
}

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
    client = options.dataDir === undefined
      ? await PGlite.create({ relaxedDurability: false })
      : await PGlite.create({ dataDir: options.dataDir, relaxedDurability: false });
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

/**
 * Chooses and opens the storage of the standalone server and of the `user` and `db` commands:
 * `--storage memory|pglite|postgres`, the database URL from `--database-url`, `DATABASE_URL` or
 * the config file's `databaseUrl`, and the data directory.
 *
 * @module
 */
import { join } from "node:path";
import { parseArgs } from "node:util";
import { memoryStorage } from "../../src/storage/memory.ts";
import type { Storage } from "../../src/storage/storage.ts";

/** The storage drivers. */
export type StorageKind = "memory" | "pglite" | "postgres";

/** Where the storage lives, once chosen. */
export interface StorageChoice {
  /** The driver. */
  readonly kind: StorageKind;
  /** The PostgreSQL URL (kind `postgres`). */
  readonly databaseUrl?: string;
  /** The PGlite data directory (kind `pglite`). */
  readonly pgliteDir?: string;
}

/** What the choice is made from. */
export interface StorageSources {
  /** `--storage`, when given. */
  readonly storage?: string;
  /** `--database-url`, `DATABASE_URL` or the config's `databaseUrl`, first given wins. */
  readonly databaseUrl?: string;
  /** The data directory; PGlite keeps its database in `pglite/` inside it. */
  readonly dataDir: string;
}

/**
 * Chooses the driver: `--storage` when given, else PostgreSQL when a database URL is known,
 * else PGlite in the data directory.
 *
 * @param sources The flags, environment and config values.
 * @returns The choice.
 * @throws {TypeError} On an unknown driver, or `postgres` without a URL.
 * @example
 * ```ts
 * import { chooseStorage } from "./storage_select.ts";
 * const choice = chooseStorage({ dataDir: "./data" });
 * if (choice.kind !== "pglite" || choice.pgliteDir !== "data/pglite") throw new Error();
 * ```
 */
export function chooseStorage(sources: StorageSources): StorageChoice {
  const kind = sources.storage ?? (sources.databaseUrl ? "postgres" : "pglite");
  switch (kind) {
    case "memory":
      return { kind };
    case "pglite":
      return { kind, pgliteDir: join(sources.dataDir, "pglite") };
    case "postgres":
      if (!sources.databaseUrl) {
        throw new TypeError(
          'Cannot use --storage "postgres": no --database-url, DATABASE_URL or databaseUrl given',
        );
      }
      return { kind, databaseUrl: sources.databaseUrl };
    default:
      throw new TypeError(
        `Cannot use --storage "${kind}": expected memory, pglite or postgres`,
      );
  }
}

/**
 * Opens the chosen storage, applying pending migrations.
 *
 * @param choice What {@linkcode chooseStorage} returned.
 * @returns The storage.
 * @throws {Error} A one-line error when the database cannot be opened.
 * @example
 * ```ts
 * import { openStorage } from "./storage_select.ts";
 * const storage = await openStorage({ kind: "memory" });
 * await storage.close();
 * ```
 */
export async function openStorage(choice: StorageChoice): Promise<Storage> {
  // Each driver is imported when chosen: a loaded driver stays resident (postgres.js and its
  // drizzle driver hold ~8 MiB that a PGlite server never uses, #16).
  switch (choice.kind) {
    case "memory":
      return memoryStorage();
    case "pglite": {
      const { pgliteStorage } = await import("../postgres/pglite.ts");
      await Deno.mkdir(choice.pgliteDir!, { recursive: true });
      try {
        return await pgliteStorage({ dataDir: choice.pgliteDir });
      } catch (e) {
        const message = e instanceof Error ? e.message : String(e);
        if (message.startsWith("Cannot open")) throw e;
        throw new Error(`Cannot open PGlite storage in "${choice.pgliteDir}": ${message}`);
      }
    }
    case "postgres": {
      const { postgresStorage } = await import("../postgres/postgres_js.ts");
      return await postgresStorage(choice.databaseUrl!);
    }
  }
}

/** The storage flags of the `user` and `db` commands, and what is left. */
export interface CommandArgs {
  /** `--help` (or `-h`) was given. */
  readonly help: boolean;
  /** The storage to open. */
  readonly choice: StorageChoice;
  /** The arguments that are not flags. */
  readonly positionals: string[];
}

/**
 * Parses `--storage`, `--database-url`, `--data` and `--help` of a command; `DATABASE_URL`
 * applies when `--database-url` is not given.
 *
 * @param args The command's arguments.
 * @returns The storage choice and the other arguments.
 * @throws {TypeError} On an unknown flag or driver.
 * @example
 * ```ts
 * import { parseCommandArgs } from "./storage_select.ts";
 * const { choice, positionals } = parseCommandArgs(["list", "--storage", "memory"]);
 * if (choice.kind !== "memory" || positionals[0] !== "list") throw new Error();
 * ```
 */
export function parseCommandArgs(args: string[]): CommandArgs {
  const { values, positionals } = parseArgs({
    args,
    strict: true,
    allowPositionals: true,
    options: {
      storage: { type: "string" },
      "database-url": { type: "string" },
      data: { type: "string" },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  const choice = chooseStorage({
    storage: values.storage,
    databaseUrl: values["database-url"] ?? (Deno.env.get("DATABASE_URL") || undefined),
    dataDir: values.data ?? "./data",
  });
  return { help: values.help ?? false, choice, positionals };
}

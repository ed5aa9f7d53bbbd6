/**
 * Persistent storage for Parley: one drizzle `pg-core` schema with two drivers, embedded
 * PGlite (a data directory, or memory) and PostgreSQL through postgres.js. Both apply the
 * checked-in migrations when they open.
 *
 * ```ts
 * import { createServer } from "@parley/server";
 * import { pgliteStorage } from "@parley/server/postgres";
 * const server = await createServer({ domain: "localhost", storage: await pgliteStorage() });
 * await server.close();
 * ```
 *
 * @module
 */
export { pgliteStorage } from "./pglite.ts";
export type { PgliteStorageOptions } from "./pglite.ts";
export { dropPostgresSchema, postgresStorage } from "./postgres_js.ts";
export type { PostgresStorageOptions } from "./postgres_js.ts";
export type { Storage } from "../../src/storage/storage.ts";

// Builds a Storage from a drizzle database, whichever driver runs it.
import { fileURLToPath } from "node:url";
import type { Storage } from "../../src/storage/storage.ts";
import type { Db } from "./_db.ts";
import { PgAccountStore } from "./_accounts.ts";
import { PgArchiveStore } from "./_archive.ts";
import type { WriteBatching } from "./_batcher.ts";
import { PgDocumentStore } from "./_documents.ts";
import { PgOfflineStore } from "./_offline.ts";
import { PgPubsubStore } from "./_pubsub.ts";
import { PgRosterStore } from "./_roster.ts";
import { PgBlocklistStore, PgPrivateStore, PgVcardStore } from "./_xml_stores.ts";

/** The folder of the checked-in drizzle-kit migrations. */
export const MIGRATIONS_FOLDER: string = fileURLToPath(new URL("./migrations", import.meta.url));

/** A Storage on a migrated database; `close` releases the driver. */
export function drizzleStorage(
  db: Db,
  close: () => Promise<void>,
  batching: WriteBatching,
): Storage {
  return {
    accounts: new PgAccountStore(db),
    roster: new PgRosterStore(db),
    offline: new PgOfflineStore(db, batching),
    vcard: new PgVcardStore(db),
    privateXml: new PgPrivateStore(db),
    blocklist: new PgBlocklistStore(db),
    archive: new PgArchiveStore(db, batching),
    pubsub: new PgPubsubStore(db),
    documents: new PgDocumentStore(db),
    close,
  };
}

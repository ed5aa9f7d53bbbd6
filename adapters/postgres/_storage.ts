// Builds a Storage from a drizzle database, whichever driver runs it.
import { fileURLToPath } from "node:url";
import type { Storage } from "../../src/storage/storage.ts";
import type { Db } from "./_db.ts";
import { PgAccountStore, PgRosterStore } from "./_account_roster.ts";
import { PgArchiveStore, PgPubsubStore } from "./_archive_pubsub.ts";
import { PgBlocklistStore, PgOfflineStore, PgPrivateStore, PgVcardStore } from "./_misc_stores.ts";

/** The folder of the checked-in drizzle-kit migrations. */
export const MIGRATIONS_FOLDER: string = fileURLToPath(new URL("./migrations", import.meta.url));

/** A Storage on a migrated database; `close` releases the driver. */
export function drizzleStorage(db: Db, close: () => Promise<void>): Storage {
  return {
    accounts: new PgAccountStore(db),
    roster: new PgRosterStore(db),
    offline: new PgOfflineStore(db),
    vcard: new PgVcardStore(db),
    privateXml: new PgPrivateStore(db),
    blocklist: new PgBlocklistStore(db),
    archive: new PgArchiveStore(db),
    pubsub: new PgPubsubStore(db),
    close,
  };
}

/**
 * The set of stores a server uses, one per concern.
 *
 * @module
 */
import type { AccountStore } from "./account_store.ts";
import type { ArchiveStore } from "./archive_store.ts";
import type { DocumentStore } from "./document_store.ts";
import type { OfflineStore } from "./offline_store.ts";
import type { PubsubStore } from "./pubsub_store.ts";
import type { RosterStore } from "./roster_store.ts";
import type { BlocklistStore, PrivateStore, VcardStore } from "./xml_stores.ts";

/** Every store the server needs. Each write is durable when its promise resolves. */
export interface Storage {
  /** Accounts and credentials. */
  readonly accounts: AccountStore;
  /** Rosters and pending subscription requests. */
  readonly roster: RosterStore;
  /** Offline messages. */
  readonly offline: OfflineStore;
  /** vcard-temp. */
  readonly vcard: VcardStore;
  /** Private XML storage. */
  readonly privateXml: PrivateStore;
  /** Block lists. */
  readonly blocklist: BlocklistStore;
  /** Message archives. */
  readonly archive: ArchiveStore;
  /** PEP / pubsub nodes and items. */
  readonly pubsub: PubsubStore;
  /**
   * Modules' own documents, one namespace per concern (MUC rooms, push registrations, tokens…);
   * see `documentCollection()` for a typed view of one namespace.
   */
  readonly documents: DocumentStore;
  /** Releases connections and files; the server calls it on close. */
  close(): Promise<void>;
}

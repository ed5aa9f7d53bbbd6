/**
 * In-memory storage, for tests and ephemeral servers. Nothing survives a restart.
 *
 * @module
 */
import type { BareJid } from "../jid/jid.ts";
import type { AccountStore, Credentials } from "./account_store.ts";
import type { Storage } from "./storage.ts";
import { MemoryArchiveStore } from "./_memory_archive.ts";
import { MemoryDocumentStore } from "./_memory_documents.ts";
import { MemoryOfflineStore } from "./_memory_offline.ts";
import { MemoryPubsubStore } from "./_memory_pubsub.ts";
import { MemoryRosterStore } from "./_memory_roster.ts";
import {
  MemoryBlocklistStore,
  MemoryPrivateStore,
  MemoryVcardStore,
} from "./_memory_xml_stores.ts";

class MemoryAccountStore implements AccountStore {
  readonly #accounts = new Map<BareJid, Credentials>();

  create(jid: BareJid, credentials: Credentials): Promise<boolean> {
    if (this.#accounts.has(jid)) return Promise.resolve(false);
    this.#accounts.set(jid, credentials);
    return Promise.resolve(true);
  }
  getCredentials(jid: BareJid): Promise<Credentials | undefined> {
    return Promise.resolve(this.#accounts.get(jid));
  }
  setCredentials(jid: BareJid, credentials: Credentials): Promise<boolean> {
    if (!this.#accounts.has(jid)) return Promise.resolve(false);
    this.#accounts.set(jid, credentials);
    return Promise.resolve(true);
  }
  exists(jid: BareJid): Promise<boolean> {
    return Promise.resolve(this.#accounts.has(jid));
  }
  remove(jid: BareJid): Promise<boolean> {
    return Promise.resolve(this.#accounts.delete(jid));
  }
  list(): Promise<BareJid[]> {
    return Promise.resolve([...this.#accounts.keys()].sort());
  }
}

/**
 * Creates an empty in-memory storage.
 *
 * @returns The storage.
 * @example
 * ```ts
 * import { memoryStorage } from "./memory.ts";
 * const storage = memoryStorage();
 * if ((await storage.accounts.list()).length !== 0) throw new Error();
 * ```
 */
export function memoryStorage(): Storage {
  return {
    accounts: new MemoryAccountStore(),
    roster: new MemoryRosterStore(),
    offline: new MemoryOfflineStore(),
    vcard: new MemoryVcardStore(),
    privateXml: new MemoryPrivateStore(),
    blocklist: new MemoryBlocklistStore(),
    archive: new MemoryArchiveStore(),
    pubsub: new MemoryPubsubStore(),
    documents: new MemoryDocumentStore(),
    close: () => Promise.resolve(),
  };
}

/**
 * The set of stores a server uses, one per concern.
 *
 * @module
 */
import type { AccountStore } from "./account_store.ts";

/** Every store the server needs. Later issues add stores by concern (roster, offline, ...). */
export interface Storage {
  /** Accounts and credentials. */
  readonly accounts: AccountStore;
  /** Releases connections and files; the server calls it on close. */
  close(): Promise<void>;
}

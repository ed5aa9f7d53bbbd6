/**
 * Small per-account XML documents: vcard-temp (XEP-0054), private XML storage (XEP-0049), and
 * the block list (XEP-0191).
 *
 * @module
 */
import type { BareJid } from "../jid/jid.ts";

/** Stores one vCard per account, as serialized XML. */
export interface VcardStore {
  /** The vCard, or `undefined`. */
  get(owner: BareJid): Promise<string | undefined>;
  /** Replaces the vCard; `undefined` removes it. */
  set(owner: BareJid, vcard: string | undefined): Promise<void>;
}

/** Stores private XML fragments per account, keyed by the fragment's element name and namespace. */
export interface PrivateStore {
  /** The fragment stored under `name` in `xmlns`, as serialized XML, or `undefined`. */
  get(owner: BareJid, name: string, xmlns: string): Promise<string | undefined>;
  /** Replaces the fragment; `undefined` removes it. */
  set(owner: BareJid, name: string, xmlns: string, fragment: string | undefined): Promise<void>;
  /** Removes everything of an owner. */
  removeAll(owner: BareJid): Promise<void>;
}

/** Stores the blocked JIDs of each account (XEP-0191): bare, full or domain JIDs. */
export interface BlocklistStore {
  /** The blocked JIDs, sorted. */
  list(owner: BareJid): Promise<string[]>;
  /**
   * The block lists of many owners in one query (a login checking which contacts block the
   * user). Every owner given is in the map, with `[]` when it blocks nobody.
   */
  listMany(owners: readonly BareJid[]): Promise<Map<BareJid, string[]>>;
  /** Adds JIDs. @returns Those that were not blocked before. */
  add(owner: BareJid, jids: readonly string[]): Promise<string[]>;
  /** Removes JIDs, or all of them when `jids` is `undefined`. @returns Those that were removed. */
  remove(owner: BareJid, jids: readonly string[] | undefined): Promise<string[]>;
}

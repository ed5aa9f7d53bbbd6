/**
 * Rosters (RFC 6121 §2) and pending inbound subscription requests (RFC 6121 §3.1.3).
 *
 * @module
 */
import type { BareJid } from "../jid/jid.ts";

/** The subscription states of RFC 6121 §2.1.2.5. */
export type Subscription = "none" | "to" | "from" | "both";

/** One contact on a roster. */
export interface RosterItem {
  /** The contact's bare JID. */
  readonly jid: BareJid;
  /** Display name set by the user. */
  readonly name?: string;
  /** Groups, without duplicates. */
  readonly groups: readonly string[];
  /** The subscription state. */
  readonly subscription: Subscription;
  /** An outbound subscription request is pending (RFC 6121 §2.1.2.2, `ask="subscribe"`). */
  readonly ask: boolean;
  /** The user pre-approved the contact's subscription (RFC 6121 §3.4). */
  readonly approved: boolean;
  /**
   * The item comes from the host application's `RosterProvider` (#15): clients cannot change or
   * remove it. Stores never keep it.
   */
  readonly locked?: boolean;
}

/** A whole roster with its version (RFC 6121 §2.6). */
export interface Roster {
  /** Opaque version string; changes with every change of the roster. */
  readonly version: string;
  /** The items, in no particular order. */
  readonly items: readonly RosterItem[];
}

/** What changed in a roster since a version, for roster versioning (RFC 6121 §2.6.3). */
export interface RosterDelta {
  /** The current version. */
  readonly version: string;
  /** Items added or changed since, in the order they changed. */
  readonly changed: readonly RosterItem[];
  /** Contacts removed since. */
  readonly removed: readonly BareJid[];
}

/** A stored inbound subscription request, re-delivered at every login until answered. */
export interface PendingSubscription {
  /** Who asked. */
  readonly from: BareJid;
  /** The request as received (serialized XML), extensions kept (RFC 6121 §3.1.3). */
  readonly stanza: string;
}

/**
 * One change of {@linkcode RosterStore.apply}: what `setItem`, `removeItem`, `addPending` and
 * `removePending` do, as data.
 */
export type RosterOp =
  | { readonly op: "set"; readonly owner: BareJid; readonly item: RosterItem }
  | { readonly op: "remove"; readonly owner: BareJid; readonly contact: BareJid }
  | { readonly op: "addPending"; readonly owner: BareJid; readonly pending: PendingSubscription }
  | { readonly op: "removePending"; readonly owner: BareJid; readonly from: BareJid };

/** The outcome of one {@linkcode RosterOp}. */
export interface RosterOpResult {
  /**
   * Whether it changed something: always for `set` and `addPending`; for `remove` and
   * `removePending`, whether there was something to remove.
   */
  readonly changed: boolean;
  /** The owner's new roster version, after a `set` or a `remove` that changed the roster. */
  readonly version?: string;
}

/** Stores rosters, keyed by the owner's bare JID. Every write is durable when it resolves. */
export interface RosterStore {
  /** The owner's roster (an empty roster with version "0" when there is none). */
  get(owner: BareJid): Promise<Roster>;
  /** One item, or `undefined`. */
  getItem(owner: BareJid, contact: BareJid): Promise<RosterItem | undefined>;
  /**
   * What each of `owners` has on its roster about `contact`, in one query (a login's probes,
   * PEP access checks). Owners with no such item are left out.
   */
  itemsAbout(contact: BareJid, owners: readonly BareJid[]): Promise<Map<BareJid, RosterItem>>;
  /** Adds or replaces an item. @returns The new roster version. */
  setItem(owner: BareJid, item: RosterItem): Promise<string>;
  /** Removes an item. @returns The new roster version, or `undefined` when there was none. */
  removeItem(owner: BareJid, contact: BareJid): Promise<string | undefined>;
  /**
   * The changes since a version, or `undefined` when they cannot be told (unknown or too old
   * version: the caller sends the whole roster).
   */
  changesSince(owner: BareJid, version: string): Promise<RosterDelta | undefined>;
  /** How many items the roster has. */
  count(owner: BareJid): Promise<number>;
  /** Stores (or replaces) a pending inbound subscription request. */
  addPending(owner: BareJid, pending: PendingSubscription): Promise<void>;
  /** Removes a pending request. @returns `false` when there was none. */
  removePending(owner: BareJid, from: BareJid): Promise<boolean>;
  /** The pending requests, oldest first. */
  listPending(owner: BareJid): Promise<PendingSubscription[]>;
  /**
   * Applies changes to one or more rosters in one transaction: all or none (both sides of a
   * subscription change, RFC 6121 §3). Changes of one owner apply in the given order.
   * @returns One result per op, in the same order.
   */
  apply(ops: readonly RosterOp[]): Promise<RosterOpResult[]>;
  /** Removes everything of an owner (account deletion). */
  removeAll(owner: BareJid): Promise<void>;
}

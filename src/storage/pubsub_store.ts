/**
 * Publish-subscribe nodes and items (XEP-0060), used by PEP (XEP-0163) per account.
 *
 * @module
 */
import type { BareJid } from "../jid/jid.ts";

/** A node's configuration as XEP-0060 form fields, e.g. `pubsub#access_model`. */
export type NodeConfig = Readonly<Record<string, string>>;

/** One published item. */
export interface PubsubItem {
  /** The item id. */
  readonly id: string;
  /** The payload (serialized XML). */
  readonly payload: string;
  /** Who published it (full JID). */
  readonly publisher: string;
  /** When it was published. */
  readonly stamp: Date;
}

/** The newest item of a node, with the node's configuration (for its access model). */
export interface LastPublished {
  /** The service owner. */
  readonly owner: BareJid;
  /** The node. */
  readonly node: string;
  /** The node's configuration. */
  readonly config: NodeConfig;
  /** The newest item. */
  readonly item: PubsubItem;
}

/** Stores nodes and items, keyed by the service owner (an account for PEP). */
export interface PubsubStore {
  /** The names of the owner's nodes, sorted. */
  listNodes(owner: BareJid): Promise<string[]>;
  /** A node's configuration, or `undefined` when the node does not exist. */
  getNode(owner: BareJid, node: string): Promise<NodeConfig | undefined>;
  /** Creates a node or replaces its configuration. */
  setNode(owner: BareJid, node: string, config: NodeConfig): Promise<void>;
  /** Deletes a node and its items. @returns `false` when it did not exist. */
  deleteNode(owner: BareJid, node: string): Promise<boolean>;
  /**
   * Publishes (or replaces) an item, then keeps at most `maxItems` newest items.
   */
  publish(owner: BareJid, node: string, item: PubsubItem, maxItems: number): Promise<void>;
  /** Items, newest first: those with the given ids, or at most `max`. */
  getItems(
    owner: BareJid,
    node: string,
    options?: { readonly ids?: readonly string[]; readonly max?: number },
  ): Promise<PubsubItem[]>;
  /**
   * The newest item of each of `nodes` of each of `owners`, in one query (XEP-0163 §4.3.2:
   * the last items a new resource gets at login). Nodes that do not exist or have no items are
   * left out; no particular order.
   */
  lastItems(owners: readonly BareJid[], nodes: readonly string[]): Promise<LastPublished[]>;
  /** Removes an item. @returns `false` when it did not exist. */
  retract(owner: BareJid, node: string, id: string): Promise<boolean>;
  /** Removes everything of an owner. */
  removeAll(owner: BareJid): Promise<void>;
}

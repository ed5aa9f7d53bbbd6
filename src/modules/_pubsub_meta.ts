// Private to the pubsub module: who belongs to a node of the XEP-0060 service (affiliations,
// §4.1) and who hears of it (subscriptions, §4.2), kept in one document per node, and the
// access rules of XEP-0060 §4.1 and §6.1.3 that follow from them.
import type { ModuleApi } from "../module/module_api.ts";
import type { Jid } from "../jid/jid.ts";
import { type DocumentCollection, documentCollection } from "../storage/document_collection.ts";
import type { NodeConfig } from "../storage/pubsub_store.ts";
import { pubsubError } from "./_pep_config.ts";

/** XEP-0060 §4.1 affiliations. */
export type Affiliation = "owner" | "publisher" | "member" | "none" | "outcast";

/** The affiliations a node owner may set (XEP-0060 §8.9.2). */
export const AFFILIATIONS: readonly Affiliation[] = [
  "owner",
  "publisher",
  "member",
  "none",
  "outcast",
];

/** One subscription (XEP-0060 §4.2): to a bare or full JID, with its options. */
export interface Subscription {
  /** The subscribed JID, as given in the subscribe request. */
  readonly jid: string;
  /** Its subid. */
  readonly subid: string;
  /** `pubsub#deliver` (XEP-0060 §6.3): `false` pauses notifications. */
  readonly deliver: boolean;
}

/** Affiliations and subscriptions of one node. */
export interface NodeMeta {
  /** Affiliations other than "none", by bare JID. */
  readonly affiliations: Readonly<Record<string, Affiliation>>;
  /** Subscriptions, at most one per JID. */
  readonly subscriptions: readonly Subscription[];
}

/** The documents of a service's nodes: one per node, keyed by node name. */
export function metaCollection(api: ModuleApi, service: string): DocumentCollection<NodeMeta> {
  return documentCollection<NodeMeta>(api.storage, `pubsub:${service}`);
}

/** A JID's affiliation with a node. */
export function affiliationOf(meta: NodeMeta, jid: Jid): Affiliation {
  return meta.affiliations[jid.bare] ?? "none";
}

/** XEP-0060 §8: only owners manage a node; others get <forbidden/>. */
export function requireOwner(meta: NodeMeta, jid: Jid): void {
  if (affiliationOf(meta, jid) !== "owner") throw pubsubError("forbidden", "auth");
}

/**
 * XEP-0060 §6.1.3 and §6.5.9: whether `jid` may subscribe and read items. Outcasts get
 * <forbidden/>; on a whitelist node, who is not owner, publisher or member gets
 * <not-allowed/> with <closed-node/>.
 */
export function requireAccess(meta: NodeMeta, config: NodeConfig, jid: Jid): void {
  const affiliation = affiliationOf(meta, jid);
  if (affiliation === "outcast") throw pubsubError("forbidden", "auth");
  if (config["pubsub#access_model"] === "whitelist" && affiliation === "none") {
    throw pubsubError("not-allowed", "cancel", "closed-node");
  }
}

/** Whether `jid` may read the node (for disco#items and entity lists). */
export function mayAccess(meta: NodeMeta, config: NodeConfig, jid: Jid): boolean {
  try {
    requireAccess(meta, config, jid);
    return true;
  } catch {
    return false;
  }
}

/** XEP-0060 §7.1.3.1: whether `jid` may publish, by the node's publish model. */
export function requirePublisher(meta: NodeMeta, config: NodeConfig, jid: Jid): void {
  const affiliation = affiliationOf(meta, jid);
  if (affiliation === "owner" || affiliation === "publisher") return;
  const model = config["pubsub#publish_model"] ?? "publishers";
  if (affiliation !== "outcast") {
    if (model === "open") return;
    const mine = (s: Subscription) => s.jid === jid.bare || s.jid.startsWith(`${jid.bare}/`);
    if (model === "subscribers" && meta.subscriptions.some(mine)) return;
  }
  throw pubsubError("forbidden", "auth");
}

/** The subscription of a JID (exactly as subscribed), if any. */
export function subscriptionOf(meta: NodeMeta, jid: string): Subscription | undefined {
  return meta.subscriptions.find((s) => s.jid === jid);
}

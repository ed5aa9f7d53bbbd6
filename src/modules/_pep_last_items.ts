// Private to the PEP module: which last items a new resource gets at login (XEP-0163 §4.3.2,
// §6.2), read in a bounded number of queries: the user's roster (shared with presence and
// blocking), one pubsub query for the newest item of every wanted node of every owner, and at
// most one roster query for the presence subscriptions that presence-model nodes need.
import type { ModuleApi } from "../module/module_api.ts";
import type { BareJid, FullJid } from "../jid/jid.ts";
import { parseJid } from "../jid/jid.ts";
import type { LastPublished, NodeConfig } from "../storage/pubsub_store.ts";
import type { Roster } from "../storage/roster_store.ts";
import { DEFAULT_CONFIG } from "./_pep_config.ts";
import { sessionRoster } from "./_session_roster.ts";
import { hasFrom, hasTo } from "./subscription_states.ts";

const NOTIFY = "+notify";

/** The node's access model (XEP-0060 §4.5). */
export function accessModel(config: NodeConfig): string {
  return config["pubsub#access_model"] ?? DEFAULT_CONFIG["pubsub#access_model"];
}

/** The domain of a prepared bare JID (a localpart never holds "@", RFC 7622 §3.3.1). */
export function domainOf(jid: BareJid): string {
  return jid.slice(jid.indexOf("@") + 1);
}

/** The nodes a client's XEP-0115 features ask events of (`<node>+notify`, XEP-0163 §4.3.1). */
export function notifyNodes(features: ReadonlySet<string>): string[] {
  const nodes: string[] = [];
  for (const f of features) {
    if (f.endsWith(NOTIFY) && f.length > NOTIFY.length) nodes.push(f.slice(0, -NOTIFY.length));
  }
  return nodes;
}

/** The roster of the resource's account: the login's shared read when the session is here. */
async function rosterOf(api: ModuleApi, full: string): Promise<Roster> {
  const jid = parseJid(full);
  const ref = await api.router.session(jid.full as FullJid);
  const session = ref && api.router.local(ref);
  return session ? await sessionRoster(api, session) : await api.storage.roster.get(jid.bare);
}

/** The user, then the local contacts whose presence the user receives (XEP-0163 §4.3.2). */
function ownersFor(api: ModuleApi, user: BareJid, roster: Roster): BareJid[] {
  const owners = [user];
  for (const item of roster.items) {
    if (hasTo(item.subscription) && api.router.isLocal(domainOf(item.jid))) owners.push(item.jid);
  }
  return owners;
}

/**
 * Keeps what `user` may be sent: not `send_last_published_item` never; open nodes, the user's
 * own nodes, and presence-model nodes of owners whose roster gives the user a presence
 * subscription (XEP-0060 §6.5.9, asked of all such owners in one query); never a whitelist.
 */
async function allowed(
  api: ModuleApi,
  user: BareJid,
  found: readonly LastPublished[],
): Promise<LastPublished[]> {
  const sent = found.filter((l) => l.config["pubsub#send_last_published_item"] !== "never");
  const asking = new Set<BareJid>();
  for (const l of sent) {
    if (l.owner !== user && accessModel(l.config) === "presence") asking.add(l.owner);
  }
  const about = asking.size > 0
    ? await api.storage.roster.itemsAbout(user, [...asking])
    : new Map<BareJid, never>();
  return sent.filter((l) => {
    if (l.owner === user) return true;
    const model = accessModel(l.config);
    if (model === "open") return true;
    return model === "presence" && hasFrom(about.get(l.owner)?.subscription);
  });
}

/**
 * The last items a new resource gets, in the order owners stand (the user first, then the
 * roster's order) and node names sort.
 *
 * @param api The module API.
 * @param full The resource.
 * @param features Its XEP-0115 features.
 * @param given For a remote resource: the local accounts it follows (instead of its roster).
 * @returns The items to send.
 */
export async function lastItemsFor(
  api: ModuleApi,
  full: string,
  features: ReadonlySet<string>,
  given?: readonly BareJid[],
): Promise<LastPublished[]> {
  const nodes = notifyNodes(features);
  if (nodes.length === 0) return [];
  const user = parseJid(full).bare;
  const owners = given ? [...given] : ownersFor(api, user, await rosterOf(api, full));
  const found = await api.storage.pubsub.lastItems(owners, nodes);
  const rank = new Map(owners.map((o, i) => [o, i]));
  return (await allowed(api, user, found)).sort((a, b) =>
    rank.get(a.owner)! - rank.get(b.owner)! || (a.node < b.node ? -1 : a.node > b.node ? 1 : 0)
  );
}

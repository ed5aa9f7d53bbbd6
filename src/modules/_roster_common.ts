// Helpers shared by the roster, subscription, presence and offline modules (private).
import type { ModuleApi } from "../hooks/module_api.ts";
import type { BareJid } from "../jid/jid.ts";
import type { LocalSession } from "../router/local_session.ts";
import type { RosterItem } from "../storage/roster_store.ts";
import { type Element, xml } from "../xml/element.ts";
import { NS } from "../xml/ns.ts";

/** session.data key: the session requested the roster (an "interested resource", §2.2). */
export const INTERESTED = "roster:interested";

/** The `<item/>` of a roster result or push (RFC 6121 §2.1.2). */
export function itemElement(item: RosterItem): Element {
  return xml(
    "item",
    {
      jid: item.jid,
      name: item.name,
      subscription: item.subscription,
      ask: item.ask ? "subscribe" : undefined,
      approved: item.approved ? "true" : undefined,
    },
    item.groups.map((g) => xml("group", null, g)),
  );
}

let pushSeq = 0;

/**
 * Sends a roster push to every interested resource of `owner` (RFC 6121 §2.1.6), carrying the
 * new version (§2.6.3).
 */
export async function pushItem(
  api: ModuleApi,
  owner: BareJid,
  item: Element,
  version: string | undefined,
): Promise<void> {
  for (const s of api.router.sessions(owner)) {
    if (!s.data.get(INTERESTED)) continue;
    await api.router.route(
      xml(
        "iq",
        { xmlns: NS.CLIENT, type: "set", id: `push-${++pushSeq}`, from: owner, to: s.jid },
        xml("query", { xmlns: NS.ROSTER, ver: version }, item),
      ),
    );
  }
}

/** A roster item of `owner` changed: push it. */
export async function pushRosterItem(
  api: ModuleApi,
  owner: BareJid,
  item: RosterItem,
  version: string,
): Promise<void> {
  await pushItem(api, owner, itemElement(item), version);
}

/** The available sessions of an account (those that sent initial presence). */
export function availableSessions(api: ModuleApi, owner: BareJid): LocalSession[] {
  return api.router.sessions(owner).filter((s) => s.presence !== undefined);
}

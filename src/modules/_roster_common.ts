// Helpers shared by the roster, subscription, presence and offline modules (private).
import type { ModuleApi } from "../module/module_api.ts";
import type { BareJid } from "../jid/jid.ts";
import type { SessionRef } from "../base/session.ts";
import type { RosterItem } from "../storage/roster_store.ts";
import { type Element, xml } from "../xml/element.ts";
import { NS } from "../xml/ns.ts";
import { pushToInterested } from "./_push.ts";
import { forgetRoster } from "./_session_roster.ts";
import { rosterItemElement } from "./roster_item_xml.ts";

/** session.data key: the session requested the roster (an "interested resource", §2.2). */
export const INTERESTED = "roster:interested";

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
  await forgetRoster(api, owner);
  return pushToInterested(
    api,
    owner,
    INTERESTED,
    xml("query", { xmlns: NS.ROSTER, ver: version }, item),
  );
}

/** A roster item of `owner` changed: push it. */
export function pushRosterItem(
  api: ModuleApi,
  owner: BareJid,
  item: RosterItem,
  version: string,
): Promise<void> {
  return pushItem(api, owner, rosterItemElement(item), version);
}

/** The available sessions of an account (those that sent initial presence). */
export async function availableSessions(
  api: ModuleApi,
  owner: BareJid,
): Promise<SessionRef[]> {
  return (await api.router.sessions(owner)).filter((s) => s.presence !== undefined);
}

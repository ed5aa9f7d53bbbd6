// The host application's contacts changed (#15, `XmppServer.rosterChanged`): roster pushes
// (RFC 6121 §2.1.6) and the presence a new mutual subscription would exchange (§3.1.5).
import type { ProvidedRosterEvent } from "../hooks/server_hooks.ts";
import type { ModuleApi } from "../module/module_api.ts";
import type { BareJid } from "../jid/jid.ts";
import { withAttrs, xml } from "../xml/element.ts";
import { NS } from "../xml/ns.ts";
import { availableSessions, pushItem, pushRosterItem } from "./_roster_common.ts";

/** Tells each available resource's presence to `contact`, or that it is gone. */
async function tellPresence(api: ModuleApi, owner: BareJid, contact: BareJid, gone: boolean) {
  for (const s of await availableSessions(api, owner)) {
    const stanza = gone || !s.presence
      ? xml("presence", { xmlns: NS.CLIENT, type: "unavailable" })
      : s.presence;
    await api.router.route(withAttrs(stanza, { from: s.jid, to: contact }));
  }
}

/** Pushes the changed items, and sends presence to new contacts, unavailable to old ones. */
export async function onProvidedRoster(api: ModuleApi, ev: ProvidedRosterEvent): Promise<void> {
  for (const item of ev.changed) {
    await pushRosterItem(api, ev.jid, item, ev.version);
    await tellPresence(api, ev.jid, item.jid, false);
  }
  for (const jid of ev.removed) {
    await pushItem(api, ev.jid, xml("item", { jid, subscription: "remove" }), ev.version);
    await tellPresence(api, ev.jid, jid, true);
  }
}

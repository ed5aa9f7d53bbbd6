// Pushes: iq "set" stanzas from an account to its own resources (private).
import type { ModuleApi } from "../module/module_api.ts";
import type { BareJid, FullJid } from "../jid/jid.ts";
import { type Element, xml } from "../xml/element.ts";
import { NS } from "../xml/ns.ts";

/** A push of `payload` from the account `owner` to its resource `to`, with a new id. */
export function pushIq(api: ModuleApi, owner: BareJid, to: FullJid, payload: Element): Element {
  return xml(
    "iq",
    { xmlns: NS.CLIENT, type: "set", id: `push-${api.randomId()}`, from: owner, to },
    payload,
  );
}

/**
 * Pushes `payload` to every session of `owner` that has `sessionDataKey` set in its data (the
 * resources that asked for the list: RFC 6121 §2.1.6, XEP-0191 §3.3), written to each session
 * directly.
 */
export async function pushToInterested(
  api: ModuleApi,
  owner: BareJid,
  sessionDataKey: string,
  payload: Element,
): Promise<void> {
  for (const ref of await api.router.sessions(owner)) {
    const s = api.router.local(ref);
    if (s?.data.get(sessionDataKey)) await s.send(pushIq(api, owner, s.jid, payload));
  }
}

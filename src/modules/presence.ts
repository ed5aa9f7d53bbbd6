/**
 * RFC 6121 §4 presence: broadcast to subscribers and the user's own resources, probes at
 * initial presence and their answers, directed presence remembered until unavailable, and
 * unavailable presence when a session ends without it.
 *
 * @module
 */
import { HANDLED } from "../hooks/hook_registry.ts";
import type { ModuleApi, XmppModule } from "../module/module_api.ts";
import type { PresenceEvent, StanzaEvent } from "../hooks/server_hooks.ts";
import type { BareJid } from "../jid/jid.ts";
import type { Session } from "../base/session.ts";
import { type Element, withAttrs, xml } from "../xml/element.ts";
import { NS } from "../xml/ns.ts";
import { hasFrom, hasTo } from "./subscription_states.ts";
import type { RosterItem } from "../storage/roster_store.ts";
import { loadXml } from "../storage/stored_xml.ts";
import { availableSessions } from "./_roster_common.ts";
import { sessionRoster } from "./_session_roster.ts";

// session.data key: full JIDs that got directed presence (§4.6).
const DIRECTED = "presence:directed";

function directed(session: Session): Set<string> {
  let set = session.data.get(DIRECTED) as Set<string> | undefined;
  if (!set) {
    set = new Set();
    session.data.set(DIRECTED, set);
  }
  return set;
}

function contacts(items: readonly RosterItem[], want: "from" | "to"): BareJid[] {
  const has = want === "from" ? hasFrom : hasTo;
  return items.filter((i) => has(i.subscription)).map((i) => i.jid);
}

/** §4.2.2, §4.4.2, §4.5.2: to subscribers, the user's own available resources, and (for
 * unavailable) everyone who got directed presence. `roster` is the user's, when already loaded. */
async function broadcast(
  api: ModuleApi,
  session: Session,
  stanza: Element,
  roster?: readonly RosterItem[],
): Promise<void> {
  const user = session.bare;
  const sent = new Set<string>();
  const items = roster ?? (await sessionRoster(api, session)).items;
  for (const jid of contacts(items, "from")) {
    sent.add(jid);
    await api.router.route(withAttrs(stanza, { from: session.jid, to: jid }));
  }
  await api.router.route(withAttrs(stanza, { from: session.jid, to: user }));
  if (stanza.attrs.type === "unavailable") {
    for (const jid of directed(session)) {
      if (!sent.has(jid)) {
        await api.router.route(withAttrs(stanza, { from: session.jid, to: jid }));
      }
    }
    directed(session).clear();
  }
}

/** A stored subscription request, or `undefined` (logged) when it cannot be parsed back. */
function readPending(api: ModuleApi, user: BareJid, stored: string): Element | undefined {
  try {
    return loadXml(stored);
  } catch (e) {
    api.logger.warn("Cannot read a stored subscription request; skipping it", {
      jid: user,
      error: e instanceof Error ? e.message : String(e),
    });
    return undefined;
  }
}

async function onBroadcast(api: ModuleApi, ev: PresenceEvent): Promise<void> {
  const session = ev.origin;
  if (!session || ev.stanza.attrs.to !== undefined) return;
  const type = ev.stanza.attrs.type;
  // The session's presence is the one record of its availability (the router keeps it).
  const wasAvailable = ev.previous.presence !== undefined;
  if (type === undefined) {
    const { items } = await sessionRoster(api, session);
    await broadcast(api, session, ev.stanza, items);
    if (wasAvailable) return;
    // §4.2.2: the user is implicitly subscribed to itself: the new resource learns of the
    // user's other available resources as it would of a contact's.
    for (const s of await availableSessions(api, session.bare)) {
      if (s.id !== session.id) {
        await session.send(withAttrs(s.presence!, { from: s.jid, to: session.jid }));
      }
    }
    await probe(api, session, contacts(items, "to"));
    // §3.1.3: subscription requests still unanswered are delivered again.
    for (const p of await api.storage.roster.listPending(session.bare)) {
      const request = readPending(api, session.bare, p.stanza);
      if (request) await session.send(withAttrs(request, { to: session.bare }));
    }
  } else if (type === "unavailable") {
    if (!wasAvailable && directed(session).size === 0) return;
    await broadcast(api, session, ev.stanza);
    // §4.5.2: the resource that sent unavailable presence gets it too, like the user's other
    // resources (routing to the bare JID reaches only the resources still available).
    if (wasAvailable) {
      await session.send(withAttrs(ev.stanza, { from: session.jid, to: session.bare }));
    }
  }
}

/**
 * §4.2.2: initial presence probes the contacts the user is subscribed to, from the full JID of
 * the new resource, so that the answers (§4.3.2) go to it alone and the user's other resources,
 * which already know, do not get the contacts' presence again. Local contacts are answered at
 * once, with one roster query for all of them; the answers are routed (blocking applies).
 */
async function probe(api: ModuleApi, session: Session, jids: readonly BareJid[]): Promise<void> {
  const local: BareJid[] = [];
  for (const jid of jids) {
    if (api.router.isLocal(jid.slice(jid.indexOf("@") + 1))) local.push(jid);
    else {
      await api.router.route(
        xml("presence", { xmlns: NS.CLIENT, type: "probe", from: session.jid, to: jid }),
      );
    }
  }
  if (local.length === 0) return;
  const about = await api.storage.roster.itemsAbout(session.bare, local);
  for (const contact of local) {
    // Not a subscriber (or no such account): presence is not revealed.
    if (hasFrom(about.get(contact)?.subscription)) await answer(api, contact, session.jid);
  }
}

/** §4.3.2: the contact's available presences, or unavailable, to the prober. */
async function answer(api: ModuleApi, contact: BareJid, prober: string): Promise<void> {
  const available = await availableSessions(api, contact);
  if (available.length === 0) {
    // §4.3.2: to the probing resource (or the account, when the probe came from a bare JID).
    await api.router.route(
      xml("presence", { xmlns: NS.CLIENT, type: "unavailable", from: contact, to: prober }),
    );
    return;
  }
  for (const s of available) {
    await api.router.route(withAttrs(s.presence!, { from: s.jid, to: prober }));
  }
}

/** §4.3.2: the contact's server answers a probe from a subscriber. */
async function answerProbe(api: ModuleApi, ev: StanzaEvent): Promise<void> {
  const prober = ev.from.bare;
  const contact = ev.to.bare;
  if (prober !== contact) {
    if (!await api.accountExists(contact)) return;
    const item = await api.storage.roster.getItem(contact, prober);
    // Not a subscriber: presence is not revealed.
    if (!hasFrom(item?.subscription)) return;
  }
  await answer(api, contact, ev.from.full);
}

async function onDirected(api: ModuleApi, ev: StanzaEvent): Promise<typeof HANDLED | void> {
  const type = ev.stanza.attrs.type;
  if (type === "probe") {
    await answerProbe(api, ev);
    return HANDLED;
  }
  const session = ev.origin;
  if (!session || ev.to.bare === session.bare) return;
  if (type === undefined) {
    // §4.6.2: remember directed presence to someone who does not get the broadcasts.
    const item = await api.storage.roster.getItem(session.bare, ev.to.bare);
    if (item?.subscription !== "from" && item?.subscription !== "both") {
      directed(session).add(ev.to.full);
    }
  } else if (type === "unavailable") {
    directed(session).delete(ev.to.full);
  }
}

/**
 * The presence module (RFC 6121 §4).
 *
 * @returns The module.
 * @example
 * ```ts
 * import { testServer } from "../testing/mod.ts";
 * import { xml } from "../xml/element.ts";
 * // Loaded by default (RFC 6121 §4): a resource learns of the account's other resources.
 * const t = await testServer({ users: ["a@localhost"] });
 * await t.connect("a@localhost/one");
 * const two = await t.connect("a@localhost/two");
 * await two.next((el) => el.name === "presence" && el.attrs.from === "a@localhost/one");
 * await t.close();
 * ```
 */
export function presence(): XmppModule {
  return {
    name: "presence",
    specs: ["RFC 6121"],
    setup(api) {
      api.hook("presence/server", (ev) => onBroadcast(api, ev));
      api.hook("presence/bare", (ev) => onDirected(api, ev));
      api.hook("presence/full", (ev) => onDirected(api, ev));
      // Federation: directed presence from a local user to a remote JID is remembered too
      // (a probe from a local user is the remote server's to answer).
      api.hook(
        "stanza/remote",
        (ev) =>
          ev.origin && ev.stanza.name === "presence" && ev.stanza.attrs.type !== "probe"
            ? onDirected(api, ev)
            : undefined,
      );
      // §4.5.2: a session that ends without unavailable presence still sends it.
      api.hook("session/closed", async ({ session }) => {
        if (session.presence === undefined && directed(session).size === 0) return;
        const stanza = xml("presence", {
          xmlns: NS.CLIENT,
          type: "unavailable",
          from: session.jid,
        });
        await broadcast(api, session, stanza);
      });
    },
  };
}

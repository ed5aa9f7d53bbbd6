/**
 * XEP-0191 Blocking Command: a per-account block list, enforced in the "stanza/route" hook.
 *
 * @module
 */
import { HANDLED } from "../hooks/hook_registry.ts";
import type { ModuleApi, XmppModule } from "../module/module_api.ts";
import type { StanzaEvent } from "../hooks/server_hooks.ts";
import { type BareJid, type Jid, tryParseJid } from "../jid/jid.ts";
import { errorReply, StanzaError } from "../base/stanza_error.ts";
import { type Element, elements, xml } from "../xml/element.ts";
import { NS } from "../xml/ns.ts";
import { hasFrom } from "./subscription_states.ts";
import { setBounded } from "../util/bounded_map.ts";
import { pushToInterested } from "./_push.ts";
import { sessionRoster } from "./_session_roster.ts";

const REQUESTED = "blocking:requested";
/**
 * Stanzas this module itself sends from a user to a blocked contact on another server (the
 * §3.3 unavailable presence, the §3.4 errors): routed, they pass the block list.
 */
const ours = new WeakSet<Element>();
const MAX_CACHED = 10_000;

/**
 * Whether a block list matches a JID, in the order of XEP-0016 §2.1 (which XEP-0191 §3.4
 * refers to): full JID, bare JID, domain/resource, domain.
 *
 * @param list The blocked JIDs.
 * @param jid The JID to test.
 * @returns `true` when one of the list's entries matches.
 * @example
 * ```ts
 * import { blockMatches } from "./blocking.ts";
 * import { parseJid } from "../jid/jid.ts";
 * if (!blockMatches(new Set(["evil.example"]), parseJid("a@evil.example/r"))) throw new Error();
 * ```
 */
export function blockMatches(list: ReadonlySet<string>, jid: Jid): boolean {
  if (list.size === 0) return false;
  return list.has(jid.full) || list.has(jid.bare) || list.has(jid.domain) ||
    (jid.resource !== "" && list.has(`${jid.domain}/${jid.resource}`));
}

/** Parses the `<item jid/>` children of a block or unblock request (XEP-0191 §3.3). */
function itemJids(payload: Element): string[] {
  return elements(payload, "item", NS.BLOCKING).map((item) => {
    const parsed = item.attrs.jid === undefined ? undefined : tryParseJid(item.attrs.jid);
    if (!parsed) throw new StanzaError("jid-malformed", "modify", "Cannot block a malformed JID");
    return parsed.full;
  });
}

function items(jids: readonly string[]): Element[] {
  return jids.map((jid) => xml("item", { jid }));
}

/**
 * The blocking module.
 *
 * @returns The module.
 * @example
 * ```ts
 * import { blocking } from "./blocking.ts";
 * import { testServer } from "../testing/mod.ts";
 * import { child, xml } from "../xml/element.ts";
 * const t = await testServer({ builtinModules: false, modules: [blocking()], users: ["a@localhost"] });
 * const a = await t.connect("a@localhost/r");
 * await a.iq(xml("iq", { type: "set" }, xml("block", { xmlns: "urn:xmpp:blocking" }, xml("item", { jid: "spam@example.org" }))));
 * const list = await a.iq(xml("iq", { type: "get" }, xml("blocklist", { xmlns: "urn:xmpp:blocking" })));
 * if (child(child(list, "blocklist")!, "item")?.attrs.jid !== "spam@example.org") throw new Error();
 * await t.close();
 * ```
 */
export function blocking(): XmppModule {
  return {
    name: "blocking",
    specs: ["XEP-0191"],
    setup(api) {
      const lists = new BlockLists(api);
      api.feature(NS.BLOCKING);
      api.iq("get", NS.BLOCKING, "blocklist", async (ev) => {
        const me = owner(ev);
        ev.origin?.data.set(REQUESTED, true);
        return xml("blocklist", { xmlns: NS.BLOCKING }, items([...await lists.get(me)].sort()));
      });
      api.iq("set", NS.BLOCKING, "block", (ev) => lists.block(owner(ev), itemJids(ev.payload)));
      api.iq("set", NS.BLOCKING, "unblock", (ev) => lists.unblock(owner(ev), itemJids(ev.payload)));
      api.hook("stanza/route", (ev) => enforce(api, ev, (jid) => lists.get(jid)), {
        priority: 100,
      });
      // A login's broadcast and probes reach every contact: their block lists are read with
      // one query (the user's roster is the one the presence module reads too).
      api.hook("presence/server", async ({ origin, stanza, previous }) => {
        if (!origin || stanza.attrs.type !== undefined || previous.presence) return;
        const { items } = await sessionRoster(api, origin);
        await lists.preload([origin.bare, ...items.map((i) => i.jid)]);
      }, { priority: 10 });
      // A login re-reads the list, so changes made elsewhere (account removal and re-creation,
      // an import, another node) are picked up.
      api.hook("session/bound", ({ session }) => lists.forget(session.bare));
    },
  };
}

function owner(ev: StanzaEvent): BareJid {
  if (!ev.from.local) throw new StanzaError("service-unavailable", "cancel");
  return ev.from.bare;
}

/** The block lists of local accounts, cached (the oldest evicted past MAX_CACHED). */
class BlockLists {
  readonly #api: ModuleApi;
  readonly #cache = new Map<BareJid, ReadonlySet<string>>();

  constructor(api: ModuleApi) {
    this.#api = api;
  }

  async get(owner: BareJid): Promise<ReadonlySet<string>> {
    const hit = this.#cache.get(owner);
    if (hit) return hit;
    const loaded = new Set(await this.#api.storage.blocklist.list(owner));
    // Evict the oldest, not everything: stanzas to many JIDs must not flush every list.
    setBounded(this.#cache, owner, loaded, MAX_CACHED);
    return loaded;
  }

  /** Reads the lists of local accounts not cached yet, in one query. */
  async preload(jids: readonly BareJid[]): Promise<void> {
    const owners = jids.filter((jid) =>
      !this.#cache.has(jid) && this.#api.router.isLocal(jid.slice(jid.indexOf("@") + 1))
    );
    if (owners.length === 0) return;
    for (const [jid, blocked] of await this.#api.storage.blocklist.listMany(owners)) {
      setBounded(this.#cache, jid, new Set(blocked), MAX_CACHED);
    }
  }

  forget(owner: BareJid): void {
    this.#cache.delete(owner);
  }

  async block(me: BareJid, jids: readonly string[]): Promise<undefined> {
    // XEP-0191 §3.3: a block without items is a bad request.
    if (jids.length === 0) throw new StanzaError("bad-request", "modify");
    const added = await this.#api.storage.blocklist.add(me, jids);
    this.#cache.set(me, new Set(await this.#api.storage.blocklist.list(me)));
    // XEP-0191 §3.3: pushed to every resource that requested the block list.
    if (added.length > 0) {
      const push = xml("block", { xmlns: NS.BLOCKING }, items(added));
      await pushToInterested(this.#api, me, REQUESTED, push);
    }
    // XEP-0191 §3.3: the contact sees the user go offline.
    for (const jid of added) await presenceTo(this.#api, me, jid, false);
    return undefined;
  }

  async unblock(me: BareJid, jids: readonly string[]): Promise<undefined> {
    // XEP-0191 §3.5: no items unblocks everyone.
    const removed = await this.#api.storage.blocklist.remove(me, jids.length ? jids : undefined);
    this.#cache.set(me, new Set(await this.#api.storage.blocklist.list(me)));
    if (removed.length > 0) {
      const push = xml("unblock", { xmlns: NS.BLOCKING }, jids.length ? items(removed) : undefined);
      await pushToInterested(this.#api, me, REQUESTED, push);
    }
    for (const jid of removed) await presenceTo(this.#api, me, jid, true);
    return undefined;
  }
}

/**
 * Sends presence of the owner's available resources to a contact (XEP-0191 §3.3, §3.5): straight
 * to a local contact's sessions, routed over s2s to a remote one.
 */
async function presenceTo(api: ModuleApi, owner: BareJid, contact: string, available: boolean) {
  const jid = tryParseJid(contact);
  if (!jid?.local) return;
  const item = await api.storage.roster.getItem(owner, jid.bare);
  if (!hasFrom(item?.subscription)) return;
  // A local contact's sessions get it straight; a remote contact's server gets it routed.
  const local = api.router.isLocal(jid.domain);
  const targets: { jid: string; send(s: Element): Promise<void> }[] = local
    ? (await api.router.sessions(jid.bare))
      .filter((s) => jid.resource === "" || s.jid === jid.full)
      .map((s) => ({ jid: s.jid, send: async (p) => await api.router.local(s)?.send(p) }))
    : [{
      jid: jid.full,
      send: async (p) => {
        ours.add(p);
        await api.router.route(p);
      },
    }];
  for (const mine of await api.router.sessions(owner)) {
    if (!mine.presence) continue;
    for (const t of targets) {
      await t.send(
        available
          ? { ...mine.presence, attrs: { ...mine.presence.attrs, from: mine.jid, to: t.jid } }
          : xml("presence", { xmlns: NS.CLIENT, type: "unavailable", from: mine.jid, to: t.jid }),
      );
    }
  }
}

async function enforce(
  api: ModuleApi,
  ev: StanzaEvent,
  list: (owner: BareJid) => Promise<ReadonlySet<string>>,
) {
  const { stanza, from, to, origin } = ev;
  if (ours.has(stanza)) return;
  const type = stanza.attrs.type;
  // The user's own JID and own server are never blocked.
  const inbound = to.local !== "" && api.router.isLocal(to.domain) &&
    from.bare !== to.bare && from.bare !== to.domain && blockMatches(await list(to.bare), from);
  const outbound = !inbound && from.local !== "" && api.router.isLocal(from.domain) &&
    to.bare !== from.bare && to.bare !== from.domain && blockMatches(await list(from.bare), to);
  if (!inbound && !outbound) return;
  const request = stanza.name === "message" ||
    (stanza.name === "iq" && (type === "get" || type === "set"));
  // Errors go straight to the sender's session: routed, they would meet the block list again.
  if (inbound && request && type !== "error") {
    // XEP-0191 §3.4: messages and iq requests get <service-unavailable/>; presence and iq
    // results are dropped without an answer.
    const error = errorReply(stanza, new StanzaError("service-unavailable", "cancel"));
    if (origin) await origin.send(error);
    else if (!api.router.isLocal(from.domain)) {
      // From another server (RFC 6121 §8.5.1 behaviour over s2s): the error is routed back.
      ours.add(error);
      await api.router.route(error);
    }
  }
  if (outbound && type !== "error" && (request || stanza.name === "presence")) {
    // XEP-0191 §3.5: the user's own stanzas to a blocked entity get <not-acceptable/> with
    // <blocked/>; what the server sends on the user's behalf is dropped.
    await origin?.send(
      errorReply(
        stanza,
        new StanzaError(
          "not-acceptable",
          "cancel",
          undefined,
          xml("blocked", { xmlns: NS.BLOCKING_ERRORS }),
        ),
      ),
    );
  }
  return HANDLED;
}

/**
 * RFC 6121 §2 roster management: get, set, remove, pushes to interested resources and roster
 * versioning (§2.6).
 *
 * @module
 */
import type { IqEvent } from "../hooks/iq_registry.ts";
import type { ModuleApi, XmppModule } from "../module/module_api.ts";
import { type BareJid, tryParseJid } from "../jid/jid.ts";
import { StanzaError } from "../base/stanza_error.ts";
import type { RosterItem } from "../storage/roster_store.ts";
import { type Element, elements, text, xml } from "../xml/element.ts";
import { NS } from "../xml/ns.ts";
import { hasFrom, hasTo } from "./subscription_states.ts";
import { pushIq } from "./_push.ts";
import { rosterItemElement } from "./roster_item_xml.ts";
import { onProvidedRoster } from "./_provided_roster.ts";
import { availableSessions, INTERESTED, pushItem, pushRosterItem } from "./_roster_common.ts";

/** Options of the roster module. */
export interface RosterOptions {
  /** Items one roster may hold; default 1000. */
  readonly maxItems?: number;
  /** Longest item name and group name, in characters; default 1023. */
  readonly maxNameLength?: number;
}

function owner(ev: IqEvent): BareJid {
  // RFC 6121 §2.1.5 / §2.3.3: a roster get or set is sent with no 'to', or to the user's own
  // bare JID; a roster of another account is none of the sender's business.
  if (ev.to.local && ev.to.bare !== ev.from.bare) {
    throw new StanzaError("forbidden", "auth", "Cannot access the roster of another account");
  }
  return ev.from.bare;
}

function parseSetItem(query: Element, maxName: number): Element {
  const items = elements(query, "item");
  // §2.3.3: exactly one item.
  if (items.length !== 1 || elements(query).length !== 1) {
    throw new StanzaError("bad-request", "modify", "A roster set needs exactly one item");
  }
  const item = items[0];
  const name = item.attrs.name;
  if (name !== undefined && name.length > maxName) {
    throw new StanzaError("not-acceptable", "modify", "The item name is too long");
  }
  const groups = elements(item, "group").map((g) => text(g));
  for (const g of groups) {
    // §2.1.2.4 and §2.3.3: an empty group, or one over the limit, is not acceptable.
    if (g.length === 0) throw new StanzaError("not-acceptable", "modify", "Empty group name");
    if (g.length > maxName) {
      throw new StanzaError("not-acceptable", "modify", "The group name is too long");
    }
  }
  if (new Set(groups).size !== groups.length) {
    throw new StanzaError("bad-request", "modify", "The item repeats a group");
  }
  return item;
}

/** An item the host application provides (#15) is read-only for clients (RFC 6121 §2.3.3). */
function notAllowed(): StanzaError {
  return new StanzaError("not-allowed", "cancel", "The application manages this contact");
}

async function removeContact(api: ModuleApi, user: BareJid, contact: BareJid): Promise<void> {
  const { roster } = api.storage;
  const item = await roster.getItem(user, contact);
  if (item?.locked) throw notAllowed();
  const hadPending = await roster.removePending(user, contact);
  // §2.5.3: removing an item that does not exist.
  if (!item) {
    if (hadPending) return;
    throw new StanzaError("item-not-found", "cancel");
  }
  const version = await roster.removeItem(user, contact);
  await pushItem(api, user, xml("item", { jid: contact, subscription: "remove" }), version);
  const to = hasTo(item.subscription);
  const from = hasFrom(item.subscription);
  // §2.5.2: the server cancels the subscriptions in both directions, as the user would.
  const send = (type: string) =>
    api.router.route(xml("presence", { xmlns: NS.CLIENT, type, from: user, to: contact }));
  if (to || item.ask) await send("unsubscribe");
  if (from || hadPending) {
    await send("unsubscribed");
    for (const s of await availableSessions(api, user)) {
      await api.router.route(
        xml("presence", { xmlns: NS.CLIENT, type: "unavailable", from: s.jid, to: contact }),
      );
    }
  }
}

async function setItem(
  api: ModuleApi,
  user: BareJid,
  query: Element,
  options: Required<RosterOptions>,
): Promise<void> {
  const el = parseSetItem(query, options.maxNameLength);
  const jid = el.attrs.jid === undefined ? undefined : tryParseJid(el.attrs.jid);
  if (!jid || jid.resource) {
    throw new StanzaError("bad-request", "modify", "The item needs a bare 'jid'");
  }
  if (el.attrs.subscription === "remove") return removeContact(api, user, jid.bare);
  // §2.1.2.5: any other 'subscription' (and 'ask', 'approved') in a set is ignored.
  const { roster } = api.storage;
  const old = await roster.getItem(user, jid.bare);
  if (old?.locked) throw notAllowed();
  if (!old && await roster.count(user) >= options.maxItems) {
    // §2.3.3: a roster set that would exceed the server's roster size limit is not allowed.
    throw new StanzaError("not-allowed", "cancel", "The roster is full");
  }
  const name = el.attrs.name;
  const item: RosterItem = {
    jid: jid.bare,
    name: name === undefined || name === "" ? undefined : name,
    groups: elements(el, "group").map((g) => text(g)),
    subscription: old?.subscription ?? "none",
    ask: old?.ask ?? false,
    approved: old?.approved ?? false,
  };
  const version = await roster.setItem(user, item);
  await pushRosterItem(api, user, item, version);
}

async function getRoster(api: ModuleApi, ev: IqEvent, user: BareJid): Promise<Element | undefined> {
  const origin = ev.origin;
  if (origin) origin.data.set(INTERESTED, true);
  const { roster } = api.storage;
  const ver = ev.payload.attrs.ver;
  if (ver !== undefined && ver !== "" && origin) {
    const delta = await roster.changesSince(user, ver);
    if (delta) {
      // §2.6.3: an empty result, then a push for each change since that version.
      const pushes = [
        ...delta.changed.map((i) => rosterItemElement(i)),
        ...delta.removed.map((jid) => xml("item", { jid, subscription: "remove" })),
      ].map((item) =>
        pushIq(
          api,
          origin.bare,
          origin.jid,
          xml("query", { xmlns: NS.ROSTER, ver: delta.version }, item),
        )
      );
      // Sent once the (empty) result is out.
      ev.afterReply(async () => {
        for (const p of pushes) await origin.send(p);
      });
      return undefined;
    }
  }
  const all = await roster.get(user);
  return xml("query", { xmlns: NS.ROSTER, ver: all.version }, all.items.map(rosterItemElement));
}

/**
 * The roster module (RFC 6121 §2).
 *
 * @param options Size limits.
 * @returns The module.
 * @example
 * ```ts
 * import { roster } from "./roster.ts";
 * import { testServer } from "../testing/mod.ts";
 * import { child, xml } from "../xml/element.ts";
 * const t = await testServer({ builtinModules: false, modules: [roster({ maxItems: 10 })], users: ["a@localhost"] });
 * const a = await t.connect("a@localhost/r");
 * await a.iq(xml("iq", { type: "set" }, xml("query", { xmlns: "jabber:iq:roster" }, xml("item", { jid: "b@localhost", name: "Bob" }))));
 * const list = await a.iq(xml("iq", { type: "get" }, xml("query", { xmlns: "jabber:iq:roster" })));
 * if (child(child(list, "query")!, "item")?.attrs.name !== "Bob") throw new Error();
 * await t.close();
 * ```
 */
export function roster(options: RosterOptions = {}): XmppModule {
  const opts: Required<RosterOptions> = {
    maxItems: options.maxItems ?? 1000,
    maxNameLength: options.maxNameLength ?? 1023,
  };
  return {
    name: "roster",
    specs: ["RFC 6121"],
    setup(api) {
      // §2.6.1: roster versioning is announced as a stream feature.
      api.streamFeature(xml("ver", { xmlns: NS.ROSTER_VER }));
      api.hook("roster/provided", (ev) => onProvidedRoster(api, ev));
      api.iq("get", NS.ROSTER, "query", (ev) => getRoster(api, ev, owner(ev)), {
        target: "account",
      });
      api.iq("set", NS.ROSTER, "query", async (ev) => {
        await setItem(api, owner(ev), ev.payload, opts);
        return undefined;
      }, { target: "account" });
    },
  };
}

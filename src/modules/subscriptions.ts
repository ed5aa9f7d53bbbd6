/**
 * RFC 6121 §3 presence subscriptions: the shell around the pure state machine of
 * `subscription_states.ts`. A subscription stanza from a local client is handled on the
 * sender's side ("outbound"), then, when the contact is local too, on the contact's side
 * ("inbound"). A stanza with no local origin (a later server-to-server link, or one this server
 * generated) gets only the inbound part.
 *
 * @module
 */
import { HANDLED } from "../hooks/hook_registry.ts";
import type { ModuleApi, XmppModule } from "../module/module_api.ts";
import type { StanzaEvent } from "../hooks/server_hooks.ts";
import type { BareJid } from "../jid/jid.ts";
import type { RosterItem, RosterOp } from "../storage/roster_store.ts";
import { type Element, withAttrs, xml } from "../xml/element.ts";
import { NS } from "../xml/ns.ts";
import { storeXml } from "../storage/stored_xml.ts";
import { availableSessions, pushRosterItem } from "./_roster_common.ts";
import {
  inbound,
  NO_SUBSCRIPTION,
  outbound,
  type SubscriptionEvent,
  type SubscriptionOutcome,
  type SubscriptionState,
} from "./subscription_states.ts";

const EVENTS = new Set(["subscribe", "subscribed", "unsubscribe", "unsubscribed"]);

async function load(
  api: ModuleApi,
  user: BareJid,
  contact: BareJid,
): Promise<{ item?: RosterItem; state: SubscriptionState }> {
  const item = await api.storage.roster.getItem(user, contact);
  const pending = await api.storage.roster.listPending(user);
  const pendingIn = pending.some((p) => p.from === contact);
  const state: SubscriptionState = item
    ? { subscription: item.subscription, pendingOut: item.ask, pendingIn, approved: item.approved }
    : { ...NO_SUBSCRIPTION, pendingIn };
  return { item, state };
}

/** What one side of a subscription change writes, and the roster item it pushes. */
interface SidePlan {
  readonly ops: RosterOp[];
  /** The item to push once written (its op is the last of `ops`). */
  readonly push?: { readonly owner: BareJid; readonly item: RosterItem };
}

/** The writes of one side: the pending request and the roster item, when they changed. */
function plan(
  user: BareJid,
  contact: BareJid,
  item: RosterItem | undefined,
  old: SubscriptionState,
  o: SubscriptionOutcome,
  request?: Element,
): SidePlan {
  const ops: RosterOp[] = [];
  if (o.state.pendingIn && request) {
    // §3.1.3: kept, with its extensions, until the user answers.
    ops.push({
      op: "addPending",
      owner: user,
      pending: { from: contact, stanza: storeXml(request) },
    });
  } else if (!o.state.pendingIn && old.pendingIn) {
    ops.push({ op: "removePending", owner: user, from: contact });
  }
  if (!o.push) return { ops };
  const next: RosterItem = {
    jid: contact,
    name: item?.name,
    groups: item?.groups ?? [],
    subscription: o.state.subscription,
    ask: o.state.pendingOut,
    approved: o.state.approved,
  };
  ops.push({ op: "set", owner: user, item: next });
  return { ops, push: { owner: user, item: next } };
}

/**
 * Writes both sides of a change in one transaction (a local contact's side too), then pushes
 * the changed roster items (RFC 6121 §2.1.6) with their new versions.
 */
async function commit(api: ModuleApi, sides: readonly SidePlan[]): Promise<void> {
  const ops = sides.flatMap((side) => side.ops);
  if (ops.length === 0) return;
  const results = await api.storage.roster.apply(ops);
  let at = 0;
  for (const side of sides) {
    at += side.ops.length;
    const version = results[at - 1]?.version;
    if (side.push && version !== undefined) {
      await pushRosterItem(api, side.push.owner, side.push.item, version);
    }
  }
}

/** Sends the user's presence (available or unavailable) from each available resource. */
async function sendPresence(
  api: ModuleApi,
  user: BareJid,
  contact: BareJid,
  kind: "available" | "unavailable",
): Promise<void> {
  for (const s of await availableSessions(api, user)) {
    const stanza = kind === "available" && s.presence
      ? withAttrs(s.presence, { from: s.jid, to: contact })
      : xml("presence", { xmlns: NS.CLIENT, type: "unavailable", from: s.jid, to: contact });
    await api.router.route(stanza);
  }
}

function stanzaOf(type: string, from: BareJid, to: BareJid, base?: Element): Element {
  // RFC 6120 §8.1.2.1, RFC 6121 §3.1.2: subscription stanzas carry bare JIDs.
  return base
    ? withAttrs(base, { from, to })
    : xml("presence", { xmlns: NS.CLIENT, type, from, to });
}

/** The contact's side of a subscription stanza: what it writes, then what it sends. */
interface InboundPlan {
  readonly side: SidePlan;
  effects(): Promise<void>;
}

async function planInbound(
  api: ModuleApi,
  stanza: Element,
  from: BareJid,
  user: BareJid,
): Promise<InboundPlan> {
  const event = stanza.attrs.type as SubscriptionEvent;
  if (!await api.accountExists(user)) {
    // RFC 6121 §3.1.3 and §8.5.1: a request to an account that does not exist is answered
    // with unsubscribed; the rest is dropped.
    return {
      side: { ops: [] },
      effects: async () => {
        if (event === "subscribe") await api.router.route(stanzaOf("unsubscribed", user, from));
      },
    };
  }
  const { item, state } = await load(api, user, from);
  const o = inbound(state, event);
  return {
    side: plan(user, from, item, state, o, event === "subscribe" ? stanza : undefined),
    async effects() {
      if (o.forward) {
        for (const s of await availableSessions(api, user)) {
          await api.router.local(s)?.send(withAttrs(stanza, { to: user }));
        }
      }
      if (o.reply) await api.router.route(stanzaOf(o.reply, user, from));
      if (o.presence) await sendPresence(api, user, from, o.presence);
    },
  };
}

async function handle(api: ModuleApi, ev: StanzaEvent): Promise<typeof HANDLED | undefined> {
  const type = ev.stanza.attrs.type;
  if (type === undefined || !EVENTS.has(type)) return;
  const event = type as SubscriptionEvent;
  const contact = ev.to.bare;
  const user = ev.from.bare;
  if (!ev.origin) {
    const inboundSide = await planInbound(api, ev.stanza, user, contact);
    await commit(api, [inboundSide.side]);
    await inboundSide.effects();
    return HANDLED;
  }
  if (contact === user) {
    // RFC 6121 §4.2.2: an entity is implicitly subscribed to its own presence, so a request
    // to oneself is answered as an existing subscription is (§3.1.3); nothing is stored.
    if (event === "subscribe") {
      await ev.origin.send(stanzaOf("subscribed", user, user));
    }
    return HANDLED;
  }
  const { item, state } = await load(api, user, contact);
  if (item?.locked) {
    // #15: the host application owns this mutual subscription (RosterProvider); a request is
    // answered as an existing subscription is (RFC 6121 §3.1.3), a cancellation ignored.
    if (event === "subscribe") await ev.origin.send(stanzaOf("subscribed", contact, user));
    return HANDLED;
  }
  const o = outbound(state, event);
  const stamped = stanzaOf(type, user, contact, ev.stanza);
  // Both rosters change in one transaction when the contact is local too.
  const local = o.forward && api.router.isLocal(ev.to.domain)
    ? await planInbound(api, stamped, user, contact)
    : undefined;
  await commit(
    api,
    local ? [plan(user, contact, item, state, o), local.side] : [
      plan(user, contact, item, state, o),
    ],
  );
  if (o.presence === "unavailable") await sendPresence(api, user, contact, "unavailable");
  if (local) await local.effects();
  // Federation: the remote server runs the inbound part.
  else if (o.forward) await api.router.route(stamped);
  // §3.1.5: after approving, the contact gets the user's current presence.
  if (o.presence === "available") await sendPresence(api, user, contact, "available");
  return HANDLED;
}

/**
 * The subscriptions module (RFC 6121 §3, Appendix A), with pre-approval (§3.4).
 *
 * @returns The module.
 * @example
 * ```ts
 * import { testServer } from "../testing/mod.ts";
 * import { xml } from "../xml/element.ts";
 * // Loaded by default with roster and presence (RFC 6121 §3).
 * const t = await testServer({ users: ["a@localhost", "b@localhost"] });
 * const a = await t.connect("a@localhost/r");
 * const b = await t.connect("b@localhost/r");
 * await a.send(xml("presence", { to: "b@localhost", type: "subscribe" }));
 * const request = await b.next((el) => el.name === "presence" && el.attrs.type === "subscribe");
 * if (request.attrs.from !== "a@localhost") throw new Error();
 * await t.close();
 * ```
 */
export function subscriptions(): XmppModule {
  return {
    name: "subscriptions",
    specs: ["RFC 6121"],
    setup(api) {
      // §3.1.2: a subscription stanza to a full JID is treated as sent to the bare JID.
      api.hook("presence/bare", (ev) => handle(api, ev));
      api.hook("presence/full", (ev) => handle(api, ev));
      // Federation: the outbound part of a local user's request to a remote contact; the stamped
      // stanza is then routed without an origin, to the remote server.
      api.hook(
        "stanza/remote",
        (ev) => ev.origin && ev.stanza.name === "presence" ? handle(api, ev) : undefined,
      );
      // §3.4: pre-approval is supported, announced in the stream features.
      api.streamFeature(xml("sub", { xmlns: NS.PRESENCE_PREAPPROVAL }));
    },
  };
}

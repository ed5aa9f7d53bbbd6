/**
 * XEP-0280 message carbons (`urn:xmpp:carbons:2`): a resource that enabled carbons gets a
 * copy of the messages its account's other resources send and receive, each wrapped in
 * `<sent/>` or `<received/>` with an XEP-0297 `<forwarded/>`.
 *
 * - Received copies: a message delivered to one full JID is copied to the account's other
 *   enabled resources (`message/full`); one to the bare JID, to those enabled resources that
 *   RFC 6121 §8.5.2.1.1 does not deliver it to (`message/bare`).
 * - Sent copies: a message a resource sends is copied to its account's other enabled
 *   resources (`stanza/route`, whatever the destination).
 * - Eligible (XEP-0280 §6): `chat`, and `normal` with a body; never `groupchat` or `error`,
 *   nor a message with `<private xmlns='urn:xmpp:carbons:2'/>` or an XEP-0334
 *   `<no-copy xmlns='urn:xmpp:hints'/>`, nor a copy of a copy. A private message addressed to
 *   a full JID from a MUC occupant (`muc#user`) is not copied to the other resources, which
 *   are not in the room.
 *
 * @module
 */
import type { Session, SessionRef } from "../base/session.ts";
import { StanzaError } from "../base/stanza_error.ts";
import type { StanzaEvent } from "../hooks/server_hooks.ts";
import type { ModuleApi, XmppModule } from "../module/module_api.ts";
import { bareMessageTargets, messageType } from "../router/delivery.ts";
import { child, type Element, xml } from "../xml/element.ts";
import { NS } from "../xml/ns.ts";

const KEY = NS.CARBONS;
/** Where the loaded module keeps its count of an account's enabled resources up to date. */
const CONTROL = `${NS.CARBONS}#control`;

/**
 * Turns carbons on or off for a session, as `<enable/>` and `<disable/>` do (XEP-0280 §4);
 * for modules that enable them inline (XEP-0386 Bind 2).
 *
 * @param session The session.
 * @param on Whether it gets copies; default `true`.
 * @example
 * ```ts
 * import { carbonsEnabled, enableCarbons } from "./carbons.ts";
 * import { testServer } from "../testing/mod.ts";
 * import type { FullJid } from "../jid/jid.ts";
 * const t = await testServer({ users: ["a@localhost"] });
 * await t.connect("a@localhost/phone");
 * const session = t.server.router.local(
 *   (await t.server.router.session("a@localhost/phone" as FullJid))!,
 * )!;
 * enableCarbons(session);
 * if (!carbonsEnabled(session)) throw new Error();
 * await t.close();
 * ```
 */
export function enableCarbons(session: Session, on = true): void {
  if (carbonsEnabled(session) === on) return;
  if (on) session.data.set(KEY, true);
  else session.data.delete(KEY);
  (session.data.get(CONTROL) as ((on: boolean) => void) | undefined)?.(on);
}

/**
 * Whether a session gets carbon copies.
 *
 * @param session The session.
 * @returns `true` once it enabled them.
 * @example
 * ```ts
 * import { carbonsEnabled } from "./carbons.ts";
 * import type { Session } from "../base/session.ts";
 * if (carbonsEnabled({ data: new Map() } as unknown as Session)) throw new Error();
 * ```
 */
export function carbonsEnabled(session: Session): boolean {
  return session.data.get(KEY) === true;
}

/**
 * Whether a message may be copied (XEP-0280 §6, XEP-0334 §4): `chat`, or `normal` with a
 * body; not `<private/>`, not `<no-copy/>`, not a carbon copy itself.
 *
 * @param message The message.
 * @returns `true` when it is eligible.
 * @example
 * ```ts
 * import { carbonEligible } from "./carbons.ts";
 * import { xml } from "../xml/element.ts";
 * if (!carbonEligible(xml("message", { type: "chat" }))) throw new Error();
 * const hidden = xml("message", { type: "chat" }, xml("private", { xmlns: "urn:xmpp:carbons:2" }));
 * if (carbonEligible(hidden)) throw new Error();
 * ```
 */
export function carbonEligible(message: Element): boolean {
  const type = messageType(message);
  if (type === "normal" ? !child(message, "body") : type !== "chat") return false;
  for (const c of message.children) {
    if (typeof c === "string") continue;
    if (c.xmlns === NS.CARBONS) return false; // <private/>, or a copy (<sent/>, <received/>)
    if (c.xmlns === NS.HINTS && c.name === "no-copy") return false;
  }
  return true;
}

function wrap(
  direction: "sent" | "received",
  message: Element,
  to: string,
  bare: string,
): Element {
  return xml(
    "message",
    { xmlns: NS.CLIENT, from: bare, to, type: message.attrs.type },
    xml(direction, { xmlns: NS.CARBONS }, xml("forwarded", { xmlns: NS.FORWARD }, message)),
  );
}

/** Sends copies to the enabled sessions among `refs`, except those in `skip`. */
async function copy(
  api: ModuleApi,
  direction: "sent" | "received",
  message: Element,
  refs: readonly SessionRef[],
  skip: (ref: SessionRef) => boolean,
): Promise<void> {
  for (const ref of refs) {
    if (skip(ref)) continue;
    // TODO(#12): sessions on other nodes, once a cluster's directory carries this flag.
    const session = api.router.local(ref);
    if (!session || !carbonsEnabled(session)) continue;
    await session.send(wrap(direction, message, session.jid, session.bare));
  }
}

/** Resources per account that enabled carbons: most messages need no directory lookup. */
type Enabled = Map<string, number>;

async function received(api: ModuleApi, enabled: Enabled, ev: StanzaEvent): Promise<void> {
  const { stanza, to, from } = ev;
  if (!enabled.has(to.bare) || !to.local || !api.router.isLocal(to.domain)) return;
  if (!carbonEligible(stanza)) return;
  const refs = await api.router.sessions(to.bare);
  if (to.resource) {
    // A missing resource: the router handles it as if sent to the bare JID (message/bare).
    if (!refs.some((r) => r.jid === to.full)) return;
    if (child(stanza, "x", NS.MUC_USER)) return;
    // Nor to the resource that sent it, when it was one of the account's own.
    return copy(api, "received", stanza, refs, (r) => r.jid === to.full || r.jid === from.full);
  }
  const decision = bareMessageTargets(refs, messageType(stanza));
  // Offline storage keeps it for every resource: a copy now would come twice.
  if (decision.kind !== "deliver") return;
  const targets = new Set(decision.to.map((r) => r.jid));
  return copy(api, "received", stanza, refs, (r) => targets.has(r.jid) || r.jid === from.full);
}

async function sent(api: ModuleApi, enabled: Enabled, ev: StanzaEvent): Promise<void> {
  const { stanza, origin, to } = ev;
  if (!origin || stanza.name !== "message" || !enabled.has(origin.bare)) return;
  if (!carbonEligible(stanza)) return;
  // A message to the account itself is copied where it is received.
  if (to.bare === origin.bare) return;
  const refs = await api.router.sessions(origin.bare);
  return copy(api, "sent", stanza, refs, (r) => r.jid === origin.jid);
}

/**
 * The carbons module (XEP-0280, with XEP-0297 forwarding).
 *
 * @returns The module.
 * @example
 * ```ts
 * import { carbons } from "./carbons.ts";
 * import { testServer } from "../testing/mod.ts";
 * import { xml } from "../xml/element.ts";
 * const t = await testServer({ users: ["a@localhost", "b@localhost"] });
 * await t.server.unload("carbons");
 * await t.server.use(carbons());
 * const phone = await t.connect("a@localhost/phone");
 * const desk = await t.connect("a@localhost/desk");
 * await desk.iq(xml("iq", { type: "set" }, xml("enable", { xmlns: "urn:xmpp:carbons:2" })));
 * await phone.send(xml("message", { to: "b@localhost", type: "chat" }, xml("body", null, "hi")));
 * const copy = await desk.next((el) => el.name === "message");
 * if ((copy.children[0] as { name: string }).name !== "sent") throw new Error();
 * await t.close();
 * ```
 */
export function carbons(): XmppModule {
  const enabled: Enabled = new Map();
  const count = (bare: string, delta: number) => {
    const n = (enabled.get(bare) ?? 0) + delta;
    if (n > 0) enabled.set(bare, n);
    else enabled.delete(bare);
  };
  return {
    name: "carbons",
    specs: ["XEP-0280", "XEP-0297"],
    setup(api) {
      api.feature(NS.CARBONS);
      // XEP-0386 §2.2 / XEP-0280 §4: <enable/> inside Bind 2; nothing goes into <bound/>.
      api.bind2Feature(NS.CARBONS, (session, request) => {
        if (request.name === "enable") enableCarbons(session);
        return undefined;
      });
      api.hook("session/bound", ({ session }) => {
        session.data.set(CONTROL, (on: boolean) => count(session.bare, on ? 1 : -1));
      });
      api.hook("session/closed", ({ session }) => {
        if (session.data.get(CONTROL) && carbonsEnabled(session)) count(session.bare, -1);
        session.data.delete(CONTROL);
      });
      // XEP-0280 §4: enabling and disabling concern the requesting resource only.
      for (const name of ["enable", "disable"]) {
        api.iq("set", NS.CARBONS, name, ({ origin }) => {
          // Only a local client's own session can ask (not another server's entity).
          if (!origin) throw new StanzaError("not-allowed", "cancel");
          enableCarbons(origin, name === "enable");
          return undefined;
        });
      }
      api.hook("message/full", (ev) => received(api, enabled, ev));
      api.hook("message/bare", (ev) => received(api, enabled, ev));
      api.hook("stanza/route", (ev) => sent(api, enabled, ev));
    },
  };
}

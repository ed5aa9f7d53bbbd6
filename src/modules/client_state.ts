/**
 * XEP-0352 client state indication: while a client says it is `<inactive/>`, what it does not
 * need at once waits: presence updates (only the latest per contact), chat states, receipts,
 * chat markers and PEP notifications. Anything else — a message with a body, an iq, a
 * subscription request, or a stanza a module marked with {@linkcode markUrgent} — first
 * releases what waits, in order, then goes out itself. `<active/>` releases everything, and so
 * does a full queue.
 *
 * Held stanzas are taken in `stanza/out` at priority -110, after XEP-0198 counted them, and
 * written with `Session.write` when released. A presence superseded while it waits is dropped
 * and withdrawn from XEP-0198's count ({@linkcode withdrawUnsent}). While inactive, XEP-0198
 * asks for acknowledgements only right after a release ({@linkcode requestAck}) or after many
 * stanzas (`session.data` holds NS.CSI = "inactive"). A resumed session starts active
 * (XEP-0352 §5.2) and what it held is resent by XEP-0198 instead.
 *
 * @module
 */
import type { Session } from "../base/session.ts";
import { HANDLED } from "../hooks/hook_registry.ts";
import type { XmppModule } from "../module/module_api.ts";
import { child, type Element, text, xml } from "../xml/element.ts";
import { NS } from "../xml/ns.ts";
import { requestAck, STREAM_MANAGEMENT_PRIORITY, withdrawUnsent } from "./stream_management.ts";

/** Options of the client state indication module. */
export interface ClientStateOptions {
  /** Stanzas held per inactive session before all are released; default 256. */
  readonly maxHeld?: number;
  /** More stanzas to deliver at once, besides messages with a body and marked ones. */
  readonly urgent?: (stanza: Element, session: Session) => boolean;
}

/** `stanza/out` priority of the holding handler: after XEP-0198 counted the stanza. */
const CSI_PRIORITY = STREAM_MANAGEMENT_PRIORITY - 10;

const marked = new WeakSet<Element>();

/**
 * Marks a stanza as urgent: an inactive client (XEP-0352) gets it at once, with everything
 * held before it. Mark the element that is sent (a `stanza/out` handler that replaces it with
 * a copy before client state indication sees it loses the mark).
 *
 * @param stanza The stanza.
 * @returns The same stanza, for `session.send(markUrgent(stanza))`.
 * @example
 * ```ts
 * import { isUrgent, markUrgent } from "./client_state.ts";
 * import { xml } from "../xml/element.ts";
 * const invite = markUrgent(xml("message", { to: "a@localhost/phone" }));
 * if (!isUrgent(invite)) throw new Error();
 * ```
 */
export function markUrgent(stanza: Element): Element {
  marked.add(stanza);
  return stanza;
}

/**
 * Whether a stanza was marked with {@linkcode markUrgent}.
 *
 * @param stanza The stanza.
 * @returns `true` when it was marked.
 * @example
 * ```ts
 * import { isUrgent } from "./client_state.ts";
 * import { xml } from "../xml/element.ts";
 * if (isUrgent(xml("presence", {}))) throw new Error();
 * ```
 */
export function isUrgent(stanza: Element): boolean {
  return marked.has(stanza);
}

/** Payloads of a message without a body that can wait (and their companions). */
const LAZY = new Set<string>([
  NS.CHATSTATES,
  NS.RECEIPTS,
  NS.CHAT_MARKERS,
  NS.HINTS,
  NS.DELAY,
  NS.STANZA_ID,
  NS.PUBSUB_EVENT,
]);

/** What to do with a stanza for an inactive client. */
export type Holding = "hold" | "presence" | "release";

/**
 * Decides whether an inactive client's stanza can wait (XEP-0352 §3.2's examples). A carbon
 * copy (XEP-0280) is judged by the message it carries.
 *
 * @param stanza The stanza.
 * @returns "presence" (held, only the latest per sender), "hold", or "release" (it goes out at
 * once, after everything held).
 * @example
 * ```ts
 * import { holding } from "./client_state.ts";
 * import { xml } from "../xml/element.ts";
 * const composing = xml("message", { type: "chat" },
 *   xml("composing", { xmlns: "http://jabber.org/protocol/chatstates" }));
 * if (holding(composing) !== "hold") throw new Error();
 * if (holding(xml("message", {}, xml("body", null, "hi"))) !== "release") throw new Error();
 * ```
 */
export function holding(stanza: Element): Holding {
  if (stanza.name === "presence") {
    const type = stanza.attrs.type;
    // Subscription requests and errors are not routine updates.
    return type === undefined || type === "unavailable" ? "presence" : "release";
  }
  if (stanza.name !== "message") return "release";
  const carbon = child(stanza, "received", NS.CARBONS) ?? child(stanza, "sent", NS.CARBONS);
  const inner = carbon && child(child(carbon, "forwarded", NS.FORWARD) ?? carbon, "message");
  const message = inner ?? stanza;
  if (message.attrs.type === "error") return "release";
  const payloads = message.children.filter((c): c is Element => typeof c !== "string");
  if (payloads.length === 0) return "release";
  // A groupchat subject change has no body but is wanted at once.
  if (payloads.some((p) => !LAZY.has(p.xmlns) || (p.name === "subject" && text(p) !== ""))) {
    return "release";
  }
  return "hold";
}

interface CsiState {
  inactive: boolean;
  held: Element[];
  /** The held presence of each sender (full JID), to drop when a newer one comes. */
  presence: Map<string, Element>;
}

function stateOf(states: WeakMap<Session, CsiState>, session: Session): CsiState {
  let s = states.get(session);
  if (!s) states.set(session, s = { inactive: false, held: [], presence: new Map() });
  return s;
}

/** Writes what a session holds, in order; the client is awake: a good time for an ack. */
function release(session: Session, s: CsiState): void {
  const held = s.held;
  s.held = [];
  s.presence.clear();
  for (const stanza of held) session.write(stanza);
  requestAck(session);
}

/** XEP-0198 asks for acks less often while the client is inactive (see `requestAck`). */
function setInactive(session: Session, s: CsiState, inactive: boolean): void {
  s.inactive = inactive;
  if (inactive) session.data.set(NS.CSI, "inactive");
  else session.data.delete(NS.CSI);
}

/**
 * The client state indication module (XEP-0352).
 *
 * @param options The queue's bound and further urgent stanzas.
 * @returns The module.
 * @example
 * ```ts
 * import { clientState } from "./client_state.ts";
 * import { testServer } from "../testing/mod.ts";
 * import { xml } from "../xml/element.ts";
 * const t = await testServer({ users: ["a@localhost", "b@localhost"] });
 * await t.server.unload("client-state");
 * await t.server.use(clientState({ maxHeld: 10 }));
 * const a = await t.connect("a@localhost/phone");
 * const b = await t.connect("b@localhost/desk");
 * await a.send(xml("inactive", { xmlns: "urn:xmpp:csi:0" }));
 * const gone = (el: { name: string; attrs: Record<string, string> }) => el.name === "message";
 * await b.send(xml("message", { to: "a@localhost/phone", type: "chat" },
 *   xml("gone", { xmlns: "http://jabber.org/protocol/chatstates" })));
 * await a.send(xml("active", { xmlns: "urn:xmpp:csi:0" }));
 * await a.next(gone);
 * await t.close();
 * ```
 */
export function clientState(options: ClientStateOptions = {}): XmppModule {
  const maxHeld = options.maxHeld ?? 256;
  const urgent = options.urgent;
  const states = new WeakMap<Session, CsiState>();
  return {
    name: "client-state",
    specs: ["XEP-0352"],
    setup(api) {
      api.streamFeature(xml("csi", { xmlns: NS.CSI }));
      // XEP-0386 §2.2: a client may start inactive with <inactive/> inside Bind 2.
      api.bind2Feature(NS.CSI, (session, request) => {
        if (request.name === "inactive") setInactive(session, stateOf(states, session), true);
        return undefined;
      });
      api.hook("nonza", ({ session, element }) => {
        if (element.xmlns !== NS.CSI) return;
        const s = stateOf(states, session);
        if (element.name === "inactive") setInactive(session, s, true);
        else if (element.name === "active") {
          setInactive(session, s, false);
          release(session, s);
        }
        return HANDLED;
      });
      // Before binding there is nothing to hold: the state starts active.
      api.hook("stream/delegate", ({ element }) => element.xmlns === NS.CSI ? HANDLED : undefined);
      api.hook("stanza/out", ({ session, stanza }) => {
        const s = states.get(session);
        // A hibernated session writes nothing: XEP-0198 keeps what it is sent.
        if (!s?.inactive || session.state !== "active") return;
        const kind = marked.has(stanza) || urgent?.(stanza, session) ? "release" : holding(stanza);
        if (kind === "release") {
          release(session, s);
          return;
        }
        if (kind === "presence") {
          const from = stanza.attrs.from ?? "";
          const older = s.presence.get(from);
          if (older) {
            // Latest wins; the older one is never written, so it was never sent.
            s.held.splice(s.held.indexOf(older), 1);
            withdrawUnsent(session, older);
          }
          s.presence.set(from, stanza);
        }
        s.held.push(stanza);
        if (s.held.length >= maxHeld) release(session, s);
        return HANDLED;
      }, { priority: CSI_PRIORITY });
      // XEP-0352 §5.2: a resumed stream starts active; XEP-0198 resends what was held.
      api.hook("session/resumed", ({ session }) => {
        states.delete(session);
        session.data.delete(NS.CSI);
      });
      api.hook("session/closed", async ({ session }) => {
        const s = states.get(session);
        states.delete(session);
        // Sent to a closed session, they take the way of undeliverable stanzas: XEP-0198 has
        // those it counted, RFC 6121 §8.5 the others.
        for (const stanza of s?.held ?? []) await session.send(stanza);
      });
    },
  };
}

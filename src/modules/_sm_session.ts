// Private to src/modules: the XEP-0198 state of one session (in `session.data`), the
// `<failed/>` answer, and what becomes of the stanzas a client never acknowledged.
import type { Session } from "../base/session.ts";
import type { StanzaErrorCondition } from "../base/stanza_error.ts";
import type { ModuleApi } from "../module/module_api.ts";
import { child, type Element, xml } from "../xml/element.ts";
import { NS } from "../xml/ns.ts";
import type { Unacked, UnackedQueue } from "./_sm_queue.ts";
import { xep82DateTime } from "./time.ts";

/** Per-session state, in `session.data` under the namespace. */
export interface SmState {
  /** The SM-ID (XEP-0198 §3) when the session may be resumed. */
  readonly id: string | undefined;
  /** Resumption timeout of this session. */
  readonly timeoutMs: number;
  readonly queue: UnackedQueue;
  /** Stanzas handed to RFC 6121 §8.5 when the session ended. */
  readonly rerouted: WeakSet<Element>;
  /** Stanzas handled from the client (`h` of our `<a/>`). */
  received: number;
  /** An `<r/>` is waiting for its `<a/>`. */
  requested: boolean;
  /** Too many unacknowledged stanzas: the session is being ended. */
  overflowed: boolean;
  ackTimer?: ReturnType<typeof setTimeout>;
  expiry?: ReturnType<typeof setTimeout>;
}

/** The key of a session's state in `session.data`. */
export const STATE_KEY = NS.SM;

/** A session's stream management state, once enabled. */
export function stateOf(session: Session): SmState | undefined {
  return session.data.get(STATE_KEY) as SmState | undefined;
}

/** `<failed/>` with a stanza error condition (XEP-0198 §3, §5), and `h` when known. */
export function failed(condition: StanzaErrorCondition, h?: number): Element {
  return xml("failed", { xmlns: NS.SM, h }, xml(condition, { xmlns: NS.STANZAS }));
}

/** Whether a message is a carbon copy (XEP-0280), which is never redelivered on its own. */
function isCarbon(stanza: Element): boolean {
  return child(stanza, "received", NS.CARBONS) !== undefined ||
    child(stanza, "sent", NS.CARBONS) !== undefined;
}

/**
 * XEP-0203: a redelivered message says since when it waited; otherwise it stays as it was (a
 * message archive that stored it when it was first routed recognizes its own stanza-id).
 */
function delayed(api: ModuleApi, item: Unacked): Element {
  const { stanza } = item;
  const ours = stanza.children.some((c) =>
    typeof c !== "string" && c.name === "delay" && c.xmlns === NS.DELAY &&
    c.attrs.from === api.domain
  );
  if (ours) return stanza;
  const delay = xml("delay", {
    xmlns: NS.DELAY,
    from: api.domain,
    stamp: xep82DateTime(new Date(item.at)),
  }, "Not acknowledged by the client (XEP-0198)");
  return { ...stanza, children: [...stanza.children, delay] };
}

/**
 * XEP-0198 §5: the unacknowledged stanzas of a session that ended for good are undeliverable
 * (RFC 6121 §8.5): a message goes to another resource or to offline storage, with a delay; an
 * iq request is answered with an error; presence and carbon copies are dropped. In order, once.
 */
export async function redeliver(api: ModuleApi, session: Session, sm: SmState): Promise<void> {
  const items = sm.queue.drain();
  for (const item of items) sm.rerouted.add(item.stanza);
  for (const item of items) {
    const { stanza } = item;
    if (stanza.name === "presence" || (stanza.name === "message" && isCarbon(stanza))) continue;
    try {
      await api.router.undeliverable(stanza.name === "message" ? delayed(api, item) : stanza);
    } catch (e) {
      api.logger.error("Cannot redeliver an unacknowledged stanza", {
        session: session.id,
        error: e instanceof Error ? e.message : String(e),
      });
    }
  }
}

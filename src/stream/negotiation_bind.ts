/**
 * After SASL: resource binding (RFC 6120 §7) and what else may arrive before it.
 *
 * @module
 */
import { JidError, prepResource } from "../jid/jid.ts";
import { errorReply, StanzaError } from "../base/stanza_error.ts";
import { child, type Element, text, xml } from "../xml/element.ts";
import { NS } from "../xml/ns.ts";
import { out, step, streamErrorStep } from "./negotiation_common.ts";
import type { NegotiationEnv, NegotiationState, NegotiationStep } from "./negotiation_types.ts";

// Namespaces that are never delegated to a post-auth feature's module.
const CORE = new Set<string>(["", NS.CLIENT, NS.STREAM, NS.BIND, NS.SESSION, NS.SASL, NS.TLS]);

function delegated(state: NegotiationState, element: Element): boolean {
  if (CORE.has(element.xmlns)) return false;
  return (state.config.postAuthFeatures ?? []).some((f) => f.xmlns === element.xmlns);
}

async function bind(
  state: NegotiationState,
  iq: Element,
  payload: Element,
  env: NegotiationEnv,
): Promise<NegotiationStep> {
  const jid = state.jid;
  if (jid === undefined) throw new Error("Cannot bind before authentication");
  const reply = (error: StanzaError, errors?: unknown[]) =>
    step(state, [out(errorReply(iq, error))], { errors });
  // RFC 6120 §7.7: a client-chosen resource is in <resource/>; none (or an empty one) asks the
  // server to generate it (§7.6).
  const raw = text(child(payload, "resource", NS.BIND));
  let resource: string | undefined;
  if (raw !== "") {
    try {
      resource = prepResource(raw);
    } catch (e) {
      // RFC 6120 §7.7.2.1: a resourcepart that cannot be prepared is <bad-request/>.
      if (e instanceof JidError) return reply(new StanzaError("bad-request", "modify"));
      throw e;
    }
  }
  let full;
  try {
    full = await env.bind(jid, resource);
  } catch (e) {
    if (e instanceof StanzaError) return reply(e);
    return reply(new StanzaError("internal-server-error", "cancel"), [e]);
  }
  const result = xml(
    "iq",
    { xmlns: NS.CLIENT, type: "result", id: iq.attrs.id },
    xml("bind", { xmlns: NS.BIND }, xml("jid", null, full)),
  );
  return step(
    { ...state, phase: "bound", fullJid: full },
    [out(result)],
    { effects: [{ kind: "bound", jid: full }] },
  );
}

/**
 * Handles an element after authentication and before binding:
 * - `<iq type="set"><bind/></iq>` binds a resource through `env.bind` (RFC 6120 §7); a bind
 *   `get` gets `<bad-request/>`;
 * - an element in the namespace of one of `config.postAuthFeatures` is delegated to the shell;
 * - anything else, stanzas included, is `<not-authorized/>` (RFC 6120 §7.1: no stanzas before
 *   binding; §4.9.3.12). The legacy `<session/>` iq follows binding, so the shell answers it.
 *
 * @param state The state (phase "negotiating", authenticated).
 * @param element The element.
 * @param env Where sessions are bound.
 * @returns The step.
 * @example
 * ```ts
 * import { handlePostAuth } from "./negotiation_bind.ts";
 * import { initialState, type NegotiationEnv } from "./negotiation.ts";
 * import type { BareJid, FullJid } from "../jid/jid.ts";
 * import { xml } from "../xml/element.ts";
 * const s = initialState({ domains: ["localhost"], requireTls: false, canStartTls: false, maxAuthFailures: 3 }, { kind: "tcp", secure: false });
 * const env = { bind: (jid: BareJid, r?: string) => Promise.resolve(`${jid}/${r}` as FullJid) } as NegotiationEnv;
 * const iq = xml("iq", { xmlns: "jabber:client", type: "set", id: "b1" },
 *   xml("bind", { xmlns: "urn:ietf:params:xml:ns:xmpp-bind" }, xml("resource", null, "phone")));
 * const r = await handlePostAuth({ ...s, phase: "negotiating", streamId: "s2", jid: "a@localhost" as BareJid }, iq, env);
 * if (r.state.fullJid !== "a@localhost/phone") throw new Error();
 * ```
 */
export function handlePostAuth(
  state: NegotiationState,
  element: Element,
  env: NegotiationEnv,
): Promise<NegotiationStep> {
  if (element.name === "iq" && element.xmlns === NS.CLIENT) {
    const payload = child(element, "bind", NS.BIND);
    const type = element.attrs.type;
    if (payload && type === "set") return bind(state, element, payload, env);
    if (payload && type === "get") {
      return Promise.resolve(
        step(state, [out(errorReply(element, new StanzaError("bad-request", "modify")))]),
      );
    }
  }
  if (delegated(state, element)) {
    return Promise.resolve(step(state, [], { effects: [{ kind: "delegate", element }] }));
  }
  return Promise.resolve(streamErrorStep(state, env, "not-authorized"));
}

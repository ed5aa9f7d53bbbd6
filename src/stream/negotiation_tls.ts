/**
 * STARTTLS (RFC 6120 §5.4).
 *
 * @module
 */
import type { TransportInfo } from "../base/transport.ts";
import { xml } from "../xml/element.ts";
import { NS } from "../xml/ns.ts";
import { out, step, streamErrorStep } from "./negotiation_common.ts";
import type { NegotiationEnv, NegotiationState, NegotiationStep } from "./negotiation_types.ts";
import type { Element } from "../xml/element.ts";

/**
 * Handles an element in the TLS namespace before authentication: `<starttls/>` gets
 * `<proceed/>` and the starttls effect when the transport can upgrade; otherwise
 * `<failure/>` and the stream is closed (RFC 6120 §5.4.2.2). Any other TLS element is not
 * something a client sends: `<unsupported-stanza-type/>` (RFC 6120 §4.9.3.24).
 *
 * @param state The state (phase "negotiating", not authenticated).
 * @param element The element, in the TLS namespace.
 * @param env For a stream id if one is needed.
 * @returns The step.
 * @example
 * ```ts
 * import { handleTls } from "./negotiation_tls.ts";
 * import { initialState, type NegotiationEnv } from "./negotiation.ts";
 * import { xml } from "../xml/element.ts";
 * const s = initialState({ domains: ["localhost"], requireTls: true, canStartTls: true, maxAuthFailures: 3 }, { kind: "tcp", secure: false });
 * const r = handleTls({ ...s, phase: "negotiating", streamId: "s1" }, xml("starttls", { xmlns: "urn:ietf:params:xml:ns:xmpp-tls" }), {} as NegotiationEnv);
 * if (r.effects[0]?.kind !== "starttls") throw new Error();
 * ```
 */
export function handleTls(
  state: NegotiationState,
  element: Element,
  env: NegotiationEnv,
): NegotiationStep {
  if (element.name !== "starttls") return streamErrorStep(state, env, "unsupported-stanza-type");
  if (state.info.secure || !state.config.canStartTls) {
    return step(
      { ...state, phase: "closed", sasl: undefined },
      [out(xml("failure", { xmlns: NS.TLS })), { kind: "close" }],
      { effects: [{ kind: "disconnect" }] },
    );
  }
  // RFC 6120 §5.4.3.3: after <proceed/> both sides discard the stream; the next header comes
  // over TLS. An unfinished SASL exchange is dropped with it.
  return step(
    { ...state, phase: "await-secured", streamId: undefined, sasl: undefined },
    [out(xml("proceed", { xmlns: NS.TLS }))],
    { effects: [{ kind: "starttls" }] },
  );
}

/**
 * Records the upgraded transport; the peer's new header comes next (RFC 6120 §5.4.3.3).
 *
 * @param state The state (phase "await-secured").
 * @param info The transport after the upgrade.
 * @returns The step, with no outputs.
 * @example
 * ```ts
 * import { handleSecured } from "./negotiation_tls.ts";
 * import { initialState } from "./negotiation.ts";
 * const s = initialState({ domains: ["localhost"], requireTls: true, canStartTls: true, maxAuthFailures: 3 }, { kind: "tcp", secure: false });
 * const r = handleSecured({ ...s, phase: "await-secured" }, { kind: "tcp", secure: true });
 * if (r.state.phase !== "await-open" || !r.state.info.secure) throw new Error();
 * ```
 */
export function handleSecured(state: NegotiationState, info: TransportInfo): NegotiationStep {
  return step({ ...state, info, phase: "await-open", streamId: undefined }, []);
}

/**
 * XEP-0401 §5 / XEP-0445 §3: before in-band registration, a client presents the invitation
 * token of an `xmpp:DOMAIN?register;preauth=TOKEN` URI; a valid one opens registration for
 * this stream even where open registration is off.
 *
 * @module
 */
import { errorReply, StanzaError } from "../base/stanza_error.ts";
import { type Element, elements, xml } from "../xml/element.ts";
import { NS } from "../xml/ns.ts";
import { out, step, streamErrorStep } from "./negotiation_common.ts";
import type { NegotiationEnv, NegotiationState, NegotiationStep } from "./negotiation_types.ts";

/**
 * Whether an element is an iq set with a `<preauth xmlns='urn:xmpp:pars:0'/>`.
 *
 * @param el A top-level element.
 * @returns `true` for a pre-authentication request.
 */
export function isPreauthIq(el: Element): boolean {
  if (el.name !== "iq" || el.xmlns !== NS.CLIENT || el.attrs.type !== "set") return false;
  const payload = elements(el);
  return payload.length === 1 && payload[0].name === "preauth" && payload[0].xmlns === NS.PARS;
}

/**
 * Checks an invitation token (XEP-0445 §3): a result and registration opens, or
 * `<forbidden/>` for an unknown, used or expired token (nothing changes).
 *
 * @param state The negotiation state (not yet authenticated).
 * @param iq An iq for which {@linkcode isPreauthIq} holds.
 * @param env Checks the token.
 * @returns The reply and the state with the token.
 */
export async function handlePreauth(
  state: NegotiationState,
  iq: Element,
  env: NegotiationEnv,
): Promise<NegotiationStep> {
  const reply = (error: StanzaError, errors?: unknown[]) =>
    step(state, [out(errorReply(iq, error))], { errors });
  if (!state.config.invites || !env.preauth || !env.register) {
    return reply(new StanzaError("service-unavailable", "cancel"));
  }
  const token = elements(iq)[0].attrs.token ?? "";
  let valid: boolean;
  try {
    valid = token !== "" && await env.preauth(token);
  } catch (e) {
    return reply(new StanzaError("internal-server-error", "wait"), [e]);
  }
  if (!valid) {
    // A wrong token counts as wrong credentials: guessing ends the stream like SASL does
    // (RFC 6120 §6.4.5, `maxAuthFailures`).
    const next = { ...state, authFailures: state.authFailures + 1 };
    const refusal = out(
      errorReply(iq, new StanzaError("forbidden", "auth", "The invitation is not valid")),
    );
    if (next.authFailures >= state.config.maxAuthFailures) {
      return streamErrorStep(next, env, "policy-violation", { before: [refusal] });
    }
    return step(next, [refusal]);
  }
  return step({ ...state, preauth: token }, [
    out(xml("iq", { xmlns: NS.CLIENT, type: "result", id: iq.attrs.id })),
  ]);
}

/**
 * XEP-0077 in-band registration before authentication: the only stanza a client may send
 * before SASL, and only when the server offers the `<register/>` stream feature.
 *
 * @module
 */
import { bareJid, JidError, prepLocal } from "../jid/jid.ts";
import { errorReply, StanzaError } from "../base/stanza_error.ts";
import { child, type Element, elements, text, xml } from "../xml/element.ts";
import { NS } from "../xml/ns.ts";
import { out, step } from "./negotiation_common.ts";
import type { NegotiationEnv, NegotiationState, NegotiationStep } from "./negotiation_types.ts";

/**
 * Whether an element is an iq get or set with a `jabber:iq:register` query.
 *
 * @param el A top-level element.
 * @returns `true` for a registration request.
 */
export function isRegisterIq(el: Element): boolean {
  if (el.name !== "iq" || el.xmlns !== NS.CLIENT) return false;
  if (el.attrs.type !== "get" && el.attrs.type !== "set") return false;
  const payload = elements(el);
  return payload.length === 1 && payload[0].name === "query" && payload[0].xmlns === NS.REGISTER;
}

function result(iq: Element, payload?: Element): Element {
  return xml("iq", { xmlns: NS.CLIENT, type: "result", id: iq.attrs.id }, payload);
}

/**
 * Answers a registration request before authentication (XEP-0077 §3.1).
 *
 * @param state The negotiation state (not yet authenticated).
 * @param iq An iq for which {@linkcode isRegisterIq} holds.
 * @param env Creates the account.
 * @returns The reply; the state is unchanged unless the stream must end.
 */
export async function handleRegister(
  state: NegotiationState,
  iq: Element,
  env: NegotiationEnv,
): Promise<NegotiationStep> {
  const reply = (error: StanzaError, errors?: unknown[]) =>
    step(state, [out(errorReply(iq, error))], { errors });
  // XEP-0077 §3.1: a host that does not offer registration answers <service-unavailable/>;
  // XEP-0445 §3: with a valid invitation token it does, even when open registration is off.
  const open = state.config.registration || state.preauth !== undefined;
  if (!open || !env.register) {
    return reply(new StanzaError("service-unavailable", "cancel"));
  }
  const query = elements(iq)[0];
  if (iq.attrs.type === "get") {
    return step(state, [
      out(result(
        iq,
        xml(
          "query",
          { xmlns: NS.REGISTER },
          xml("instructions", null, "Choose a username and password to register."),
          xml("username", null),
          xml("password", null),
        ),
      )),
    ]);
  }
  // XEP-0077 §3.2: cancelling a registration needs an authenticated stream.
  if (child(query, "remove", NS.REGISTER)) {
    return reply(new StanzaError("not-authorized", "auth"));
  }
  const username = text(child(query, "username", NS.REGISTER));
  const password = text(child(query, "password", NS.REGISTER));
  // XEP-0077 §3.1: required information missing, or a username that cannot be a localpart.
  if (username === "" || password === "") {
    return reply(
      new StanzaError("not-acceptable", "modify", "A username and password are required"),
    );
  }
  let local: string;
  try {
    local = prepLocal(username);
  } catch (e) {
    if (e instanceof JidError) {
      return reply(new StanzaError("not-acceptable", "modify", "The username is not acceptable"));
    }
    throw e;
  }
  try {
    await env.register(bareJid(local, state.domain), password, state.info, state.preauth);
  } catch (e) {
    if (e instanceof StanzaError) return reply(e);
    return reply(new StanzaError("internal-server-error", "wait"), [e]);
  }
  // The token is used up: one account per invitation.
  return step({ ...state, preauth: undefined }, [out(result(iq))]);
}

/**
 * XEP-0388 Extensible SASL Profile (SASL2): `<authenticate mechanism>` with
 * `<initial-response/>` and `<user-agent/>`, `<challenge/>`/`<response/>`, `<abort/>`,
 * `<failure/>` and `<success/>` with `<authorization-identifier/>`, without a stream restart.
 * XEP-0484 FAST tokens are accepted (`HT-*` mechanisms) and issued (`<request-token/>` →
 * `<token/>`) here; inline requests (XEP-0386 `<bind/>`, XEP-0198 `<resume/>`) are handed to
 * the shell with the `sasl2-inline` effect.
 *
 * @module
 */
import type { SaslResult } from "../sasl/context.ts";
import { isSaslMechanism, saslContinue, saslStart, type SaslState } from "../sasl/mechanism.ts";
import { verifiedAccount } from "../sasl/mechanism.ts";
import { encodeSaslPayload } from "../sasl/payload.ts";
import { SaslError } from "../sasl/sasl_error.ts";
import { child, type Element, xml } from "../xml/element.ts";
import { NS } from "../xml/ns.ts";
import { fastMechanisms, offeredMechanisms, postAuthFeatures } from "./features.ts";
import { out, step, streamErrorStep } from "./negotiation_common.ts";
import { failure, payload, run, saslContext, type SaslWire } from "./negotiation_sasl.ts";
import type {
  NegotiationEnv,
  NegotiationLog,
  NegotiationState,
  NegotiationStep,
} from "./negotiation_types.ts";

type Success = Extract<SaslResult<SaslState>, { kind: "success" }>;

/**
 * XEP-0388 §2.4-§2.6 failure: the RFC 6120 condition in the SASL namespace, and `<text/>`.
 *
 * @param error The failure.
 * @returns The element.
 * @example
 * ```ts
 * import { sasl2Failure } from "./negotiation_sasl2.ts";
 * import { SaslError } from "../sasl/sasl_error.ts";
 * const f = sasl2Failure(new SaslError("aborted"));
 * if (f.xmlns !== "urn:xmpp:sasl:2" || f.children.length !== 1) throw new Error();
 * ```
 */
export function sasl2Failure(error: SaslError): Element {
  return xml(
    "failure",
    { xmlns: NS.SASL2 },
    xml(error.condition, { xmlns: NS.SASL }),
    error.text ? xml("text", null, error.text) : undefined,
  );
}

/** XEP-0484 §3.2-§3.4: revoke on request, rotate, issue a requested token. */
async function fastToken(
  state: NegotiationState,
  env: NegotiationEnv,
  request: Element,
  result: Success,
): Promise<Element | undefined> {
  const fast = env.fast;
  // Guests get no token: their account ends with their session.
  if (!fast || state.domain === state.config.guestDomain) return undefined;
  const usage = child(request, "fast", NS.FAST);
  if (result.tokenId !== undefined) {
    // XEP-0484 §3.4: a client logging out asks to invalidate the token it used.
    if (usage?.attrs.invalidate === "true" || usage?.attrs.invalidate === "1") {
      await fast.revoke(result.jid, result.tokenId);
      return undefined;
    }
    await fast.used(result.jid, result.tokenId);
  }
  const wanted = child(request, "request-token", NS.FAST)?.attrs.mechanism;
  if (wanted === undefined || !fastMechanisms(state.info).includes(wanted as never)) {
    return undefined;
  }
  const agent = child(request, "user-agent", NS.SASL2)?.attrs.id;
  const issued = await fast.issue(result.jid, wanted, agent, result.tokenId);
  return xml("token", {
    xmlns: NS.FAST,
    expiry: issued.expiry.toISOString(),
    token: issued.token,
  });
}

/** Whether `<authenticate/>` holds a request the shell performs (Bind 2, inline resumption). */
function hasInline(state: NegotiationState, request: Element): boolean {
  const inline = new Set([
    NS.BIND2 as string,
    ...(state.config.sasl2?.inline ?? []).map((f) => f.xmlns),
  ]);
  return request.children.some((c) => typeof c !== "string" && inline.has(c.xmlns));
}

async function succeed(
  state: NegotiationState,
  env: NegotiationEnv,
  result: Success,
  mechanism: NegotiationState["mechanism"] & string,
  log: readonly NegotiationLog[],
): Promise<NegotiationStep> {
  const request = state.sasl2 ?? xml("authenticate", { xmlns: NS.SASL2 });
  let token: Element | undefined;
  const errors: unknown[] = [];
  try {
    token = await fastToken(state, env, request, result);
  } catch (e) {
    // A storage failure costs the client its token, not its login.
    errors.push(e);
  }
  const data = result.data === undefined
    ? undefined
    : xml("additional-data", null, encodeSaslPayload(result.data));
  const next: NegotiationState = {
    ...state,
    phase: "negotiating",
    sasl: undefined,
    sasl2: undefined,
    jid: result.jid,
    mechanism,
  };
  const authenticated = { kind: "authenticated", jid: result.jid, mechanism } as const;
  // XEP-0388 §2.6: no stream restart; the authorization identifier is the bare JID unless
  // a resource was bound or a session resumed inline (then the shell writes the full JID).
  if (hasInline(state, request)) {
    const success = xml("success", { xmlns: NS.SASL2 }, data, token);
    return step(next, [], {
      effects: [authenticated, { kind: "sasl2-inline", jid: result.jid, success, request }],
      log,
      errors,
    });
  }
  const success = xml(
    "success",
    { xmlns: NS.SASL2 },
    data,
    xml("authorization-identifier", null, result.jid),
    token,
  );
  return step(next, [out(success), out(postAuthFeatures(state.config))], {
    effects: [authenticated],
    log,
    errors,
  });
}

function wire(env: NegotiationEnv): SaslWire {
  return {
    challenge: (data) => xml("challenge", { xmlns: NS.SASL2 }, encodeSaslPayload(data)),
    failure: sasl2Failure,
    success: (state, result, mechanism, log) => succeed(state, env, result, mechanism, log),
  };
}

function authenticate(
  state: NegotiationState,
  element: Element,
  env: NegotiationEnv,
): Promise<NegotiationStep> {
  const { config, info } = state;
  const w = wire(env);
  const mechanism = element.attrs.mechanism ?? "";
  if (config.requireTls && !info.secure) {
    return Promise.resolve(
      failure(state, env, mechanism, new SaslError("encryption-required"), [], w),
    );
  }
  const offered: string[] = [
    ...offeredMechanisms(config, info, state.domain),
    ...(env.fast && state.domain !== config.guestDomain ? fastMechanisms(info) : []),
  ];
  if (!isSaslMechanism(mechanism) || !offered.includes(mechanism)) {
    const condition = mechanism === "PLAIN" && !info.secure
      ? "encryption-required"
      : "invalid-mechanism";
    return Promise.resolve(failure(state, env, mechanism, new SaslError(condition), [], w));
  }
  const initial = child(element, "initial-response", NS.SASL2);
  const decoded = payload(state, env, mechanism, initial, w);
  if (!("data" in decoded)) return Promise.resolve(decoded);
  // XEP-0388 §2.3: an empty <initial-response/> is zero-length data.
  const data = initial !== undefined ? decoded.data ?? new Uint8Array(0) : undefined;
  const account = verifiedAccount(mechanism, undefined, data, state.domain);
  const started: NegotiationState = { ...state, sasl2: element };
  return run(
    started,
    env,
    mechanism,
    account,
    () => saslStart(mechanism, data, saslContext(started, env)),
    w,
  );
}

function response(
  state: NegotiationState,
  element: Element,
  env: NegotiationEnv,
): Promise<NegotiationStep> {
  const w = wire(env);
  const exchange = state.sasl;
  if (exchange === undefined || state.sasl2 === undefined) {
    const error = new SaslError("malformed-request", "No exchange in progress");
    return Promise.resolve(failure(state, env, undefined, error, [], w));
  }
  const decoded = payload(state, env, exchange.mechanism, element, w);
  if (!("data" in decoded)) return Promise.resolve(decoded);
  const data = decoded.data ?? new Uint8Array(0);
  const account = verifiedAccount(exchange.mechanism, exchange, data, state.domain);
  return run(
    state,
    env,
    exchange.mechanism,
    account,
    () => saslContinue(exchange, data, saslContext(state, env)),
    w,
  );
}

/**
 * Handles an element in the SASL2 namespace before authentication.
 *
 * @param state The state (phase "negotiating", not authenticated).
 * @param element The element, in the SASL2 namespace.
 * @param env Credentials, tokens, randomness and the throttle.
 * @returns The step.
 * @example
 * ```ts
 * import { handleSasl2 } from "./negotiation_sasl2.ts";
 * import { initialState, type NegotiationEnv } from "./negotiation.ts";
 * import { xml } from "../xml/element.ts";
 * const s = initialState({ domains: ["localhost"], requireTls: false, canStartTls: false, maxAuthFailures: 3 }, { kind: "tcp", secure: false });
 * const auth = xml("authenticate", { xmlns: "urn:xmpp:sasl:2", mechanism: "X-UNKNOWN" });
 * const r = await handleSasl2({ ...s, phase: "negotiating", streamId: "s1" }, auth, {} as NegotiationEnv);
 * const failure = r.outputs[0];
 * if (failure.kind !== "element" || failure.element.xmlns !== "urn:xmpp:sasl:2") throw new Error();
 * ```
 */
export function handleSasl2(
  state: NegotiationState,
  element: Element,
  env: NegotiationEnv,
): Promise<NegotiationStep> {
  switch (element.name) {
    case "authenticate":
      return authenticate(state, element, env);
    case "response":
      return response(state, element, env);
    case "abort":
      // XEP-0388 §2.5, like RFC 6120 §6.4.4.
      return Promise.resolve(
        failure(state, env, state.sasl?.mechanism, new SaslError("aborted"), [], wire(env)),
      );
    default:
      // <success/>, <challenge/>, <failure/>, <continue/> are the server's.
      return Promise.resolve(streamErrorStep(state, env, "unsupported-stanza-type"));
  }
}

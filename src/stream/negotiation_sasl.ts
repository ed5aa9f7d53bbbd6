/**
 * SASL negotiation (RFC 6120 §6.4): `<auth/>`, `<challenge/>`/`<response/>`, `<abort/>`,
 * `<success/>` and `<failure/>`, with the retry limit of §6.4.5.
 *
 * @module
 */
import type { SaslContext, SaslMechanismName, SaslResult } from "../sasl/context.ts";
import { isSaslMechanism, saslContinue, saslStart, type SaslState } from "../sasl/mechanism.ts";
import { decodeSaslPayload, encodeSaslPayload } from "../sasl/payload.ts";
import { SaslError } from "../sasl/sasl_error.ts";
import { type Element, text, xml } from "../xml/element.ts";
import { NS } from "../xml/ns.ts";
import { channelBindingAvailable, offeredMechanisms } from "./features.ts";
import { out, step, streamErrorStep } from "./negotiation_common.ts";
import type { NegotiationEnv, NegotiationState, NegotiationStep } from "./negotiation_types.ts";

function context(state: NegotiationState, env: NegotiationEnv): SaslContext {
  return {
    domain: state.domain,
    channelBinding: channelBindingAvailable(state.info) ? state.info.tlsServerEndPoint : undefined,
    getCredentials: (jid) => env.getCredentials(jid),
    randomBytes: (n) => env.randomBytes(n),
    fakeSaltKey: state.config.fakeSaltKey,
  };
}

/** Reports a failed attempt; the one that reaches maxAuthFailures also ends the stream. */
function failure(
  state: NegotiationState,
  env: NegotiationEnv,
  error: SaslError,
  errors: readonly unknown[] = [],
): NegotiationStep {
  const authFailures = state.authFailures + 1;
  const next: NegotiationState = { ...state, authFailures, sasl: undefined };
  const reply = out(error.toElement());
  if (authFailures >= state.config.maxAuthFailures) {
    // RFC 6120 §6.4.5: past the retry limit, the stream error SHOULD be <policy-violation/>.
    return streamErrorStep(next, env, "policy-violation", { before: [reply], errors });
  }
  return step(next, [reply], { errors });
}

async function run(
  state: NegotiationState,
  env: NegotiationEnv,
  mechanism: SaslMechanismName,
  exchange: () => Promise<SaslResult<SaslState>>,
): Promise<NegotiationStep> {
  let result: SaslResult<SaslState>;
  try {
    result = await exchange();
  } catch (e) {
    if (e instanceof SaslError) return failure(state, env, e, e.cause ? [e.cause] : []);
    // A bug or a crypto failure: the client gets a retryable failure, the shell logs the error.
    return failure(state, env, new SaslError("temporary-auth-failure"), [e]);
  }
  if (result.kind === "challenge") {
    const challenge = xml("challenge", { xmlns: NS.SASL }, encodeSaslPayload(result.data));
    return step({ ...state, sasl: result.state }, [out(challenge)]);
  }
  // RFC 6120 §6.4.6: additional data (SCRAM's server-final) goes in <success/>, then the
  // stream restarts and the parser is discarded.
  const success = xml("success", { xmlns: NS.SASL }, encodeSaslPayload(result.data));
  return step(
    {
      ...state,
      phase: "await-open",
      streamId: undefined,
      sasl: undefined,
      jid: result.jid,
      mechanism,
    },
    [out(success)],
    {
      effects: [{ kind: "authenticated", jid: result.jid, mechanism }, { kind: "restart" }],
    },
  );
}

function auth(state: NegotiationState, element: Element, env: NegotiationEnv) {
  const { config, info } = state;
  // RFC 6120 §5.3.1: while STARTTLS is mandatory-to-negotiate, SASL is not offered; an attempt
  // anyway gets <encryption-required/> (§6.5.4).
  if (config.requireTls && !info.secure) {
    return Promise.resolve(failure(state, env, new SaslError("encryption-required")));
  }
  const mechanism = element.attrs.mechanism ?? "";
  if (!isSaslMechanism(mechanism) || !offeredMechanisms(config, info).includes(mechanism)) {
    // RFC 6120 §6.5.4: PLAIN exists but needs a protected stream (RFC 4616 §6); anything else
    // not offered (or no 'mechanism' at all) is <invalid-mechanism/> (§6.5.7).
    const condition = mechanism === "PLAIN" && !info.secure
      ? "encryption-required"
      : "invalid-mechanism";
    return Promise.resolve(failure(state, env, new SaslError(condition)));
  }
  // A new <auth/> replaces an unfinished exchange (RFC 6120 does not forbid restarting).
  return run(state, env, mechanism, () => {
    const ctx = context(state, env);
    return saslStart(mechanism, decodeSaslPayload(text(element)), ctx);
  });
}

function response(state: NegotiationState, element: Element, env: NegotiationEnv) {
  const exchange = state.sasl;
  if (exchange === undefined) {
    return Promise.resolve(
      failure(state, env, new SaslError("malformed-request", "No exchange in progress")),
    );
  }
  return run(state, env, exchange.mechanism, () => {
    // An empty <response/> is taken as zero-length data, like "=".
    const data = decodeSaslPayload(text(element)) ?? new Uint8Array(0);
    return saslContinue(exchange, data, context(state, env));
  });
}

/**
 * Handles an element in the SASL namespace before authentication.
 *
 * @param state The state (phase "negotiating", not authenticated).
 * @param element The element, in the SASL namespace.
 * @param env Credentials and randomness.
 * @returns The step.
 * @example
 * ```ts
 * import { handleSasl } from "./negotiation_sasl.ts";
 * import { initialState, type NegotiationEnv } from "./negotiation.ts";
 * import { xml } from "../xml/element.ts";
 * const s = initialState({ domains: ["localhost"], requireTls: false, canStartTls: false, maxAuthFailures: 3 }, { kind: "tcp", secure: false });
 * const abort = xml("abort", { xmlns: "urn:ietf:params:xml:ns:xmpp-sasl" });
 * const r = await handleSasl({ ...s, phase: "negotiating", streamId: "s1" }, abort, {} as NegotiationEnv);
 * if (r.state.authFailures !== 1) throw new Error();
 * ```
 */
export function handleSasl(
  state: NegotiationState,
  element: Element,
  env: NegotiationEnv,
): Promise<NegotiationStep> {
  switch (element.name) {
    case "auth":
      return auth(state, element, env);
    case "response":
      return response(state, element, env);
    case "abort":
      // RFC 6120 §6.4.4. Counted like any failure, so aborting cannot be looped forever.
      return Promise.resolve(failure(state, env, new SaslError("aborted")));
    default:
      // <success/>, <challenge/>, <failure/> are the server's: RFC 6120 §4.9.3.24.
      return Promise.resolve(streamErrorStep(state, env, "unsupported-stanza-type"));
  }
}

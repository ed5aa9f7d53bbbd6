/**
 * SASL negotiation (RFC 6120 §6.4): `<auth/>`, `<challenge/>`/`<response/>`, `<abort/>`,
 * `<success/>` and `<failure/>`, with the retry limits of §6.4.5 and the throttle of
 * credential checks.
 *
 * @module
 */
import type { SaslContext, SaslMechanismName, SaslResult } from "../sasl/context.ts";
import {
  isSaslMechanism,
  saslContinue,
  saslStart,
  type SaslState,
  verifiedAccount,
} from "../sasl/mechanism.ts";
import { decodeSaslPayload, encodeSaslPayload } from "../sasl/payload.ts";
import { offeredChannelBindings } from "../sasl/channel_binding.ts";
import { SaslError } from "../sasl/sasl_error.ts";
import { type Element, text, xml } from "../xml/element.ts";
import { NS } from "../xml/ns.ts";
import type { AuthTicket } from "./auth_throttle.ts";
import { channelBindings, offeredMechanisms } from "./features.ts";
import { out, step, streamErrorStep } from "./negotiation_common.ts";
import { loggableMechanism } from "./negotiation_log.ts";
import type {
  NegotiationEnv,
  NegotiationLog,
  NegotiationState,
  NegotiationStep,
} from "./negotiation_types.ts";

/** Default of `NegotiationConfig.maxAuthErrors`. */
export const DEFAULT_MAX_AUTH_ERRORS = 10;

/**
 * The mechanisms' context on a stream.
 *
 * @param state The state.
 * @param env Credentials, tokens and randomness.
 * @returns The context.
 */
export function saslContext(state: NegotiationState, env: NegotiationEnv): SaslContext {
  const fast = env.fast;
  return {
    domain: state.domain,
    channelBindings: channelBindings(state.info),
    getCredentials: (jid) => env.getCredentials(jid),
    randomBytes: (n) => env.randomBytes(n),
    fakeSaltKey: state.config.fakeSaltKey,
    tokens: fast ? (jid, mechanism) => fast.tokens(jid, mechanism) : undefined,
    verifyPassword: env.verifyPassword?.bind(env),
    verifyToken: env.verifyToken?.bind(env),
    external: state.info.authenticatedAs as SaslContext["external"],
    // XEP-0474: what this stream advertised, for SCRAM's h= attribute.
    downgradeProtection: state.config.downgradeProtection
      ? {
        mechanisms: offeredMechanisms(state.config, state.info, state.domain),
        channelBindings: offeredChannelBindings(channelBindings(state.info)),
      }
      : undefined,
  };
}

/**
 * How one SASL profile writes its exchange: RFC 6120's `<challenge/>`, `<failure/>` and
 * `<success/>`, or XEP-0388's.
 */
export interface SaslWire {
  /** The challenge element for some data. */
  challenge(data: Uint8Array): Element;
  /** The failure element of an error. */
  failure(error: SaslError): Element;
  /** The step after a successful exchange. */
  success(
    state: NegotiationState,
    result: Extract<SaslResult<SaslState>, { kind: "success" }>,
    mechanism: SaslMechanismName,
    log: readonly NegotiationLog[],
  ): NegotiationStep | Promise<NegotiationStep>;
}

/** RFC 6120 §6.4: the legacy profile. */
const RFC6120: SaslWire = {
  challenge: (data) => xml("challenge", { xmlns: NS.SASL }, encodeSaslPayload(data)),
  failure: (error) => error.toElement(),
  success(state, result, mechanism, log) {
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
        log,
      },
    );
  },
};

/** The log line of a SASL failure: mechanism, condition, address; never a payload. */
function failureLog(
  state: NegotiationState,
  env: NegotiationEnv,
  mechanism: string | undefined,
  error: SaslError,
): NegotiationLog {
  const remoteAddress = state.info.remoteAddress;
  const level = env.throttle?.noteFailure(remoteAddress) ?? "info";
  return {
    level,
    message: level === "warn"
      ? "SASL failures flood from one address: further ones this minute are logged at debug"
      : "SASL failure",
    fields: {
      mechanism: loggableMechanism(mechanism),
      condition: error.condition,
      text: error.text,
      wrongCredentials: error.wrongCredentials,
      remoteAddress,
    },
  };
}

/**
 * Reports a failed attempt. Wrong credentials count toward `maxAuthFailures`, anything else
 * toward `maxAuthErrors` (so that a client can go on to a mechanism that works, while no
 * client can loop forever on malformed messages or aborts); the failure that reaches its
 * limit also ends the stream.
 */
export function failure(
  state: NegotiationState,
  env: NegotiationEnv,
  mechanism: string | undefined,
  error: SaslError,
  errors: readonly unknown[] = [],
  wire: SaslWire = RFC6120,
): NegotiationStep {
  const wrong = error.wrongCredentials;
  const authFailures = state.authFailures + (wrong ? 1 : 0);
  const authErrors = state.authErrors + (wrong ? 0 : 1);
  const next: NegotiationState = {
    ...state,
    authFailures,
    authErrors,
    sasl: undefined,
    sasl2: undefined,
  };
  const reply = out(wire.failure(error));
  const log = [failureLog(state, env, mechanism, error)];
  const maxErrors = state.config.maxAuthErrors ?? DEFAULT_MAX_AUTH_ERRORS;
  if (authFailures >= state.config.maxAuthFailures || authErrors >= maxErrors) {
    // RFC 6120 §6.4.5: past the retry limit, the stream error SHOULD be <policy-violation/>.
    return streamErrorStep(next, env, "policy-violation", { before: [reply], errors, log });
  }
  return step(next, [reply], { errors, log });
}

export async function run(
  state: NegotiationState,
  env: NegotiationEnv,
  mechanism: SaslMechanismName,
  account: string | undefined,
  exchange: () => Promise<SaslResult<SaslState>>,
  wire: SaslWire = RFC6120,
): Promise<NegotiationStep> {
  let ticket: AuthTicket | undefined;
  if (account !== undefined && env.throttle) {
    // Consulted before the credentials are checked, and the answer waits for it: the client
    // learns nothing sooner by trying faster (issue #10).
    ticket = await env.throttle.admit(state.info.remoteAddress, account);
    if (!ticket) {
      const refused = new SaslError(
        "temporary-auth-failure",
        "Too many failed authentication attempts; try again later",
      );
      return failure(state, env, mechanism, refused, [], wire);
    }
  }
  let result: SaslResult<SaslState>;
  try {
    result = await exchange();
  } catch (e) {
    ticket?.settle(false);
    if (e instanceof SaslError) {
      return failure(state, env, mechanism, e, e.cause ? [e.cause] : [], wire);
    }
    // A bug or a crypto failure: the client gets a retryable failure, the shell logs the error.
    return failure(state, env, mechanism, new SaslError("temporary-auth-failure"), [e], wire);
  }
  ticket?.settle(result.kind === "success");
  const log: NegotiationLog[] = ticket && ticket.delayMs > 0
    ? [{
      level: "debug",
      message: "Credential check delayed by the throttle",
      fields: { delayMs: ticket.delayMs, remoteAddress: state.info.remoteAddress },
    }]
    : [];
  if (result.kind === "challenge") {
    return step({ ...state, sasl: result.state }, [out(wire.challenge(result.data))], { log });
  }
  return await wire.success(state, result, mechanism, log);
}

/** Decodes the base64 data of `<auth/>` or `<response/>`, or reports incorrect-encoding. */
export function payload(
  state: NegotiationState,
  env: NegotiationEnv,
  mechanism: string | undefined,
  element: Element | undefined,
  wire: SaslWire = RFC6120,
): { data: Uint8Array | undefined } | NegotiationStep {
  if (element === undefined) return { data: undefined };
  try {
    return { data: decodeSaslPayload(text(element)) };
  } catch (e) {
    if (e instanceof SaslError) return failure(state, env, mechanism, e, [], wire);
    throw e;
  }
}

function auth(state: NegotiationState, element: Element, env: NegotiationEnv) {
  const { config, info } = state;
  const mechanism = element.attrs.mechanism ?? "";
  // RFC 6120 §5.3.1: while STARTTLS is mandatory-to-negotiate, SASL is not offered; an attempt
  // anyway gets <encryption-required/> (§6.5.4).
  if (config.requireTls && !info.secure) {
    return Promise.resolve(failure(state, env, mechanism, new SaslError("encryption-required")));
  }
  if (
    !isSaslMechanism(mechanism) ||
    !offeredMechanisms(config, info, state.domain).includes(mechanism)
  ) {
    // RFC 6120 §6.5.4: PLAIN exists but needs a protected stream (RFC 4616 §6); anything else
    // not offered (or no 'mechanism' at all) is <invalid-mechanism/> (§6.5.7).
    const condition = mechanism === "PLAIN" && !info.secure
      ? "encryption-required"
      : "invalid-mechanism";
    return Promise.resolve(failure(state, env, mechanism, new SaslError(condition)));
  }
  const decoded = payload(state, env, mechanism, element);
  if (!("data" in decoded)) return Promise.resolve(decoded);
  const account = verifiedAccount(mechanism, undefined, decoded.data, state.domain);
  // A new <auth/> replaces an unfinished exchange (RFC 6120 does not forbid restarting).
  return run(
    state,
    env,
    mechanism,
    account,
    () => saslStart(mechanism, decoded.data, saslContext(state, env)),
  );
}

function response(state: NegotiationState, element: Element, env: NegotiationEnv) {
  const exchange = state.sasl;
  if (exchange === undefined) {
    return Promise.resolve(
      failure(state, env, undefined, new SaslError("malformed-request", "No exchange in progress")),
    );
  }
  const decoded = payload(state, env, exchange.mechanism, element);
  if (!("data" in decoded)) return Promise.resolve(decoded);
  // An empty <response/> is taken as zero-length data, like "=".
  const data = decoded.data ?? new Uint8Array(0);
  const account = verifiedAccount(exchange.mechanism, exchange, data, state.domain);
  return run(
    state,
    env,
    exchange.mechanism,
    account,
    () => saslContinue(exchange, data, saslContext(state, env)),
  );
}

/**
 * Handles an element in the SASL namespace before authentication.
 *
 * @param state The state (phase "negotiating", not authenticated).
 * @param element The element, in the SASL namespace.
 * @param env Credentials, randomness and the throttle.
 * @returns The step.
 * @example
 * ```ts
 * import { handleSasl } from "./negotiation_sasl.ts";
 * import { initialState, type NegotiationEnv } from "./negotiation.ts";
 * import { xml } from "../xml/element.ts";
 * const s = initialState({ domains: ["localhost"], requireTls: false, canStartTls: false, maxAuthFailures: 3 }, { kind: "tcp", secure: false });
 * const abort = xml("abort", { xmlns: "urn:ietf:params:xml:ns:xmpp-sasl" });
 * const r = await handleSasl({ ...s, phase: "negotiating", streamId: "s1" }, abort, {} as NegotiationEnv);
 * if (r.state.authErrors !== 1 || r.state.authFailures !== 0) throw new Error();
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
      // RFC 6120 §6.4.4. Not a wrong credential, but counted toward maxAuthErrors, so aborting
      // cannot be looped forever.
      return Promise.resolve(
        failure(state, env, state.sasl?.mechanism, new SaslError("aborted")),
      );
    default:
      // <success/>, <challenge/>, <failure/> are the server's: RFC 6120 §4.9.3.24.
      return Promise.resolve(streamErrorStep(state, env, "unsupported-stanza-type"));
  }
}

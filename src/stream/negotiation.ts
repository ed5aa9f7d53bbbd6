/**
 * Client-to-server stream negotiation (RFC 6120 §4-§7) as a pure function:
 * `(state, input, env) → { state, outputs, effects }`. No sockets: the session shell writes the
 * outputs, performs the effects and feeds the next input.
 *
 * Order on a plain TCP connection: header → features (STARTTLS) → `<proceed/>` → "secured" →
 * header → features (SASL) → exchange → `<success/>` + restart → header → features (bind) →
 * bind → "bound", after which the shell routes stanzas and stops calling {@linkcode negotiate}.
 *
 * @example
 * ```ts
 * import { initialState, negotiate, type NegotiationEnv } from "./negotiation.ts";
 * import type { BareJid, FullJid } from "../jid/jid.ts";
 * const env: NegotiationEnv = {
 *   getCredentials: () => Promise.resolve(undefined),
 *   bind: (jid: BareJid, r?: string) => Promise.resolve(`${jid}/${r ?? "x"}` as FullJid),
 *   randomBytes: (n) => crypto.getRandomValues(new Uint8Array(n)),
 *   randomId: () => crypto.randomUUID(),
 * };
 * const state = initialState(
 *   { domains: ["localhost"], requireTls: true, canStartTls: true, maxAuthFailures: 3 },
 *   { kind: "tcp", secure: false },
 * );
 * const header = {
 *   name: "stream",
 *   xmlns: "http://etherx.jabber.org/streams",
 *   contentNs: "jabber:client",
 *   attrs: { to: "localhost", version: "1.0" },
 * };
 * const step = await negotiate(state, { kind: "open", header }, env);
 * // Our header, then <stream:features><starttls><required/></starttls></stream:features>.
 * if (step.outputs.length !== 2 || step.state.phase !== "negotiating") throw new Error();
 * ```
 *
 * @module
 */
import { prepDomain } from "../jid/jid.ts";
import { NS } from "../xml/ns.ts";
import type { TransportInfo } from "../base/transport.ts";
import { handlePostAuth } from "./negotiation_bind.ts";
import { step, streamErrorStep, withLog } from "./negotiation_common.ts";
import { loggableMechanism } from "./negotiation_log.ts";
import { handleOpen } from "./negotiation_header.ts";
import { handleRegister, isRegisterIq } from "./negotiation_register.ts";
import { handlePreauth, isPreauthIq } from "./negotiation_preauth.ts";
import { handleSasl } from "./negotiation_sasl.ts";
import { handleSasl2 } from "./negotiation_sasl2.ts";
import { handleSecured, handleTls } from "./negotiation_tls.ts";
import { receivedStreamError } from "../base/stream_error.ts";
import type {
  NegotiationConfig,
  NegotiationEnv,
  NegotiationInput,
  NegotiationLog,
  NegotiationState,
  NegotiationStep,
} from "./negotiation_types.ts";

export type {
  NegotiationConfig,
  NegotiationEffect,
  NegotiationEnv,
  NegotiationInput,
  NegotiationLog,
  NegotiationOutput,
  NegotiationPhase,
  NegotiationState,
  NegotiationStep,
} from "./negotiation_types.ts";
export type { StreamHeader } from "./stream_header.ts";

/**
 * The state of a new connection, waiting for the peer's stream header.
 *
 * @param config How this transport negotiates.
 * @param info What the transport says about the connection (`secure` for direct TLS).
 * @returns The state.
 * @throws {RangeError} When `domains` is empty or holds a malformed domain, or
 * `maxAuthFailures` or `maxAuthErrors` is not a positive integer.
 * @example
 * ```ts
 * import { initialState } from "./negotiation.ts";
 * const s = initialState(
 *   { domains: ["LocalHost"], requireTls: false, canStartTls: false, maxAuthFailures: 3 },
 *   { kind: "tcp", secure: false },
 * );
 * if (s.phase !== "await-open" || s.domain !== "localhost") throw new Error();
 * ```
 */
export function initialState(config: NegotiationConfig, info: TransportInfo): NegotiationState {
  if (config.domains.length === 0) throw new RangeError("Cannot negotiate: no hosted domain");
  let domain: string;
  try {
    domain = prepDomain(config.domains[0]);
  } catch {
    throw new RangeError(`Cannot negotiate: malformed domain "${config.domains[0]}"`);
  }
  if (!Number.isInteger(config.maxAuthFailures) || config.maxAuthFailures < 1) {
    throw new RangeError(
      `Cannot negotiate: maxAuthFailures "${config.maxAuthFailures}" is not a positive integer`,
    );
  }
  const maxErrors = config.maxAuthErrors;
  if (maxErrors !== undefined && (!Number.isInteger(maxErrors) || maxErrors < 1)) {
    throw new RangeError(
      `Cannot negotiate: maxAuthErrors "${maxErrors}" is not a positive integer`,
    );
  }
  return { config, info, phase: "await-open", domain, authFailures: 0, authErrors: 0 };
}

function element(
  state: NegotiationState,
  input: Extract<NegotiationInput, { kind: "element" }>,
  env: NegotiationEnv,
): Promise<NegotiationStep> {
  const el = input.element;
  const condition = receivedStreamError(el);
  if (condition !== undefined) {
    // RFC 6120 §4.9.1: a stream error is unrecoverable; we close our side without answering.
    return Promise.resolve(
      step({ ...state, phase: "closed", sasl: undefined }, [{ kind: "close" }], {
        effects: [{ kind: "disconnect" }],
        log: [{
          level: "info",
          message: "Stream error received",
          fields: { condition, remoteAddress: state.info.remoteAddress },
        }],
      }),
    );
  }
  if (state.jid !== undefined) return handlePostAuth(state, el, env);
  if (el.xmlns === NS.TLS) return Promise.resolve(handleTls(state, el, env));
  if (el.xmlns === NS.SASL) return handleSasl(state, el, env);
  if (el.xmlns === NS.SASL2 && state.config.sasl2) return handleSasl2(state, el, env);
  // In-band registration (XEP-0077) and invitation tokens (XEP-0445): never on the guest
  // domain, and where TLS is mandatory not before it (RFC 6120 §5.3.1: nothing but STARTTLS
  // comes first); otherwise they end the stream as below.
  const preAuthIqs = state.domain !== state.config.guestDomain &&
    (state.info.secure || !state.config.requireTls);
  if (preAuthIqs && isRegisterIq(el)) return handleRegister(state, el, env);
  if (preAuthIqs && isPreauthIq(el)) return handlePreauth(state, el, env);
  // RFC 6120 §4.9.3.12: stanzas (or anything else) before authentication.
  return Promise.resolve(streamErrorStep(state, env, "not-authorized"));
}

/**
 * Advances the negotiation by one input.
 *
 * - "open": validates the header and answers with ours first, then the features or a stream
 *   error (invalid-namespace, host-unknown, unsupported-version, invalid-from).
 * - "element": STARTTLS, SASL, resource binding; anything else before binding ends the stream
 *   with `<not-authorized/>`.
 * - "secured": the transport was upgraded; the peer's new header comes next.
 * - "close": we close our side too.
 *
 * Once the phase is "closed" every input is ignored (RFC 6120 §4.9.1.1). After "bound" the
 * shell owns the stream: calling again with anything but "close" throws.
 *
 * @param state The current state.
 * @param input What happened.
 * @param env Credentials, binding and randomness.
 * @returns The next state, what to write and what to do.
 * @throws {Error} When called after the session was bound (a bug in the caller).
 * @example
 * ```ts
 * import { initialState, negotiate, type NegotiationEnv } from "./negotiation.ts";
 * const state = initialState(
 *   { domains: ["localhost"], requireTls: false, canStartTls: false, maxAuthFailures: 3 },
 *   { kind: "tcp", secure: false },
 * );
 * const step = await negotiate(state, { kind: "close" }, {} as NegotiationEnv);
 * if (step.effects[0]?.kind !== "disconnect") throw new Error();
 * ```
 */
export async function negotiate(
  state: NegotiationState,
  input: NegotiationInput,
  env: NegotiationEnv,
): Promise<NegotiationStep> {
  const result = await advance(state, input, env);
  return withLog(result, [trace(state, input, result)]);
}

/** The debug line of one step: what came in and went out, by name and namespace only. */
function trace(
  before: NegotiationState,
  input: NegotiationInput,
  result: NegotiationStep,
): NegotiationLog {
  const el = input.kind === "element" ? input.element : undefined;
  return {
    level: "debug",
    message: "Negotiation step",
    fields: {
      input: input.kind,
      element: el?.name,
      xmlns: el?.xmlns,
      // The mechanism a client names is no secret; its payload never appears here.
      mechanism: el?.name === "auth" || el?.name === "authenticate"
        ? loggableMechanism(el.attrs.mechanism)
        : undefined,
      from: before.phase,
      phase: result.state.phase,
      outputs: result.outputs
        .map((o) => o.kind === "element" ? `${o.element.name}` : o.kind)
        .join(" "),
      effects: result.effects.map((e) => e.kind).join(" ") || undefined,
      remoteAddress: before.info.remoteAddress,
    },
  };
}

function advance(
  state: NegotiationState,
  input: NegotiationInput,
  env: NegotiationEnv,
): Promise<NegotiationStep> {
  if (state.phase === "closed") return Promise.resolve(step(state, []));
  if (input.kind === "close") {
    return Promise.resolve(
      step({ ...state, phase: "closed", sasl: undefined }, [{ kind: "close" }], {
        effects: [{ kind: "disconnect" }],
      }),
    );
  }
  switch (state.phase) {
    case "bound":
      throw new Error(`Cannot negotiate "${input.kind}": the session is already bound`);
    case "await-secured":
      if (input.kind === "secured") return Promise.resolve(handleSecured(state, input.info));
      // RFC 6120 §5.4.3.3: nothing may come between <proceed/> and the TLS handshake, and no
      // XML can be written over a half-upgraded transport.
      return Promise.resolve(
        step({ ...state, phase: "closed" }, [], { effects: [{ kind: "disconnect" }] }),
      );
    case "await-open":
      if (input.kind === "open") return Promise.resolve(handleOpen(state, input.header, env));
      if (input.kind === "secured") return Promise.resolve(step(state, []));
      // An element before the stream header (possible only with WebSocket framing).
      return Promise.resolve(streamErrorStep(state, env, "bad-format"));
    case "negotiating":
      if (input.kind === "element") return element(state, input, env);
      if (input.kind === "secured") return Promise.resolve(step(state, []));
      // A second header without a restart (again only with WebSocket framing).
      return Promise.resolve(streamErrorStep(state, env, "bad-format"));
  }
}

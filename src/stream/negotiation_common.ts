/**
 * Building blocks shared by the negotiation handlers.
 *
 * @module
 */
import type { Element } from "../xml/element.ts";
import { type StreamErrorCondition, streamErrorElement } from "../base/stream_error.ts";
import type {
  NegotiationEffect,
  NegotiationEnv,
  NegotiationLog,
  NegotiationOutput,
  NegotiationState,
  NegotiationStep,
} from "./negotiation_types.ts";

/** What {@linkcode step} may add to a step besides state and outputs. */
export interface StepOptions {
  /** Effects to perform. */
  readonly effects?: readonly NegotiationEffect[];
  /** Unexpected errors to log. */
  readonly errors?: readonly unknown[];
  /** Lines to log. */
  readonly log?: readonly NegotiationLog[];
}

/**
 * Builds a step, leaving `errors` and `log` out when there are none.
 *
 * @param state The next state.
 * @param outputs What to write.
 * @param options `effects` to perform, `errors` and `log` lines to log.
 * @returns The step.
 * @example
 * ```ts
 * import { step } from "./negotiation_common.ts";
 * import { initialState } from "./negotiation.ts";
 * const s = initialState({ domains: ["localhost"], requireTls: false, canStartTls: false, maxAuthFailures: 3 }, { kind: "tcp", secure: false });
 * if ("errors" in step(s, []) || "log" in step(s, [])) throw new Error();
 * ```
 */
export function step(
  state: NegotiationState,
  outputs: readonly NegotiationOutput[],
  options: StepOptions = {},
): NegotiationStep {
  const result: {
    state: NegotiationState;
    outputs: readonly NegotiationOutput[];
    effects: readonly NegotiationEffect[];
    errors?: readonly unknown[];
    log?: readonly NegotiationLog[];
  } = { state, outputs, effects: options.effects ?? [] };
  if (options.errors && options.errors.length > 0) result.errors = options.errors;
  if (options.log && options.log.length > 0) result.log = options.log;
  return result;
}

/**
 * Appends log lines to a step.
 *
 * @param result The step.
 * @param log The lines to add after its own.
 * @returns The step with the lines.
 * @example
 * ```ts
 * import { step, withLog } from "./negotiation_common.ts";
 * import { initialState } from "./negotiation.ts";
 * const s = initialState({ domains: ["localhost"], requireTls: false, canStartTls: false, maxAuthFailures: 3 }, { kind: "tcp", secure: false });
 * const r = withLog(step(s, []), [{ level: "debug", message: "Hi", fields: {} }]);
 * if (r.log?.length !== 1) throw new Error();
 * ```
 */
export function withLog(result: NegotiationStep, log: readonly NegotiationLog[]): NegotiationStep {
  if (log.length === 0) return result;
  return { ...result, log: [...result.log ?? [], ...log] };
}

/**
 * Wraps an element as an output.
 *
 * @param element The element.
 * @returns The output.
 * @example
 * ```ts
 * import { out } from "./negotiation_common.ts";
 * import { xml } from "../xml/element.ts";
 * if (out(xml("a", null)).kind !== "element") throw new Error();
 * ```
 */
export function out(element: Element): NegotiationOutput {
  return { kind: "element", element };
}

/**
 * Our stream header (RFC 6120 §4.7): `from` our domain, a fresh `id`, `version` 1.0 and
 * `xml:lang` en.
 *
 * @param domain The hosted domain.
 * @param id The stream id.
 * @returns The output.
 * @example
 * ```ts
 * import { openOutput } from "./negotiation_common.ts";
 * const o = openOutput("localhost", "s1");
 * if (o.kind !== "open" || o.attrs.version !== "1.0") throw new Error();
 * ```
 */
export function openOutput(domain: string, id: string): NegotiationOutput {
  return { kind: "open", attrs: { from: domain, id, version: "1.0", "xml:lang": "en" } };
}

/**
 * Ends the stream with a stream error: our header first if we have not sent one for this
 * stream (RFC 6120 §4.9.1.2), then `before`, the error, `</stream:stream>` and disconnect.
 * Nothing is processed afterwards (RFC 6120 §4.9.1.1).
 *
 * @param state The state.
 * @param env For the stream id, when a header must be sent.
 * @param condition The stream error condition.
 * @param options `text` for the peer, `before`: outputs written before the error (e.g. a SASL
 * `<failure/>`), `errors` and `log` lines to log (a "Stream error sent" line follows them).
 * @returns The step.
 * @example
 * ```ts
 * import { streamErrorStep } from "./negotiation_common.ts";
 * import { initialState } from "./negotiation.ts";
 * const s = initialState({ domains: ["localhost"], requireTls: false, canStartTls: false, maxAuthFailures: 3 }, { kind: "tcp", secure: false });
 * const env = { randomId: () => "s1" } as Parameters<typeof streamErrorStep>[1];
 * const r = streamErrorStep(s, env, "host-unknown");
 * if (r.outputs.map((o) => o.kind).join() !== "open,element,close") throw new Error();
 * ```
 */
export function streamErrorStep(
  state: NegotiationState,
  env: NegotiationEnv,
  condition: StreamErrorCondition,
  options: {
    text?: string;
    before?: readonly NegotiationOutput[];
    errors?: readonly unknown[];
    log?: readonly NegotiationLog[];
  } = {},
): NegotiationStep {
  const header = state.streamId === undefined ? [openOutput(state.domain, env.randomId())] : [];
  const sent: NegotiationLog = {
    level: "info",
    message: "Stream error sent",
    fields: { condition, text: options.text, remoteAddress: state.info.remoteAddress },
  };
  return step(
    { ...state, phase: "closed", sasl: undefined },
    [
      ...header,
      ...options.before ?? [],
      out(streamErrorElement(condition, options.text)),
      { kind: "close" },
    ],
    {
      effects: [{ kind: "disconnect" }],
      errors: options.errors,
      log: [...options.log ?? [], sent],
    },
  );
}

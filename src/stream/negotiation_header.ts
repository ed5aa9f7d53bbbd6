/**
 * The peer's stream header: validation and our answer (RFC 6120 §4.7, §4.8, §4.9.1.2).
 *
 * @module
 */
import { prepDomain, tryParseJid } from "../jid/jid.ts";
import { NS } from "../xml/ns.ts";
import { postAuthFeatures, preAuthFeatures } from "./features.ts";
import { openOutput, out, step, streamErrorStep } from "./negotiation_common.ts";
import type { NegotiationEnv, NegotiationState, NegotiationStep } from "./negotiation_types.ts";
import type { StreamErrorCondition } from "../base/stream_error.ts";
import type { StreamHeader } from "./stream_header.ts";

function tryPrepDomain(domain: string): string | undefined {
  try {
    return prepDomain(domain);
  } catch {
    return undefined; // not a domain: not one we host
  }
}

/**
 * Finds the hosted domain a `to` attribute names.
 *
 * @param domains The hosted domains.
 * @param to The raw `to` value.
 * @returns The hosted domain (prepared), or `undefined`.
 * @example
 * ```ts
 * import { hostedDomain } from "./negotiation_header.ts";
 * if (hostedDomain(["localhost"], "LocalHost.") !== "localhost") throw new Error();
 * if (hostedDomain(["localhost"], undefined) !== undefined) throw new Error();
 * ```
 */
export function hostedDomain(
  domains: readonly string[],
  to: string | undefined,
): string | undefined {
  const wanted = to === undefined ? undefined : tryPrepDomain(to);
  if (wanted === undefined) return undefined;
  return domains.map(tryPrepDomain).find((d) => d === wanted);
}

function namespaceOk(header: StreamHeader): boolean {
  // RFC 6120 §4.8.1-4.8.2: the stream namespace, with jabber:client as content namespace.
  if (header.name === "stream" && header.xmlns === NS.STREAM) return header.contentNs === NS.CLIENT;
  // RFC 7395 §3.3.1: WebSocket framing opens with <open/>; stanzas then declare jabber:client
  // themselves, so the content namespace may be absent.
  if (header.name === "open" && header.xmlns === NS.FRAMING) {
    return header.contentNs === "" || header.contentNs === NS.FRAMING ||
      header.contentNs === NS.CLIENT;
  }
  return false;
}

function versionOk(version: string | undefined): boolean {
  // RFC 6120 §4.7.5: "major.minor", each an independent integer. A missing version means 0.9
  // (pre-RFC 3920), which we do not support; any 1.x is answered as 1.0.
  const m = version === undefined ? null : /^(\d+)\.(\d+)$/.exec(version);
  return m !== null && Number(m[1]) === 1;
}

function check(state: NegotiationState, header: StreamHeader, hosted: string | undefined): {
  condition: StreamErrorCondition;
  text?: string;
} | undefined {
  // RFC 6120 §4.9.3.10
  if (!namespaceOk(header)) return { condition: "invalid-namespace" };
  // RFC 6120 §4.7.2: the initiating entity MUST include 'to'. A missing 'to' names no domain we
  // service, so it gets host-unknown (§4.9.3.6); improper-addressing (§4.9.3.7) is defined for
  // stanzas between servers, not for stream headers.
  if (hosted === undefined) return { condition: "host-unknown" };
  // After SASL the account is bound to its domain: a restart must not switch to another one.
  if (state.jid !== undefined && hosted !== state.domain) {
    return { condition: "host-unknown", text: "The stream was authenticated for another domain" };
  }
  // RFC 6120 §4.9.3.25
  if (!versionOk(header.attrs.version)) return { condition: "unsupported-version" };
  // RFC 6120 §4.7.1, §4.9.3.9: after authentication 'from', when present, must be the
  // authenticated account (a resource, if any, is ignored: none is bound yet). Perl's
  // Net::XMPP (sendxmpp) puts the server's own domain there; that names no other account, and
  // Prosody and ejabberd accept it, so it is ignored.
  const from = header.attrs.from;
  if (state.jid !== undefined && from !== undefined) {
    const jid = tryParseJid(from);
    const ourDomain = jid !== undefined && !jid.local && !jid.resource &&
      jid.domain === state.domain;
    if (!ourDomain && jid?.bare !== state.jid) return { condition: "invalid-from" };
  }
  return undefined;
}

/**
 * Answers the peer's stream header: always with our own header first, then either the features
 * or a stream error (RFC 6120 §4.9.1.2).
 *
 * @param state The state; its phase is "await-open".
 * @param header The peer's header.
 * @param env For the stream id.
 * @returns The step.
 * @example
 * ```ts
 * import { handleOpen } from "./negotiation_header.ts";
 * import { initialState, type NegotiationEnv } from "./negotiation.ts";
 * const s = initialState({ domains: ["localhost"], requireTls: false, canStartTls: false, maxAuthFailures: 3 }, { kind: "tcp", secure: false });
 * const env = { randomId: () => "s1" } as unknown as NegotiationEnv;
 * const header = { name: "stream", xmlns: "http://etherx.jabber.org/streams", contentNs: "jabber:client", attrs: { to: "elsewhere", version: "1.0" } };
 * const r = handleOpen(s, header, env);
 * if (r.state.phase !== "closed") throw new Error();
 * ```
 */
export function handleOpen(
  state: NegotiationState,
  header: StreamHeader,
  env: NegotiationEnv,
): NegotiationStep {
  const hosted = hostedDomain(state.config.domains, header.attrs.to);
  // RFC 6120 §4.7.1: our 'from' may differ from the requested 'to' (an unknown one is not ours).
  const domain = state.jid === undefined ? hosted ?? state.domain : state.domain;
  const problem = check(state, header, hosted);
  const id = env.randomId();
  const opened: NegotiationState = { ...state, domain, streamId: id, phase: "negotiating" };
  const open = openOutput(domain, id);
  if (problem) {
    return streamErrorStep(opened, env, problem.condition, { text: problem.text, before: [open] });
  }
  if (state.jid !== undefined) return step(opened, [open, out(postAuthFeatures(state.config))]);
  const features = preAuthFeatures(state.config, state.info, env.fast !== undefined, domain);
  if (!features) {
    // TLS is mandatory but this connection cannot start it: nothing can be negotiated.
    return streamErrorStep(opened, env, "policy-violation", {
      text: "TLS is required but not available on this connection",
      before: [open],
    });
  }
  return step(opened, [open, out(features)]);
}

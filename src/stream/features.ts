/**
 * The `<stream:features/>` a c2s stream offers at each stage (RFC 6120 §4.3.2).
 *
 * @module
 */
import type { SaslMechanismName } from "../sasl/context.ts";
import { CHANNEL_BINDING_TYPE } from "../sasl/scram.ts";
import { type Element, xml } from "../xml/element.ts";
import { NS } from "../xml/ns.ts";
import type { TransportInfo } from "../base/transport.ts";
import type { NegotiationConfig } from "./negotiation_types.ts";

/** The part of the configuration that decides the features. */
export type FeatureConfig = Pick<
  NegotiationConfig,
  "requireTls" | "canStartTls" | "allowPlainWithoutTls" | "postAuthFeatures" | "registration"
>;

/**
 * Tells whether the -PLUS mechanisms can be offered: on a TLS stream whose
 * `tls-server-end-point` data the transport knows (RFC 5929 §4).
 *
 * @param info The transport.
 * @returns `true` when channel binding is available.
 * @example
 * ```ts
 * import { channelBindingAvailable } from "./features.ts";
 * if (channelBindingAvailable({ kind: "tcp", secure: false })) throw new Error();
 * ```
 */
export function channelBindingAvailable(info: TransportInfo): boolean {
  return info.secure && info.tlsServerEndPoint !== undefined && info.tlsServerEndPoint.length > 0;
}

/**
 * The SASL mechanisms offered on a stream, strongest first. None while STARTTLS is mandatory and
 * not done (RFC 6120 §5.3.1); no PLAIN on an unprotected stream (RFC 4616 §6) unless
 * `allowPlainWithoutTls`.
 *
 * @param config The configuration.
 * @param info The transport.
 * @returns The mechanism names.
 * @example
 * ```ts
 * import { offeredMechanisms } from "./features.ts";
 * const config = { requireTls: false, canStartTls: false };
 * const names = offeredMechanisms(config, { kind: "tcp", secure: false });
 * if (names.join() !== "SCRAM-SHA-256,SCRAM-SHA-1") throw new Error();
 * ```
 */
export function offeredMechanisms(
  config: FeatureConfig,
  info: TransportInfo,
): SaslMechanismName[] {
  if (!info.secure) {
    if (config.requireTls) return [];
    const plain: SaslMechanismName[] = config.allowPlainWithoutTls ? ["PLAIN"] : [];
    return ["SCRAM-SHA-256", "SCRAM-SHA-1", ...plain];
  }
  const plus: SaslMechanismName[] = channelBindingAvailable(info)
    ? ["SCRAM-SHA-256-PLUS", "SCRAM-SHA-1-PLUS"]
    : [];
  return [...plus, "SCRAM-SHA-256", "SCRAM-SHA-1", "PLAIN"];
}

function features(...children: (Element | readonly Element[] | undefined)[]): Element {
  return xml("features", { xmlns: NS.STREAM }, ...children);
}

/**
 * The features before authentication: STARTTLS (with `<required/>` when mandatory,
 * RFC 6120 §5.3.1), the SASL mechanisms, and the XEP-0440 list of channel binding types next
 * to the -PLUS mechanisms.
 *
 * @param config The configuration.
 * @param info The transport.
 * @returns The features, or `undefined` when TLS is required but cannot be started: nothing
 * can be offered.
 * @example
 * ```ts
 * import { preAuthFeatures } from "./features.ts";
 * const f = preAuthFeatures({ requireTls: true, canStartTls: true }, { kind: "tcp", secure: false });
 * if (f?.children.length !== 1) throw new Error();
 * ```
 */
export function preAuthFeatures(config: FeatureConfig, info: TransportInfo): Element | undefined {
  const tlsPossible = !info.secure && config.canStartTls;
  if (!info.secure && config.requireTls) {
    if (!tlsPossible) return undefined;
    return features(xml("starttls", { xmlns: NS.TLS }, xml("required", null)));
  }
  const mechanisms = offeredMechanisms(config, info);
  return features(
    tlsPossible ? xml("starttls", { xmlns: NS.TLS }) : undefined,
    xml("mechanisms", { xmlns: NS.SASL }, mechanisms.map((m) => xml("mechanism", null, m))),
    channelBindingAvailable(info)
      ? xml(
        "sasl-channel-binding",
        { xmlns: NS.SASL_CB },
        xml("channel-binding", { type: CHANNEL_BINDING_TYPE }),
      )
      : undefined,
    // XEP-0077 §8: in-band registration is offered before authentication.
    config.registration ? xml("register", { xmlns: NS.REGISTER_FEATURE }) : undefined,
  );
}

/**
 * The features after authentication and the stream restart: resource binding (RFC 6120 §7.4),
 * the optional legacy session (RFC 6121 leaves it out; old clients still look for it), and any
 * extra features of the configuration.
 *
 * @param config The configuration.
 * @returns The features.
 * @example
 * ```ts
 * import { postAuthFeatures } from "./features.ts";
 * const f = postAuthFeatures({ requireTls: true, canStartTls: true });
 * if (f.children.length !== 2) throw new Error();
 * ```
 */
export function postAuthFeatures(config: FeatureConfig): Element {
  return features(
    xml("bind", { xmlns: NS.BIND }),
    xml("session", { xmlns: NS.SESSION }, xml("optional", null)),
    config.postAuthFeatures ?? [],
  );
}

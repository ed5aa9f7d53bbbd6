/**
 * The `<stream:features/>` a c2s stream offers at each stage (RFC 6120 §4.3.2).
 *
 * @module
 */
import { type ChannelBindings, offeredChannelBindings } from "../sasl/channel_binding.ts";
import type { SaslMechanismName } from "../sasl/context.ts";
import { type Element, xml } from "../xml/element.ts";
import { NS } from "../xml/ns.ts";
import type { TransportInfo } from "../base/transport.ts";
import type { NegotiationConfig } from "./negotiation_types.ts";

/** The part of the configuration that decides the features. */
export type FeatureConfig = Pick<
  NegotiationConfig,
  | "requireTls"
  | "canStartTls"
  | "allowPlainWithoutTls"
  | "postAuthFeatures"
  | "registration"
  | "invites"
  | "sasl2"
  | "oauthBearer"
  | "guestDomain"
>;

/**
 * The XEP-0484 FAST mechanisms a stream offers: none on an unprotected stream (the token is
 * sent in the clear in `<token/>`), `HT-SHA-256-ENDP` where `tls-server-end-point` data is
 * known, and `HT-SHA-256-NONE`.
 *
 * @param info The transport.
 * @returns The mechanism names, strongest first.
 * @example
 * ```ts
 * import { fastMechanisms } from "./features.ts";
 * if (fastMechanisms({ kind: "tls", secure: true }).join() !== "HT-SHA-256-NONE") throw new Error();
 * if (fastMechanisms({ kind: "tcp", secure: false }).length !== 0) throw new Error();
 * ```
 */
export function fastMechanisms(info: TransportInfo): SaslMechanismName[] {
  if (!info.secure) return [];
  const endp = channelBindings(info)["tls-server-end-point"];
  return endp ? ["HT-SHA-256-ENDP", "HT-SHA-256-NONE"] : ["HT-SHA-256-NONE"];
}

/**
 * XEP-0388 §2.1 `<authentication/>`: the same mechanisms as RFC 6120 SASL, and in `<inline/>`
 * the Bind 2 feature list (XEP-0386 §2.1), the modules' SASL2 inline features and FAST
 * (XEP-0484 §3.1).
 */
function sasl2Feature(
  config: FeatureConfig,
  info: TransportInfo,
  mechanisms: readonly string[],
  fast: boolean,
): Element | undefined {
  const offer = config.sasl2;
  if (!offer || mechanisms.length === 0) return undefined;
  const fastNames = fast ? fastMechanisms(info) : [];
  return xml(
    "authentication",
    { xmlns: NS.SASL2 },
    mechanisms.map((m) => xml("mechanism", null, m)),
    xml(
      "inline",
      null,
      xml(
        "bind",
        { xmlns: NS.BIND2 },
        offer.bind2.length > 0
          ? xml("inline", null, offer.bind2.map((v) => xml("feature", { var: v })))
          : undefined,
      ),
      offer.inline,
      fastNames.length > 0
        ? xml("fast", { xmlns: NS.FAST }, fastNames.map((m) => xml("mechanism", null, m)))
        : undefined,
    ),
  );
}

/**
 * The channel binding data a stream offers: on a TLS stream, `tls-exporter` (RFC 9266) and
 * `tls-server-end-point` (RFC 5929 §4), each where the transport knows its data; nothing on an
 * unprotected stream.
 *
 * @param info The transport.
 * @returns The data by type; empty when the -PLUS mechanisms cannot be offered.
 * @example
 * ```ts
 * import { channelBindings } from "./features.ts";
 * const cb = channelBindings({ kind: "tls", secure: true, tlsServerEndPoint: new Uint8Array(32) });
 * if (Object.keys(cb).join() !== "tls-server-end-point") throw new Error();
 * ```
 */
export function channelBindings(info: TransportInfo): ChannelBindings {
  if (!info.secure) return {};
  const all: ChannelBindings = {
    "tls-exporter": info.tlsExporter,
    "tls-server-end-point": info.tlsServerEndPoint,
  };
  return Object.fromEntries(offeredChannelBindings(all).map((t) => [t, all[t]]));
}

/**
 * Tells whether the -PLUS mechanisms can be offered: on a TLS stream with at least one
 * channel binding type (see {@linkcode channelBindings}).
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
  return offeredChannelBindings(channelBindings(info)).length > 0;
}

/** EXTERNAL first where the transport authenticated the connection (RFC 4422 Appendix A). */
function external(info: TransportInfo): SaslMechanismName[] {
  return info.authenticatedAs ? ["EXTERNAL"] : [];
}

/**
 * The SASL mechanisms offered on a stream, strongest first. None while STARTTLS is mandatory and
 * not done (RFC 6120 §5.3.1); no PLAIN on an unprotected stream (RFC 4616 §6) unless
 * `allowPlainWithoutTls`.
 *
 * On the guest domain (`guestDomain`), only ANONYMOUS (RFC 4505): nobody has an account there.
 *
 * @param config The configuration.
 * @param info The transport.
 * @param domain The hosted domain of the stream.
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
  domain?: string,
): SaslMechanismName[] {
  if (config.requireTls && !info.secure) return [];
  if (domain !== undefined && domain === config.guestDomain) return ["ANONYMOUS"];
  if (!info.secure) {
    const plain: SaslMechanismName[] = config.allowPlainWithoutTls ? ["PLAIN"] : [];
    return [...external(info), "SCRAM-SHA-256", "SCRAM-SHA-1", ...plain];
  }
  const plus: SaslMechanismName[] = channelBindingAvailable(info)
    ? ["SCRAM-SHA-256-PLUS", "SCRAM-SHA-1-PLUS"]
    : [];
  // RFC 7628 §5: bearer tokens only on a protected stream.
  const bearer: SaslMechanismName[] = config.oauthBearer ? ["OAUTHBEARER"] : [];
  return [...external(info), ...plus, "SCRAM-SHA-256", "SCRAM-SHA-1", "PLAIN", ...bearer];
}

function features(...children: (Element | readonly Element[] | undefined)[]): Element {
  return xml("features", { xmlns: NS.STREAM }, ...children);
}

/**
 * The features before authentication: STARTTLS (with `<required/>` when mandatory,
 * RFC 6120 §5.3.1), the SASL mechanisms, and next to the -PLUS mechanisms the XEP-0440 list of
 * exactly the channel binding types offered.
 *
 * @param config The configuration.
 * @param info The transport.
 * @param fast Whether FAST tokens can be offered (XEP-0484).
 * @param domain The hosted domain of the stream (the guest domain offers ANONYMOUS only).
 * @returns The features, or `undefined` when TLS is required but cannot be started: nothing
 * can be offered.
 * @example
 * ```ts
 * import { preAuthFeatures } from "./features.ts";
 * const f = preAuthFeatures({ requireTls: true, canStartTls: true }, { kind: "tcp", secure: false });
 * if (f?.children.length !== 1) throw new Error();
 * ```
 */
export function preAuthFeatures(
  config: FeatureConfig,
  info: TransportInfo,
  fast = false,
  domain?: string,
): Element | undefined {
  const tlsPossible = !info.secure && config.canStartTls;
  if (!info.secure && config.requireTls) {
    if (!tlsPossible) return undefined;
    return features(xml("starttls", { xmlns: NS.TLS }, xml("required", null)));
  }
  const mechanisms = offeredMechanisms(config, info, domain);
  const guest = domain !== undefined && domain === config.guestDomain;
  const cbTypes = offeredChannelBindings(channelBindings(info));
  return features(
    tlsPossible ? xml("starttls", { xmlns: NS.TLS }) : undefined,
    xml("mechanisms", { xmlns: NS.SASL }, mechanisms.map((m) => xml("mechanism", null, m))),
    sasl2Feature(config, info, mechanisms, fast && !guest),
    cbTypes.length > 0
      ? xml(
        "sasl-channel-binding",
        { xmlns: NS.SASL_CB },
        cbTypes.map((type) => xml("channel-binding", { type })),
      )
      : undefined,
    // XEP-0077 §8: in-band registration is offered before authentication.
    (config.registration || config.invites) && !guest
      ? xml("register", { xmlns: NS.REGISTER_FEATURE })
      : undefined,
    // XEP-0401 §5 / XEP-0445 §3: invitations (a `<preauth/>` token) are taken.
    config.invites && !guest ? xml("register", { xmlns: NS.INVITE }) : undefined,
    config.invites && !guest ? xml("register", { xmlns: NS.IBR_TOKEN }) : undefined,
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

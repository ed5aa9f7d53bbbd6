/**
 * The data of stream negotiation: configuration, what the shell provides, inputs, outputs,
 * effects and the state. Re-exported by `negotiation.ts`.
 *
 * @module
 */
import type { BareJid, FullJid } from "../jid/jid.ts";
import type { SaslMechanismName } from "../sasl/context.ts";
import type { SaslState } from "../sasl/mechanism.ts";
import type { LogFields } from "../base/logger.ts";
import type { Credentials } from "../storage/account_store.ts";
import type { Element } from "../xml/element.ts";
import type { TransportInfo } from "../base/transport.ts";
import type { AuthThrottle } from "./auth_throttle.ts";
import type { StreamHeader } from "./stream_header.ts";
import type { TokenCandidate } from "../sasl/hashed_token.ts";

/**
 * What XEP-0388 SASL2 offers next to the mechanisms. The arrays may be live (modules add and
 * remove their entries): they are read whenever features are written.
 */
export interface Sasl2Offer {
  /**
   * SASL2 inline features, listed in `<authentication><inline>` (e.g. XEP-0198's `<sm/>` for
   * inline resumption). A request in one of their namespaces inside `<authenticate/>` is
   * handed to the shell with the `sasl2-inline` effect.
   */
  readonly inline: readonly Element[];
  /** Namespaces of Bind 2 inline features, listed as `<feature var/>` (XEP-0386 §2.1). */
  readonly bind2: readonly string[];
}

/** A token issued by XEP-0484 FAST. */
export interface IssuedToken {
  /** The token, given to the client once. */
  readonly token: string;
  /** When it stops being accepted. */
  readonly expiry: Date;
}

/** XEP-0484 FAST tokens: what negotiation needs to accept, issue and revoke them. */
export interface FastTokenAuthority {
  /** The account's live tokens bound to a mechanism, as SHA-256 hashes. */
  tokens(jid: BareJid, mechanism: string): Promise<readonly TokenCandidate[]>;
  /**
   * Issues a token bound to a mechanism and a client (its XEP-0388 user-agent id).
   * `replacing` is the id of the token the client authenticated with, if any: it stays valid
   * until the new one is first used (rotation, XEP-0484 §3.3).
   */
  issue(
    jid: BareJid,
    mechanism: string,
    userAgent: string | undefined,
    replacing?: string,
  ): Promise<IssuedToken>;
  /** A token was used: older tokens of the same client are revoked. */
  used(jid: BareJid, tokenId: string): Promise<void>;
  /** Revokes one token (`<fast invalidate='true'/>`, XEP-0484 §3.4). */
  revoke(jid: BareJid, tokenId: string): Promise<void>;
}

/** How a transport negotiates streams. */
export interface NegotiationConfig {
  /** Hosted domains (prepared); the first is the default. */
  readonly domains: readonly string[];
  /** STARTTLS is mandatory-to-negotiate (true by default on TCP). */
  readonly requireTls: boolean;
  /** The transport can upgrade and a certificate is configured. */
  readonly canStartTls: boolean;
  /** Offer PLAIN on an unprotected stream: local development only (RFC 4616 §6). */
  readonly allowPlainWithoutTls?: boolean;
  /**
   * How many wrong credentials (a bad proof or password, an unknown user) a stream may try:
   * the failure that reaches this number is answered with `<failure/>` and then a
   * `<policy-violation/>` stream error (RFC 6120 §6.4.5). E.g. 3 gives a client two retries.
   * Other SASL failures do not count here but toward `maxAuthErrors`.
   */
  readonly maxAuthFailures: number;
  /**
   * How many other SASL failures a stream may have (an unsupported mechanism or channel
   * binding type, a malformed message, `<abort/>`, a detected downgrade, a refused or failed
   * attempt): a client may try its way through mechanisms (slixmpp needs four failures before
   * PLAIN), but not loop forever. The one that reaches this number ends the stream like
   * `maxAuthFailures`. Default 10.
   */
  readonly maxAuthErrors?: number;
  /** Extra stream features offered next to `<bind/>` (e.g. XEP-0198). */
  readonly postAuthFeatures?: readonly Element[];
  /**
   * Server secret for stable fake SCRAM salts of unknown users (see
   * `SaslContext.fakeSaltKey`). Without it an unknown user gets a fresh random salt each time.
   */
  readonly fakeSaltKey?: Uint8Array;
  /**
   * Offer XEP-0077 in-band registration before authentication (needs `NegotiationEnv.register`).
   * Default `false`.
   */
  readonly registration?: boolean;
  /**
   * Take XEP-0401 / XEP-0445 invitations: a `<preauth/>` token (checked with
   * `NegotiationEnv.preauth`) allows in-band registration even when `registration` is off.
   */
  readonly invites?: boolean;
  /**
   * A hosted domain for guests (SASL ANONYMOUS, RFC 4505): a stream to it offers ANONYMOUS
   * only, no registration. Off when absent.
   */
  readonly guestDomain?: string;
  /**
   * XEP-0474 SCRAM downgrade protection: SCRAM's server-first-message carries `h=`, the hash
   * of the advertised mechanisms and channel binding types. Default `false`.
   */
  readonly downgradeProtection?: boolean;
  /** Offer OAUTHBEARER (RFC 7628) on protected streams (needs `NegotiationEnv.verifyToken`). */
  readonly oauthBearer?: boolean;
  /** Offer XEP-0388 SASL2 (with XEP-0386 Bind 2 and, given `NegotiationEnv.fast`, FAST). */
  readonly sasl2?: Sasl2Offer;
}

/** The effects negotiation asks of the server, as functions. */
export interface NegotiationEnv {
  /** The account's credentials; may throw on storage failure (→ temporary-auth-failure). */
  getCredentials(jid: BareJid): Promise<Credentials | undefined>;
  /**
   * Registers the session. `resource` is prepared; `undefined` asks the server to generate one
   * (RFC 6120 §7.6). May throw a `StanzaError` (conflict, not-allowed, resource-constraint),
   * which becomes the iq error.
   */
  bind(jid: BareJid, resource: string | undefined): Promise<FullJid>;
  /** Cryptographically strong random bytes (SCRAM nonces, fake salts). */
  randomBytes(n: number): Uint8Array;
  /** A fresh unique id: stream ids, generated resources. */
  randomId(): string;
  /**
   * Creates an account by XEP-0077 in-band registration. Throws a `StanzaError` to refuse it
   * (`conflict` for an existing account, `resource-constraint` when rate limited).
   */
  register?(jid: BareJid, password: string, info: TransportInfo, token?: string): Promise<void>;
  /** Whether an invitation token is valid (XEP-0445 `<preauth/>`); it stays usable. */
  preauth?(token: string): Promise<boolean>;
  /**
   * Throttles credential checks per remote address and account (see `auth_throttle.ts`):
   * consulted before each SASL step that checks credentials, which waits for it. Without it,
   * only the per-stream limits apply.
   */
  readonly throttle?: AuthThrottle;
  /** XEP-0484 FAST tokens; without it FAST is not offered. */
  readonly fast?: FastTokenAuthority;
  /** Checks a password of an account without stored credentials (an application's user). */
  verifyPassword?(jid: BareJid, password: string): Promise<boolean>;
  /** The account an OAUTHBEARER token authenticates, or `undefined` (RFC 7628). */
  verifyToken?(token: string, domain: string): Promise<BareJid | undefined>;
}

/** What the shell feeds to {@linkcode negotiate}. */
export type NegotiationInput =
  | { readonly kind: "open"; readonly header: StreamHeader }
  | { readonly kind: "element"; readonly element: Element }
  /** The peer sent `</stream:stream>`. */
  | { readonly kind: "close" }
  /** The shell finished the STARTTLS upgrade. */
  | { readonly kind: "secured"; readonly info: TransportInfo };

/** What the shell writes, in order. */
export type NegotiationOutput =
  /**
   * Our stream header: from, id, version, xml:lang (the framing layer writes it as
   * `<stream:stream>` on TCP or `<open/>` on WebSocket).
   */
  | { readonly kind: "open"; readonly attrs: Readonly<Record<string, string>> }
  | { readonly kind: "element"; readonly element: Element }
  /** Our `</stream:stream>`. */
  | { readonly kind: "close" };

/** What the shell does after writing the outputs. */
export type NegotiationEffect =
  /** After `<proceed/>`: upgrade the transport, discard the parser, feed `{kind:"secured"}`. */
  | { readonly kind: "starttls" }
  /** After `<success/>`: discard the parser (RFC 6120 §6.4.6). */
  | { readonly kind: "restart" }
  | { readonly kind: "authenticated"; readonly jid: BareJid; readonly mechanism: string }
  /** Negotiation is over; the shell routes stanzas from now on. */
  | { readonly kind: "bound"; readonly jid: FullJid }
  /** Close the transport after writing the outputs. */
  | { readonly kind: "disconnect" }
  /**
   * An element in the namespace of one of `postAuthFeatures` arrived after authentication and
   * before binding (e.g. XEP-0198 `<resume/>`): the shell hands it to the module that offered
   * the feature. The negotiation state is unchanged.
   */
  | { readonly kind: "delegate"; readonly element: Element }
  /**
   * XEP-0388 success with inline requests (XEP-0386 `<bind/>`, XEP-0198 `<resume/>`): the
   * shell performs them, adds their answers (and the bound full JID as
   * `<authorization-identifier/>`) to `success` and writes it; with nothing bound or resumed it
   * writes `success` and the post-authentication features.
   */
  | {
    readonly kind: "sasl2-inline";
    readonly jid: BareJid;
    readonly success: Element;
    readonly request: Element;
  };

/** Where a negotiation stands. */
export type NegotiationPhase =
  /** Waiting for the peer's stream header (at the start and after every restart). */
  | "await-open"
  /** `<proceed/>` was written; waiting for the shell's "secured". */
  | "await-secured"
  /** Features were sent; waiting for the peer's choice. */
  | "negotiating"
  /** A resource is bound: the shell has taken over. */
  | "bound"
  /** The stream is closed or failed: nothing is processed any more (RFC 6120 §4.9.1.1). */
  | "closed";

/** The negotiation state: plain, immutable, structured-cloneable data. */
export interface NegotiationState {
  /** The configuration. */
  readonly config: NegotiationConfig;
  /** What the transport says about the connection (updated after STARTTLS). */
  readonly info: TransportInfo;
  /** Where the negotiation stands. */
  readonly phase: NegotiationPhase;
  /** The hosted domain of the stream (the default one until the peer names one). */
  readonly domain: string;
  /** Id of the header we sent for the current stream; `undefined` before we sent one. */
  readonly streamId?: string;
  /** Wrong credentials tried so far (see `maxAuthFailures`). */
  readonly authFailures: number;
  /** Other SASL failures so far (see `maxAuthErrors`). */
  readonly authErrors: number;
  /** The SASL exchange in progress. */
  readonly sasl?: SaslState;
  /** The XEP-0388 `<authenticate/>` of the exchange in progress, for its inline requests. */
  readonly sasl2?: Element;
  /** The authenticated account, after SASL success. */
  readonly jid?: BareJid;
  /** The mechanism that authenticated it. */
  readonly mechanism?: SaslMechanismName;
  /** The bound full JID, once bound. */
  readonly fullJid?: FullJid;
  /** A valid invitation token the peer presented (XEP-0445), used up by its registration. */
  readonly preauth?: string;
}

/** The result of one {@linkcode negotiate} call. */
export interface NegotiationStep {
  /** The next state. */
  readonly state: NegotiationState;
  /** What to write, in order. */
  readonly outputs: readonly NegotiationOutput[];
  /** What to do after writing, in order. */
  readonly effects: readonly NegotiationEffect[];
  /**
   * Unexpected errors that were turned into a protocol answer (a storage failure behind
   * temporary-auth-failure, a non-StanzaError thrown by `bind`). The shell logs them; they
   * never hold SASL payloads. Absent when there were none.
   */
  readonly errors?: readonly unknown[];
  /**
   * What to log about this step, in order: SASL failures, stream errors sent and received (at
   * `info`, or `warn` for a flood from one address) and a `debug` trace of the step. Fields
   * never hold SASL payloads, passwords or element contents; the shell adds its own (e.g. the
   * session id). Absent when there is nothing to log.
   */
  readonly log?: readonly NegotiationLog[];
}

/** One line for the shell's logger. */
export interface NegotiationLog {
  /** The logger method. */
  readonly level: "debug" | "info" | "warn" | "error";
  /** The message, in sentence case. */
  readonly message: string;
  /** Structured fields; no secrets. */
  readonly fields: LogFields;
}

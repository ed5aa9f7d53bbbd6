/**
 * The server-side SASL mechanisms behind one interface: start an exchange, continue it.
 * States are plain data, so a negotiation state holding one stays immutable and cloneable.
 *
 * @module
 */
import type { SaslContext, SaslMechanismName, SaslResult } from "./context.ts";
import { plainAccount, plainAuthenticate } from "./plain.ts";
import { hashedTokenAccount, hashedTokenAuthenticate } from "./hashed_token.ts";
import { oauthBearerAuthenticate } from "./oauthbearer.ts";
import { anonymousAuthenticate, externalAuthenticate } from "./external.ts";
import { scramServerFinal, scramServerFirst, type ScramState } from "./scram.ts";

/** Every mechanism Parley implements, strongest first (the order they are advertised in). */
export const SASL_MECHANISMS: readonly SaslMechanismName[] = [
  "SCRAM-SHA-256-PLUS",
  "SCRAM-SHA-1-PLUS",
  "SCRAM-SHA-256",
  "SCRAM-SHA-1",
  "PLAIN",
  "OAUTHBEARER",
  "EXTERNAL",
  "ANONYMOUS",
];

/**
 * The XEP-0484 FAST mechanisms, strongest first: offered only inside SASL2's `<fast/>`, and
 * `-ENDP` only where `tls-server-end-point` data is known.
 */
export const HASHED_TOKEN_MECHANISMS: readonly SaslMechanismName[] = [
  "HT-SHA-256-ENDP",
  "HT-SHA-256-NONE",
];

/**
 * Tells whether a name is one of {@linkcode SASL_MECHANISMS}.
 *
 * @param name A mechanism name as received (case-sensitive, RFC 4422 §3.1).
 * @returns `true` for an implemented mechanism.
 * @example
 * ```ts
 * import { isSaslMechanism } from "./mechanism.ts";
 * if (!isSaslMechanism("PLAIN") || isSaslMechanism("DIGEST-MD5")) throw new Error();
 * ```
 */
export function isSaslMechanism(name: string): name is SaslMechanismName {
  return (SASL_MECHANISMS as readonly string[]).includes(name) ||
    (HASHED_TOKEN_MECHANISMS as readonly string[]).includes(name);
}

/** The state of an exchange started without an initial response. */
export interface AwaitingInitialResponse {
  /** The mechanism. */
  readonly mechanism: SaslMechanismName;
  /** The next step: the client's first message, in `<response/>`. */
  readonly step: "initial";
}

/** The state of an exchange in progress, between a challenge and the response. */
export type SaslState = AwaitingInitialResponse | ScramState;

function first(
  mechanism: SaslMechanismName,
  message: Uint8Array,
  ctx: SaslContext,
): Promise<SaslResult<SaslState>> {
  if (mechanism === "PLAIN") return plainAuthenticate(message, ctx);
  if (mechanism === "OAUTHBEARER") return oauthBearerAuthenticate(message, ctx);
  if (mechanism === "EXTERNAL") return externalAuthenticate(message, ctx);
  if (mechanism === "ANONYMOUS") return anonymousAuthenticate(message, ctx);
  if (mechanism === "HT-SHA-256-NONE" || mechanism === "HT-SHA-256-ENDP") {
    return hashedTokenAuthenticate(mechanism, message, ctx);
  }
  return scramServerFirst(mechanism, message, ctx);
}

/**
 * Starts an exchange (`<auth/>`). Without an initial response, the server sends an empty
 * challenge and the client's first message comes in `<response/>` (RFC 6120 §6.4.2,
 * RFC 4422 §5).
 *
 * @param mechanism The mechanism the client chose; the caller checks it was offered.
 * @param initial The initial response, `undefined` when there was none.
 * @param ctx The context.
 * @returns A challenge with the state to continue from, or success.
 * @throws {SaslError} The failure to report.
 * @example
 * ```ts
 * import { saslStart } from "./mechanism.ts";
 * const ctx = {
 *   domain: "localhost",
 *   getCredentials: () => Promise.resolve(undefined),
 *   randomBytes: (n: number) => new Uint8Array(n),
 * };
 * const step = await saslStart("PLAIN", undefined, ctx);
 * if (step.kind !== "challenge" || step.data.length !== 0) throw new Error();
 * ```
 */
export function saslStart(
  mechanism: SaslMechanismName,
  initial: Uint8Array | undefined,
  ctx: SaslContext,
): Promise<SaslResult<SaslState>> {
  if (initial === undefined) {
    const state: AwaitingInitialResponse = { mechanism, step: "initial" };
    return Promise.resolve({ kind: "challenge", data: new Uint8Array(0), state });
  }
  return first(mechanism, initial, ctx);
}

/**
 * Continues an exchange with the client's `<response/>`.
 *
 * @param state The state of the last challenge.
 * @param response The response data.
 * @param ctx The context.
 * @returns A further challenge, or success.
 * @throws {SaslError} The failure to report.
 * @example
 * ```ts
 * import { saslContinue } from "./mechanism.ts";
 * const ctx = {
 *   domain: "localhost",
 *   getCredentials: () => Promise.resolve(undefined),
 *   randomBytes: (n: number) => new Uint8Array(n),
 * };
 * const state = { mechanism: "PLAIN", step: "initial" } as const;
 * const e = await saslContinue(state, new Uint8Array(0), ctx).catch((e) => e);
 * if (e.condition !== "malformed-request") throw new Error();
 * ```
 */
export function saslContinue(
  state: SaslState,
  response: Uint8Array,
  ctx: SaslContext,
): Promise<SaslResult<SaslState>> {
  if (state.step === "initial") return first(state.mechanism, response, ctx);
  return scramServerFinal(state, response);
}

/**
 * The account whose credentials the next step checks, if it checks any: PLAIN's only message,
 * or SCRAM's client-final message. The server consults its throttle for this account before
 * the step runs. A step that checks nothing (SCRAM's first message, a malformed PLAIN
 * message) gives `undefined`.
 *
 * @param mechanism The mechanism of the exchange.
 * @param state The exchange in progress; `undefined` at `<auth/>`.
 * @param message The client's data for this step; `undefined` for an `<auth/>` without an
 * initial response.
 * @param domain The hosted domain of the stream.
 * @returns The account (a bare JID, or the raw username when it cannot be prepared).
 * @example
 * ```ts
 * import { verifiedAccount } from "./mechanism.ts";
 * const message = new TextEncoder().encode("\0alice\0secret");
 * if (verifiedAccount("PLAIN", undefined, message, "localhost") !== "alice@localhost") {
 *   throw new Error();
 * }
 * if (verifiedAccount("SCRAM-SHA-1", undefined, message, "localhost") !== undefined) {
 *   throw new Error();
 * }
 * ```
 */
export function verifiedAccount(
  mechanism: SaslMechanismName,
  state: SaslState | undefined,
  message: Uint8Array | undefined,
  domain: string,
): string | undefined {
  if (state?.step === "client-final") return state.account;
  if (message === undefined) return undefined;
  if (mechanism === "HT-SHA-256-NONE" || mechanism === "HT-SHA-256-ENDP") {
    return hashedTokenAccount(message, domain);
  }
  if (mechanism !== "PLAIN") return undefined;
  return plainAccount(message, domain);
}

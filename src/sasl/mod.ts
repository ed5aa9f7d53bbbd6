/**
 * SASL for Parley: the server side of SCRAM-SHA-1, SCRAM-SHA-256 (and their -PLUS variants with
 * `tls-exporter` and `tls-server-end-point` channel binding) and PLAIN, credential derivation,
 * and the typed SASL failure.
 *
 * @example
 * ```ts
 * import { deriveCredentials, saslStart } from "./mod.ts";
 * const credentials = await deriveCredentials("pencil");
 * const ctx = {
 *   domain: "localhost",
 *   getCredentials: () => Promise.resolve(credentials),
 *   randomBytes: (n: number) => crypto.getRandomValues(new Uint8Array(n)),
 * };
 * const step = await saslStart("PLAIN", new TextEncoder().encode("\0alice\0pencil"), ctx);
 * if (step.kind !== "success" || step.jid !== "alice@localhost") throw new Error();
 * ```
 *
 * @module
 */
export {
  DEFAULT_ITERATIONS,
  deriveCredentials,
  type DeriveOptions,
  SALT_LENGTH,
  saslPrep,
  verifyPlain,
} from "./credentials.ts";
export {
  lookupCredentials,
  type SaslContext,
  type SaslMechanismName,
  type SaslResult,
  type ScramMechanismName,
  type TokenCandidate,
} from "./context.ts";
export {
  type AwaitingInitialResponse,
  HASHED_TOKEN_MECHANISMS,
  isSaslMechanism,
  SASL_MECHANISMS,
  saslContinue,
  saslStart,
  type SaslState,
  verifiedAccount,
} from "./mechanism.ts";
export {
  CHANNEL_BINDING_TYPES,
  type ChannelBindings,
  type ChannelBindingType,
  offeredChannelBindings,
} from "./channel_binding.ts";
export {
  hashedTokenAccount,
  hashedTokenAuthenticate,
  hashedTokenHmac,
  type HashedTokenMechanism,
  MIN_TOKEN_LENGTH,
} from "./hashed_token.ts";
export {
  oauthBearerAuthenticate,
  type OauthBearerMessage,
  parseOauthBearer,
} from "./oauthbearer.ts";
export { anonymousAuthenticate, externalAuthenticate } from "./external.ts";
export { decodeSaslPayload, encodeSaslPayload } from "./payload.ts";
export { plainAccount, plainAuthenticate } from "./plain.ts";
export {
  SaslError,
  type SaslErrorCondition,
  type SaslErrorOptions,
  saslFailureElement,
} from "./sasl_error.ts";
export {
  CHANNEL_BINDING_TYPE,
  DEFAULT_NONCE_LENGTH,
  scramNonce,
  scramServerFinal,
  scramServerFirst,
  type ScramState,
} from "./scram.ts";

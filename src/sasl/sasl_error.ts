/**
 * SASL failures (RFC 6120 §6.5): recoverable, reported in `<failure/>`; the client may retry.
 *
 * @module
 */
import { type Element, xml } from "../xml/element.ts";
import { NS } from "../xml/ns.ts";

/** The SASL failure conditions of RFC 6120 §6.5. */
export type SaslErrorCondition =
  | "aborted"
  | "account-disabled"
  | "credentials-expired"
  | "encryption-required"
  | "incorrect-encoding"
  | "invalid-authzid"
  | "invalid-mechanism"
  | "malformed-request"
  | "mechanism-too-weak"
  | "not-authorized"
  | "temporary-auth-failure";

/** Options of a {@linkcode SaslError}. */
export interface SaslErrorOptions extends ErrorOptions {
  /** The failure means wrong credentials (a bad proof or password, an unknown user). */
  readonly wrongCredentials?: boolean;
}

/**
 * A failed SASL exchange. The negotiation answers it with `<failure/>`.
 *
 * @example
 * ```ts
 * import { SaslError } from "./sasl_error.ts";
 * const e = new SaslError("not-authorized", undefined, { wrongCredentials: true });
 * if (e.toElement().name !== "failure" || !e.wrongCredentials) throw new Error();
 * ```
 */
export class SaslError extends Error {
  /** The RFC 6120 condition. */
  readonly condition: SaslErrorCondition;
  /** Optional text sent to the peer in `<text/>`; never holds secrets. */
  readonly text?: string;
  /**
   * Whether the failure means wrong credentials (a bad proof or password, an unknown user):
   * only these count toward a stream's failed-authentication limit and are throttled. A
   * malformed message, an unsupported channel binding type or a detected downgrade is not.
   */
  readonly wrongCredentials: boolean;

  /**
   * Creates a SASL failure.
   *
   * @param condition The RFC 6120 condition.
   * @param text Optional text for the peer.
   * @param options `cause`: the underlying error (e.g. a storage failure), for logs only;
   * `wrongCredentials`: the failure means wrong credentials (default `false`).
   */
  constructor(condition: SaslErrorCondition, text?: string, options?: SaslErrorOptions) {
    super(text ? `SASL failure "${condition}": ${text}` : `SASL failure "${condition}"`, options);
    this.name = "SaslError";
    this.condition = condition;
    this.text = text;
    this.wrongCredentials = options?.wrongCredentials ?? false;
  }

  /**
   * Builds the `<failure/>` element.
   *
   * @returns The element in the SASL namespace.
   */
  toElement(): Element {
    return saslFailureElement(this.condition, this.text);
  }
}

/**
 * Builds a SASL `<failure/>` element (RFC 6120 §6.4.5).
 *
 * @param condition The RFC 6120 condition.
 * @param text Optional text for the peer.
 * @returns The element.
 * @example
 * ```ts
 * import { saslFailureElement } from "./sasl_error.ts";
 * const f = saslFailureElement("aborted");
 * if (f.children.length !== 1) throw new Error();
 * ```
 */
export function saslFailureElement(condition: SaslErrorCondition, text?: string): Element {
  return xml(
    "failure",
    { xmlns: NS.SASL },
    xml(condition, null),
    text ? xml("text", { "xml:lang": "en" }, text) : undefined,
  );
}

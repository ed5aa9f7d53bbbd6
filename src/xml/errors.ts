/**
 * Errors raised while reading an XML stream. Each names the RFC 6120 §4.9.3 stream error
 * condition it maps to in `condition`, so the session can answer with the right
 * `<stream:error/>` without a lookup table.
 *
 * @module
 */

/**
 * The input is not well-formed XML, or not namespace-well-formed (an unbound prefix).
 *
 * Maps to the stream error `<not-well-formed/>` (RFC 6120 §4.9.3.13).
 *
 * @example
 * ```ts
 * import { XmlSyntaxError } from "./errors.ts";
 * const e = new XmlSyntaxError('Mismatched end tag "a"', 12);
 * if (!(e instanceof SyntaxError) || e.position !== 12) throw new Error();
 * ```
 */
export class XmlSyntaxError extends SyntaxError {
  /** Byte offset in the stream where the problem was found. */
  readonly position: number;
  /** The stream error condition this error maps to. */
  readonly condition: "not-well-formed" | "restricted-xml" = "not-well-formed";

  /**
   * Creates the error.
   *
   * @param message What failed, in sentence case.
   * @param position Byte offset in the stream.
   * @param options Standard error options (`cause`).
   */
  constructor(message: string, position: number, options?: ErrorOptions) {
    super(message, options);
    this.name = "XmlSyntaxError";
    this.position = position;
  }
}

/**
 * The input uses XML that RFC 6120 §11.1 forbids in XMPP: a comment, a processing instruction
 * other than the XML declaration, a DTD, or an entity reference other than the five predefined
 * ones.
 *
 * Maps to the stream error `<restricted-xml/>` (RFC 6120 §4.9.3.18).
 *
 * @example
 * ```ts
 * import { RestrictedXmlError, XmlSyntaxError } from "./errors.ts";
 * const e = new RestrictedXmlError("Comments are not allowed in an XMPP stream", 0);
 * if (!(e instanceof XmlSyntaxError) || e.condition !== "restricted-xml") throw new Error();
 * ```
 */
export class RestrictedXmlError extends XmlSyntaxError {
  /** The stream error condition this error maps to. */
  override readonly condition = "restricted-xml";

  /**
   * Creates the error.
   *
   * @param message What failed, in sentence case.
   * @param position Byte offset in the stream.
   * @param options Standard error options (`cause`).
   */
  constructor(message: string, position: number, options?: ErrorOptions) {
    super(message, position, options);
    this.name = "RestrictedXmlError";
  }
}

/** The limit that an {@linkcode XmlLimitError} reports. */
export type XmlLimit = "stanza-size" | "depth";

/** Options of {@linkcode XmlLimitError}. */
export interface XmlLimitErrorOptions extends ErrorOptions {
  /** Byte offset in the stream where the limit was exceeded; 0 when left out. */
  position?: number;
}

/**
 * A top-level element is larger, or nested deeper, than the parser allows.
 *
 * Maps to the stream error `<policy-violation/>` (RFC 6120 §4.9.3.14).
 *
 * @example
 * ```ts
 * import { XmlLimitError } from "./errors.ts";
 * const e = new XmlLimitError("depth", 'Element nesting exceeds "maxDepth" (32)', { position: 9 });
 * if (!(e instanceof RangeError) || e.limit !== "depth") throw new Error();
 * ```
 */
export class XmlLimitError extends RangeError {
  /** Which limit was exceeded. */
  readonly limit: XmlLimit;
  /** Byte offset in the stream where the limit was exceeded. */
  readonly position: number;
  /** The stream error condition this error maps to. */
  readonly condition = "policy-violation";

  /**
   * Creates the error.
   *
   * @param limit Which limit was exceeded.
   * @param message What failed, in sentence case.
   * @param options The byte offset (`position`) and standard error options (`cause`).
   */
  constructor(limit: XmlLimit, message: string, options?: XmlLimitErrorOptions) {
    super(message, options);
    this.name = "XmlLimitError";
    this.limit = limit;
    this.position = options?.position ?? 0;
  }
}

/**
 * The base64 character data of `<auth/>`, `<challenge/>`, `<response/>` and `<success/>`
 * (RFC 6120 §6.4.2-6.4.6).
 *
 * @module
 */
import { fromBase64, toBase64 } from "../util/base64.ts";
import { SaslError } from "./sasl_error.ts";

/**
 * Decodes the character data of a SASL element. An element with no character data carries no
 * data (`undefined`: e.g. `<auth/>` without an initial response); a single "=" carries data of
 * zero length (RFC 6120 §6.4.2). Surrounding whitespace is ignored.
 *
 * @param text The element's text.
 * @returns The data, or `undefined` when there is none.
 * @throws {SaslError} `incorrect-encoding` when the text is not base64 (RFC 6120 §6.5.5).
 * @example
 * ```ts
 * import { decodeSaslPayload } from "./payload.ts";
 * if (decodeSaslPayload("") !== undefined) throw new Error();
 * if (decodeSaslPayload("=")?.length !== 0) throw new Error();
 * if (decodeSaslPayload("AGE=")?.length !== 2) throw new Error();
 * ```
 */
export function decodeSaslPayload(text: string): Uint8Array | undefined {
  const trimmed = text.trim();
  if (trimmed === "") return undefined;
  if (trimmed === "=") return new Uint8Array(0);
  const bytes = fromBase64(trimmed);
  if (!bytes) throw new SaslError("incorrect-encoding");
  return bytes;
}

/**
 * Encodes data for the character data of a SASL element: no data gives "" (an empty element),
 * zero-length data gives "=" (RFC 6120 §6.4.2, §6.4.6).
 *
 * @param data The data, or `undefined` for none.
 * @returns The text to put in the element.
 * @example
 * ```ts
 * import { encodeSaslPayload } from "./payload.ts";
 * if (encodeSaslPayload(new Uint8Array(0)) !== "=") throw new Error();
 * if (encodeSaslPayload(undefined) !== "") throw new Error();
 * ```
 */
export function encodeSaslPayload(data: Uint8Array | undefined): string {
  if (data === undefined) return "";
  if (data.length === 0) return "=";
  return toBase64(data);
}

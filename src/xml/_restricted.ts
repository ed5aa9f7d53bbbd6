/**
 * Markup that starts with `<!` or `<?`: CDATA sections, the XML declaration, and what RFC 6120
 * §11.1 restricts (comments, processing instructions, DTDs). Byte-level helpers of the scanner
 * in `_scanner.ts`; private to src/xml.
 *
 * @module
 */
import { RestrictedXmlError, XmlSyntaxError } from "./errors.ts";
import { isSpace } from "./_bytes.ts";

/** Returned when more bytes are needed to decide. */
export const NEED_MORE = -1;

const CDATA_OPEN = [0x3C, 0x21, 0x5B, 0x43, 0x44, 0x41, 0x54, 0x41, 0x5B]; // <![CDATA[
const XML_DECL =
  /^<\?xml\s+version\s*=\s*(["'])1\.[0-9]+\1(?:\s+encoding\s*=\s*(["'])([A-Za-z][A-Za-z0-9._-]*)\2)?(?:\s+standalone\s*=\s*(["'])(?:yes|no)\4)?\s*\?>$/;

/**
 * Reads the markup that starts with "<!" at `buf[tok]`, looking no further than `stop`.
 *
 * @returns The index after "<![CDATA[", or NEED_MORE.
 * @throws {RestrictedXmlError} A comment or a DTD.
 * @throws {XmlSyntaxError} Anything else.
 */
export function readBang(buf: Uint8Array, tok: number, stop: number, base: number): number {
  if (tok + 2 >= stop) return NEED_MORE;
  const b = buf[tok + 2];
  if (b === 0x2D /* - */) {
    if (tok + 3 >= stop) return NEED_MORE;
    if (buf[tok + 3] === 0x2D) {
      throw new RestrictedXmlError(
        "Comments are not allowed in an XMPP stream (RFC 6120 §11.1)",
        base + tok,
      );
    }
    throw new XmlSyntaxError('Invalid markup after "<!"', base + tok);
  }
  if (b >= 0x41 && b <= 0x5A) {
    // <!DOCTYPE, and the DTD declarations <!ENTITY, <!ELEMENT, <!ATTLIST. Rejecting them
    // stops any entity expansion attack before it starts.
    throw new RestrictedXmlError(
      "Document type declarations are not allowed in an XMPP stream (RFC 6120 §11.1)",
      base + tok,
    );
  }
  for (let k = 2; k < CDATA_OPEN.length; k++) {
    if (tok + k >= stop) return NEED_MORE;
    if (buf[tok + k] !== CDATA_OPEN[k]) {
      throw new XmlSyntaxError('Invalid markup after "<!"', base + tok);
    }
  }
  return tok + CDATA_OPEN.length;
}

/**
 * Reads the markup that starts with "<?" at `buf[tok]`, looking no further than `stop`: it
 * must be the XML declaration, where one is still allowed (`declAllowed`: only whitespace
 * came before it in the stream).
 *
 * @returns The index after "<?xml", or NEED_MORE.
 * @throws {RestrictedXmlError} A processing instruction.
 * @throws {XmlSyntaxError} An XML declaration elsewhere than at the start.
 */
export function readQuestion(
  buf: Uint8Array,
  tok: number,
  stop: number,
  base: number,
  declAllowed: boolean,
): number {
  if (tok + 5 >= stop) return NEED_MORE;
  const isXml = (buf[tok + 2] | 0x20) === 0x78 && (buf[tok + 3] | 0x20) === 0x6D &&
    (buf[tok + 4] | 0x20) === 0x6C && (isSpace(buf[tok + 5]) || buf[tok + 5] === 0x3F);
  if (!isXml) {
    throw new RestrictedXmlError(
      "Processing instructions are not allowed in an XMPP stream (RFC 6120 §11.1)",
      base + tok,
    );
  }
  if (!declAllowed) {
    throw new XmlSyntaxError(
      "The XML declaration is only allowed at the start of the stream",
      base + tok,
    );
  }
  return tok + 5;
}

/**
 * Checks the text of an XML declaration.
 *
 * @param decl From "<?xml" to "?>".
 * @param position Its offset in the stream.
 * @throws {XmlSyntaxError} It is malformed.
 * @throws {RestrictedXmlError} It names an encoding other than UTF-8.
 */
export function checkXmlDecl(decl: string, position: number): void {
  const m = XML_DECL.exec(decl);
  if (m === null) throw new XmlSyntaxError("Invalid XML declaration", position);
  // RFC 6120 §11.6: UTF-8 only. Prosody rejects other encodings as restricted XML too.
  if (m[3] !== undefined && m[3].toLowerCase() !== "utf-8") {
    throw new RestrictedXmlError(`Unsupported encoding "${m[3]}" in the XML declaration`, position);
  }
}

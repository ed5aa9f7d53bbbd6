/**
 * Character-level pieces of the tree builder in `_tree.ts`: error positions, name checks,
 * character checks, references and the normalisation of attribute values and text. Private
 * to src/xml.
 *
 * @module
 */
import { RestrictedXmlError, XmlSyntaxError } from "./errors.ts";

const encoder = new TextEncoder();

/** Byte offset of index `i` of `s`, which starts at byte `offset` of the stream. */
export function bytePosition(s: string, i: number, offset: number): number {
  return offset + encoder.encode(s.slice(0, i)).length;
}

/** An XmlSyntaxError at index `i` of `s`, which starts at byte `offset` of the stream. */
export function syntax(message: string, s: string, i: number, offset: number): XmlSyntaxError {
  return new XmlSyntaxError(message, bytePosition(s, i, offset));
}

// --- names --------------------------------------------------------------------------------

const NC_START = "A-Z_a-z\\u00C0-\\u00D6\\u00D8-\\u00F6\\u00F8-\\u02FF\\u0370-\\u037D" +
  "\\u037F-\\u1FFF\\u200C-\\u200D\\u2070-\\u218F\\u2C00-\\u2FEF\\u3001-\\uD7FF" +
  "\\uF900-\\uFDCF\\uFDF0-\\uFFFD\\u{10000}-\\u{EFFFF}";
const NC_CHAR = NC_START + "\\-.0-9\\u00B7\\u0300-\\u036F\\u203F-\\u2040";
const NCNAME = `[${NC_START}][${NC_CHAR}]*`;
// Namespaces in XML 1.0 §4: QName ::= (NCName ':')? NCName
const QNAME = new RegExp(`^${NCNAME}(?::${NCNAME})?$`, "u");
const NAME = new RegExp(`^[:${NC_START}][:${NC_CHAR}]*$`, "u");

// Qualified name → index of its colon (-1 when unprefixed). Names repeat a lot in XMPP, and
// the cache is capped so that a peer sending random names cannot grow it.
const qnames = new Map<string, number>();
const QNAME_CACHE_MAX = 2048;

/** Checks a qualified name and returns the index of its colon (-1 when unprefixed). */
export function colonOf(q: string, s: string, i: number, offset: number): number {
  const cached = qnames.get(q);
  if (cached !== undefined) return cached;
  if (!QNAME.test(q)) {
    throw syntax(
      q === "" ? "Missing name in tag" : `Invalid element or attribute name "${q}"`,
      s,
      i,
      offset,
    );
  }
  const colon = q.indexOf(":");
  if (qnames.size < QNAME_CACHE_MAX) qnames.set(q, colon);
  return colon;
}

// --- characters and references ------------------------------------------------------------

// XML 1.0 §2.2 Char, as far as a well-formed UTF-16 string can break it.
// deno-lint-ignore no-control-regex
const INVALID_CHAR = /[\x00-\x08\x0B\x0C\x0E-\x1F\uFFFE\uFFFF]/;

/** Throws when `raw`, at index `at` of `s`, holds a character that XML 1.0 §2.2 forbids. */
export function checkChars(raw: string, s: string, at: number, offset: number): void {
  const m = INVALID_CHAR.exec(raw);
  if (m !== null) {
    const code = m[0].charCodeAt(0).toString(16).toUpperCase().padStart(4, "0");
    throw syntax(`Invalid XML character "U+${code}"`, s, at + m.index, offset);
  }
}

function validCodePoint(c: number): boolean {
  return c === 0x9 || c === 0xA || c === 0xD || (c >= 0x20 && c <= 0xD7FF) ||
    (c >= 0xE000 && c <= 0xFFFD) || (c >= 0x10000 && c <= 0x10FFFF);
}

const DECIMAL = /^[0-9]{1,8}$/;
const HEX = /^[0-9A-Fa-f]{1,8}$/;

/**
 * Replaces the references in `raw` (which sits at index `at` of `s`): the five predefined
 * entities and character references. Any other entity is restricted XML (RFC 6120 §11.1).
 */
export function decodeRefs(raw: string, s: string, at: number, offset: number): string {
  let out = "";
  let last = 0;
  let amp = raw.indexOf("&");
  while (amp !== -1) {
    const semi = raw.indexOf(";", amp + 1);
    const ref = semi === -1 ? raw.slice(amp + 1, amp + 12) : raw.slice(amp + 1, semi);
    if (semi === -1) throw syntax(`Unterminated reference "&${ref}"`, s, at + amp, offset);
    let ch: string;
    switch (ref) {
      case "lt":
        ch = "<";
        break;
      case "gt":
        ch = ">";
        break;
      case "amp":
        ch = "&";
        break;
      case "quot":
        ch = '"';
        break;
      case "apos":
        ch = "'";
        break;
      default: {
        if (ref.charCodeAt(0) === 0x23 /* # */) {
          const hex = ref.charCodeAt(1) === 0x78; /* x */
          const digits = ref.slice(hex ? 2 : 1);
          const code = (hex ? HEX : DECIMAL).test(digits) ? parseInt(digits, hex ? 16 : 10) : -1;
          if (!validCodePoint(code)) {
            throw syntax(`Invalid character reference "&${ref};"`, s, at + amp, offset);
          }
          ch = String.fromCodePoint(code);
        } else if (NAME.test(ref)) {
          throw new RestrictedXmlError(
            `Entity reference "&${ref};" is not allowed in an XMPP stream (RFC 6120 §11.1)`,
            bytePosition(s, at + amp, offset),
          );
        } else {
          throw syntax(`Invalid reference "&${ref};"`, s, at + amp, offset);
        }
      }
    }
    out += raw.slice(last, amp) + ch;
    last = semi + 1;
    amp = raw.indexOf("&", last);
  }
  return last === 0 ? raw : out + raw.slice(last);
}

// The slow paths below run only when the scan of a value or text saw a character that needs
// more than a copy: a reference, a line end to normalise (XML 1.0 §2.11), attribute
// whitespace to normalise (§3.3.3), "<" in a value, ">" (for "]]>"), or a control character.

export function attrValue(raw: string, s: string, at: number, offset: number): string {
  checkChars(raw, s, at, offset);
  const lt = raw.indexOf("<");
  if (lt !== -1) throw syntax('Character "<" in an attribute value', s, at + lt, offset);
  // §3.3.3: each literal whitespace character becomes a space, after §2.11 made CRLF one LF.
  const v = raw.replace(/\r\n|[\t\n\r]/g, " ");
  return v.indexOf("&") === -1 ? v : decodeRefs(v, s, at, offset);
}

export function textValue(raw: string, s: string, at: number, offset: number): string {
  checkChars(raw, s, at, offset);
  const cdataEnd = raw.indexOf("]]>");
  if (cdataEnd !== -1) throw syntax('Text contains "]]>"', s, at + cdataEnd, offset);
  // Normalise line ends before decoding, so that "&#13;" stays a carriage return. Error
  // positions inside text with CRLFs may then be off by the number of CRs before them.
  const v = raw.indexOf("\r") === -1 ? raw : raw.replace(/\r\n?/g, "\n");
  return v.indexOf("&") === -1 ? v : decodeRefs(v, s, at, offset);
}

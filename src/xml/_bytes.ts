/**
 * Byte classes of XML markup, shared by the byte-level parts of the parser.
 * Private to src/xml.
 *
 * @module
 */

/** XML 1.0 §2.3 S: space, tab, LF, CR. */
export function isSpace(b: number): boolean {
  return b === 0x20 || b === 0x0A || b === 0x0D || b === 0x09;
}

/** A byte that may start an element name (a coarse check; `_text.ts` checks names fully). */
export function isNameStart(b: number): boolean {
  // ASCII letters, "_", ":" and any byte of a multi-byte UTF-8 sequence.
  return (b >= 0x61 && b <= 0x7A) || (b >= 0x41 && b <= 0x5A) || b === 0x5F || b === 0x3A ||
    b >= 0x80;
}

/** A byte as it appears in an error message. */
export function show(b: number): string {
  return b >= 0x21 && b <= 0x7E ? String.fromCharCode(b) : "0x" + b.toString(16).padStart(2, "0");
}

/** Whether `a` holds the same bytes as `b[from, to)`. */
export function sameBytes(a: Uint8Array, b: Uint8Array, from: number, to: number): boolean {
  if (a.length !== to - from) return false;
  for (let k = 0; k < a.length; k++) if (a[k] !== b[from + k]) return false;
  return true;
}

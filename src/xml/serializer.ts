/**
 * Writes elements and stream headers as XML text. On the hot path of routing: no allocation
 * beyond the output string, and strings without special characters are copied as they are.
 *
 * @module
 */
import type { Element, XmlNode } from "./element.ts";
import { NS } from "./ns.ts";

// Characters that XML 1.0 §2.2 does not allow at all. They cannot be escaped, so they are
// written as U+FFFD: a peer would otherwise close the stream as not-well-formed.
// deno-lint-ignore no-control-regex
const TEXT_SPECIAL = /[&<>\r\x00-\x08\x0B\x0C\x0E-\x1F\uFFFE\uFFFF]/;
// deno-lint-ignore no-control-regex
const TEXT_SPECIAL_ALL = /[&<>\r\x00-\x08\x0B\x0C\x0E-\x1F\uFFFE\uFFFF]/g;
// In attribute values, literal tab, LF and CR would be normalised to spaces by the reader
// (XML 1.0 §3.3.3), so they are written as character references.
// deno-lint-ignore no-control-regex
const ATTR_SPECIAL = /[&<>"'\t\n\r\x00-\x08\x0B\x0C\x0E-\x1F\uFFFE\uFFFF]/;
// deno-lint-ignore no-control-regex
const ATTR_SPECIAL_ALL = /[&<>"'\t\n\r\x00-\x08\x0B\x0C\x0E-\x1F\uFFFE\uFFFF]/g;

const REPLACEMENTS: Record<string, string> = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  '"': "&quot;",
  "'": "&apos;",
  "\t": "&#9;",
  "\n": "&#10;",
  "\r": "&#13;",
};

function replace(ch: string): string {
  return REPLACEMENTS[ch] ?? "\uFFFD";
}

/**
 * Escapes text content: `&`, `<` and `>` (the last so that `]]>` never appears), and CR as a
 * character reference, since a reader turns a literal CR into LF (XML 1.0 §2.11).
 *
 * @param s The text.
 * @returns The escaped text.
 * @example
 * ```ts
 * import { escapeText } from "./serializer.ts";
 * if (escapeText("a < b & c") !== "a &lt; b &amp; c") throw new Error();
 * ```
 */
export function escapeText(s: string): string {
  return TEXT_SPECIAL.test(s) ? s.replace(TEXT_SPECIAL_ALL, replace) : s;
}

/**
 * Escapes an attribute value for either quote: `& < > " '`, and tab, LF and CR as character
 * references so that they survive attribute-value normalisation.
 *
 * @param s The value.
 * @returns The escaped value.
 * @example
 * ```ts
 * import { escapeAttr } from "./serializer.ts";
 * if (escapeAttr(`"x"\n`) !== "&quot;x&quot;&#10;") throw new Error();
 * ```
 */
export function escapeAttr(s: string): string {
  return ATTR_SPECIAL.test(s) ? s.replace(ATTR_SPECIAL_ALL, replace) : s;
}

const STREAM_NS: string = NS.STREAM;

function write(el: Element, parentNs: string, scopeNs: string): string {
  // An element with xmlns "" is in its parent's namespace.
  const ns = el.xmlns === "" ? parentNs : el.xmlns;
  let out: string;
  let close: string;
  if (ns === STREAM_NS) {
    // The stream header binds the prefix "stream" (RFC 6120 §4.8.5).
    out = "<stream:" + el.name;
    close = "</stream:" + el.name + ">";
  } else {
    out = "<" + el.name;
    close = "</" + el.name + ">";
    if (ns !== scopeNs && ns !== "") {
      out += ' xmlns="' + escapeAttr(ns) + '"';
      scopeNs = ns;
    }
  }
  const attrs = el.attrs;
  for (const key in attrs) {
    if (key === "xmlns") continue; // the namespace is `el.xmlns`, written above
    out += " " + key + '="' + escapeAttr(attrs[key]) + '"';
  }
  const children: readonly XmlNode[] = el.children;
  const n = children.length;
  if (n === 0) return out + "/>";
  out += ">";
  for (let i = 0; i < n; i++) {
    const c = children[i];
    out += typeof c === "string" ? escapeText(c) : write(c, ns, scopeNs);
  }
  return out + close;
}

/**
 * Serializes an element. `xmlns="..."` is written only where an element's namespace differs
 * from the one in scope (an element with `xmlns` "" takes its parent's); elements in the
 * streams namespace are written with the `stream:` prefix that the stream header declares.
 *
 * @param el The element.
 * @param parentXmlns The default namespace in scope where the element is written: the
 *   stream's content namespace. Default "jabber:client".
 * @returns The XML text.
 * @example
 * ```ts
 * import { serialize } from "./serializer.ts";
 * import { xml } from "./element.ts";
 * const msg = xml("message", { to: "juliet@example.com", xmlns: "jabber:client" },
 *   xml("body", null, "Tom & Jerry"));
 * const s = serialize(msg);
 * if (s !== '<message to="juliet@example.com"><body>Tom &amp; Jerry</body></message>') {
 *   throw new Error(s);
 * }
 * ```
 */
export function serialize(el: Element, parentXmlns: string = NS.CLIENT): string {
  return write(el, parentXmlns, parentXmlns);
}

/**
 * Writes the opening of a stream: the XML declaration and the `<stream:stream>` start tag,
 * which declares the content namespace (`jabber:client` unless `attrs.xmlns` says otherwise)
 * and the `stream` prefix.
 *
 * @param attrs Attributes of the header (`from`, `to`, `id`, `version`, `xml:lang`, and
 *   optionally `xmlns`), written in this order after the namespace declarations.
 * @returns The XML text.
 * @example
 * ```ts
 * import { streamOpen } from "./serializer.ts";
 * const s = streamOpen({ from: "example.com", id: "abc", version: "1.0" });
 * if (!s.startsWith("<?xml version='1.0'?><stream:stream xmlns='jabber:client' ")) throw new Error(s);
 * ```
 */
export function streamOpen(attrs: Record<string, string>): string {
  let out = "<?xml version='1.0'?><stream:stream xmlns='" + escapeAttr(attrs.xmlns ?? NS.CLIENT) +
    "' xmlns:stream='" + STREAM_NS + "'";
  for (const key in attrs) {
    if (key === "xmlns" || key === "xmlns:stream") continue;
    out += " " + key + "='" + escapeAttr(attrs[key]) + "'";
  }
  return out + ">";
}

/**
 * Writes the end of a stream.
 *
 * @returns `</stream:stream>`.
 * @example
 * ```ts
 * import { streamClose } from "./serializer.ts";
 * if (streamClose() !== "</stream:stream>") throw new Error();
 * ```
 */
export function streamClose(): string {
  return "</stream:stream>";
}

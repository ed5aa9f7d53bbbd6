/**
 * Whole XML documents (files such as XEP-0227 exports), read into the same
 * {@linkcode Element} shape as stream stanzas. Unlike a stream (RFC 6120 §11.1), a document
 * may carry comments, processing instructions and CDATA sections, which people add to files
 * they edit. Document type declarations are still refused: they are where internal and
 * external entities are declared (entity expansion, reading local files).
 *
 * txml builds the tree; this module first removes comments and processing instructions and
 * refuses DTDs (txml would keep a DTD as text), then resolves namespaces and decodes
 * references with the rules the stream parser uses.
 *
 * @module
 */
import { parse as txmlParse, type TNode } from "txml";
import type { Element, XmlNode } from "./element.ts";
import { RestrictedXmlError, XmlLimitError, XmlSyntaxError } from "./errors.ts";
import { NS } from "./ns.ts";
import { checkXmlDecl } from "./_restricted.ts";
import { attrValue, bytePosition, colonOf, textValue } from "./_text.ts";

/** Options of {@linkcode parseXmlDocument}. */
export interface XmlDocumentOptions {
  /** Deepest nesting of elements, the root counting as 1. Default 1024. */
  readonly maxDepth?: number;
}

const DTD_MESSAGE = "Cannot read a document with a document type declaration (<!DOCTYPE>): " +
  "DTDs declare entities, internal or external, which are not read";

/**
 * The document without its comments, processing instructions and XML declaration, with CDATA
 * sections turned into escaped text, so that txml sees elements and text only.
 */
function clean(doc: string): string {
  let out = "";
  let last = 0;
  let seenMarkup = false;
  for (let i = doc.indexOf("<"); i !== -1; i = doc.indexOf("<", i + 1)) {
    const c = doc.charCodeAt(i + 1);
    if (c !== 0x21 /* ! */ && c !== 0x3F /* ? */) {
      seenMarkup = true;
      continue;
    }
    const at = (): number => bytePosition(doc, i, 0); // only on error: it costs O(i)
    let end: number;
    let replacement = "";
    if (c === 0x3F) {
      end = doc.indexOf("?>", i + 2);
      if (end === -1) throw new XmlSyntaxError("Unterminated processing instruction", at());
      end += 2;
      if (/^<\?xml[\s?]/.test(doc.slice(i, i + 6))) {
        // XML 1.0 §2.8: the declaration comes first (whitespace allowed, as in streams).
        if (seenMarkup || doc.slice(0, i).trim() !== "") {
          throw new XmlSyntaxError("The XML declaration is only allowed at the start", at());
        }
        checkXmlDecl(doc.slice(i, end), at());
      }
    } else if (doc.startsWith("<!--", i)) {
      end = doc.indexOf("-->", i + 4);
      if (end === -1) throw new XmlSyntaxError("Unterminated comment", at());
      end += 3;
    } else if (doc.startsWith("<![CDATA[", i)) {
      end = doc.indexOf("]]>", i + 9);
      if (end === -1) throw new XmlSyntaxError("Unterminated CDATA section", at());
      replacement = doc.slice(i + 9, end).replace(/[&<>]/g, (ch) => ESCAPES[ch]);
      end += 3;
    } else {
      // <!DOCTYPE, and <!ENTITY, <!ELEMENT, <!ATTLIST out of place.
      const name = /^<!([A-Z]*)/.exec(doc.slice(i, i + 12))![1];
      if (name !== "") throw new RestrictedXmlError(DTD_MESSAGE + ` (found "<!${name}")`, at());
      throw new XmlSyntaxError('Invalid markup after "<!"', at());
    }
    seenMarkup = true;
    out += doc.slice(last, i) + replacement;
    last = end;
    i = end - 1;
  }
  return last === 0 ? doc : out + doc.slice(last);
}

const ESCAPES: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;" };

/** The prefixes in scope: a null-prototype object, inheriting from the parent's. */
type Prefixes = Readonly<Record<string, string>>;

const ROOT_PREFIXES: Prefixes = Object.assign(Object.create(null), { xml: NS.XML });

/** Decodes references with the stream's rules; an undeclared entity is named as such. */
function decoded(value: (raw: string, s: string, at: number, offset: number) => string) {
  return (raw: string, where: string): string => {
    try {
      return value(raw, raw, 0, 0);
    } catch (e) {
      if (!(e instanceof XmlSyntaxError)) throw e;
      const ref = e instanceof RestrictedXmlError ? /&[^;]*;/.exec(raw)?.[0] : undefined;
      // XML 1.0 §4.1 (WFC: Entity Declared): without a DTD only the five predefined exist.
      const message = ref
        ? `Undeclared entity reference "${ref}" in ${where}`
        : `${e.message} in ${where}`;
      throw new XmlSyntaxError(message, 0, { cause: e });
    }
  };
}
const decodeAttr = decoded(attrValue);
const decodeText = decoded(textValue);

function qname(q: string, where: string): number {
  try {
    return colonOf(q, q, 0, 0);
  } catch (e) {
    throw new XmlSyntaxError(`Invalid name "${q}" in ${where}`, 0, { cause: e });
  }
}

function resolve(q: string, colon: number, ns: string, prefixes: Prefixes): string {
  if (colon === -1) return ns;
  const uri = q.startsWith("xmlns:") ? undefined : prefixes[q.slice(0, colon)];
  if (uri === undefined) throw new XmlSyntaxError(`Unbound namespace prefix in "${q}"`, 0);
  return uri;
}

/** The children of a node, elements and text (adjacent text runs joined). */
function convertChildren(
  nodes: readonly (TNode | string)[],
  ns: string,
  prefixes: Prefixes,
  depth: number,
  maxDepth: number,
): XmlNode[] {
  const children: XmlNode[] = [];
  let text = "";
  for (const c of nodes) {
    if (typeof c === "string") {
      text += c;
      continue;
    }
    if (text !== "") children.push(decodeText(text, `the text before <${c.tagName}>`));
    text = "";
    children.push(convert(c, ns, prefixes, depth + 1, maxDepth));
  }
  if (text !== "") children.push(decodeText(text, "text"));
  return children;
}

function convert(
  node: TNode,
  parentNs: string,
  parentPrefixes: Prefixes,
  depth: number,
  maxDepth: number,
): Element {
  const where = `<${node.tagName}>`;
  if (depth > maxDepth) {
    throw new XmlLimitError("depth", `Element nesting exceeds "maxDepth" (${maxDepth})`);
  }
  let ns = parentNs;
  let prefixes = parentPrefixes;
  const attrs: Record<string, string> = {};
  for (const name in node.attributes) {
    const raw = node.attributes[name];
    if (raw === null) throw new XmlSyntaxError(`Attribute "${name}" has no value in ${where}`, 0);
    qname(name, where);
    const value = decodeAttr(raw, `attribute "${name}" of ${where}`);
    if (name === "xmlns") {
      ns = value;
      continue;
    }
    if (name.startsWith("xmlns:")) {
      const prefix = name.slice(6);
      // Namespaces in XML 1.0 §3: reserved prefixes, and no undeclaring in XML 1.0.
      if (prefix === "xmlns" || (prefix === "xml") !== (value === NS.XML) || value === "") {
        throw new XmlSyntaxError(`Invalid namespace declaration "${name}" = "${value}"`, 0);
      }
      if (prefixes === parentPrefixes) prefixes = Object.create(parentPrefixes);
      (prefixes as Record<string, string>)[prefix] = value;
    }
    attrs[name] = value;
  }
  // As the stream parser does: the declaration of each attribute prefix goes with the element.
  for (const name in attrs) {
    const colon = name.indexOf(":");
    if (colon === -1 || name.startsWith("xmlns:")) continue;
    const uri = resolve(name, colon, ns, prefixes);
    const decl = "xmlns:" + name.slice(0, colon);
    if (uri !== NS.XML && !Object.hasOwn(attrs, decl)) attrs[decl] = uri;
  }
  const colon = qname(node.tagName, where);
  const xmlns = resolve(node.tagName, colon, ns, prefixes);
  let nodes = node.children;
  // txml keeps the content of <script> and <style> as raw text (an HTML habit).
  if ((node.tagName === "script" || node.tagName === "style") && nodes.length === 1) {
    nodes = txml(nodes[0] as string);
  }
  const children = convertChildren(nodes, ns, prefixes, depth, maxDepth);
  return {
    name: colon === -1 ? node.tagName : node.tagName.slice(colon + 1),
    xmlns,
    attrs,
    children,
  };
}

function txml(s: string): (TNode | string)[] {
  try {
    // No void elements: <link> or <br> in a payload are ordinary XML elements.
    return txmlParse(s, { keepWhitespace: true, selfClosingTags: [] });
  } catch (e) {
    if (e instanceof RangeError) {
      throw new XmlLimitError("depth", "Element nesting too deep to parse", { cause: e });
    }
    const message = e instanceof Error ? e.message.split("\n")[0] : String(e);
    throw new XmlSyntaxError(`Malformed document: ${message}`, 0, { cause: e });
  }
}

/**
 * Parses a whole XML document into its root {@linkcode Element}, with namespaces resolved and
 * references decoded. Comments and processing instructions are skipped, CDATA sections read
 * as text. The checks are those of a document reader rather than of the stream parser: txml
 * does not report duplicate attributes (the last wins). For streams, use
 * {@linkcode StreamParser}.
 *
 * @param text The document (a byte order mark and an XML declaration may start it).
 * @param options The depth limit.
 * @returns The root element.
 * @throws {RestrictedXmlError} The document has a DTD (`<!DOCTYPE …>`), which could declare
 *   internal or external entities.
 * @throws {XmlSyntaxError} The document is not well-formed: an undeclared entity, an unbound
 *   prefix, a truncated file, text outside the root element.
 * @throws {XmlLimitError} Elements are nested deeper than `maxDepth`.
 * @example
 * ```ts
 * import { parseXmlDocument } from "./document.ts";
 * const root = parseXmlDocument(
 *   "<?xml version='1.0'?>\n<!-- exported by hand -->\n<a xmlns='urn:a'><b>x &amp; y</b></a>\n",
 * );
 * if (root.name !== "a" || root.xmlns !== "urn:a") throw new Error();
 * ```
 */
export function parseXmlDocument(text: string, options: XmlDocumentOptions = {}): Element {
  const maxDepth = options.maxDepth ?? 1024;
  const body = clean(text.charCodeAt(0) === 0xFEFF ? text.slice(1) : text);
  const roots: TNode[] = [];
  for (const node of txml(body)) {
    if (typeof node !== "string") roots.push(node);
    else if (node.trim() !== "") throw new XmlSyntaxError("Text outside the root element", 0);
  }
  if (roots.length !== 1) {
    throw new XmlSyntaxError(
      roots.length === 0 ? "No root element" : "More than one root element",
      0,
    );
  }
  const root = roots[0];
  // txml stops quietly at the end of the input: a truncated file would lose its tail.
  const tail = body.trimEnd();
  const closed = root.selfClosed
    ? tail.endsWith("/>")
    : new RegExp(`</${root.tagName.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}\\s*>$`).test(tail);
  if (!closed) throw new XmlSyntaxError(`Unclosed root element <${root.tagName}>`, 0);
  return convert(root, "", ROOT_PREFIXES, 1, maxDepth);
}

/**
 * Builds an {@linkcode Element} from the text of one complete top-level element, with
 * namespaces resolved and entities decoded. Private to src/xml: the byte scanner in
 * `_scanner.ts` has already checked the tag structure (matching end tags, quoting, restricted
 * constructs, limits), so this code checks what lies inside tags and text.
 *
 * @module
 */
import type { Element, XmlNode } from "./element.ts";
import { NS } from "./ns.ts";
import { attrValue, checkChars, colonOf, syntax, textValue } from "./_text.ts";

/** Namespace bindings in scope at some point of the document. */
export interface Scope {
  /** The default namespace ("" when none). */
  readonly ns: string;
  /** Prefix → namespace: a null-prototype object, or one inheriting from the parent's. */
  readonly prefixes: Readonly<Record<string, string>>;
}

function bindings(entries: Record<string, string>): Record<string, string> {
  return Object.assign(Object.create(null), entries);
}

/** The scope outside any element: only the `xml` prefix is bound. */
export const ROOT_SCOPE: Scope = { ns: "", prefixes: bindings({ xml: NS.XML }) };

/** Builds the element that starts at index 0 of `s`; `offset` is its byte offset. */
export type ElementBuilder = (s: string, offset: number, scope: Scope) => Element;

/** The stream header as read by {@linkcode parseHeader}. */
export interface HeaderInfo {
  readonly name: string;
  readonly xmlns: string;
  readonly contentNs: string;
  readonly attrs: Readonly<Record<string, string>>;
  /** Bindings the stream's children inherit. */
  readonly scope: Scope;
}

// --- tags ---------------------------------------------------------------------------------

// Results of readTag(), kept here rather than in a fresh object per tag.
let tagName = "";
let tagColon = -1;
let tagEnd = 0;
let tagSelfClosing = false;
let tagDefaultNs: string | undefined;
let tagPrefixDecls = false;
let tagPrefixedAttrs = false;

/** Sets an attribute; "__proto__" too, which plain assignment would not store. */
function setAttr(attrs: Record<string, string>, name: string, value: string): void {
  if (name === "__proto__") {
    Object.defineProperty(attrs, name, {
      value,
      enumerable: true,
      writable: true,
      configurable: true,
    });
  } else {
    attrs[name] = value;
  }
}

function isSpace(c: number): boolean {
  return c === 0x20 || c === 0x0A || c === 0x09 || c === 0x0D;
}

function isAsciiNameStart(c: number): boolean {
  return (c >= 0x61 && c <= 0x7A) || (c >= 0x41 && c <= 0x5A) || c === 0x5F;
}

// Results of scanName().
let scannedName = "";
let scannedColon = -1;

/**
 * Scans the qualified name that starts at `i`, up to whitespace, "=", "/", ">" or the end,
 * and returns where it ends. ASCII names are checked here; the others by colonOf().
 */
function scanName(s: string, i: number, offset: number): number {
  const n = s.length;
  let simple = isAsciiNameStart(s.charCodeAt(i));
  let colon = -1;
  let j = i + 1;
  for (; j < n; j++) {
    const c = s.charCodeAt(j);
    if (isAsciiNameStart(c) || (c >= 0x2D && c <= 0x39 && c !== 0x2F)) continue; // - . 0-9
    if (c === 0x3A /* : */) {
      if (colon !== -1 || !isAsciiNameStart(s.charCodeAt(j + 1))) simple = false;
      colon = j - i;
      continue;
    }
    if (isSpace(c) || c === 0x3D || c === 0x2F || c === 0x3E) break;
    simple = false;
  }
  scannedName = s.slice(i, j);
  scannedColon = simple ? colon : colonOf(scannedName, s, i, offset);
  return j;
}

/**
 * Reads the start tag whose name starts at `i` (just after `<`). Returns its attributes
 * (qualified names, without the default namespace declaration) and sets the tag* variables.
 */
function readTag(s: string, i: number, offset: number): Record<string, string> {
  let j = scanName(s, i, offset);
  tagName = scannedName;
  tagColon = scannedColon;
  let c = s.charCodeAt(j);
  tagDefaultNs = undefined;
  tagPrefixDecls = false;
  tagPrefixedAttrs = false;
  const attrs: Record<string, string> = {};
  let count = 0;
  for (;;) {
    const before = j;
    while (isSpace(c)) c = s.charCodeAt(++j);
    if (c === 0x3E /* > */) {
      tagSelfClosing = false;
      tagEnd = j + 1;
      return attrs;
    }
    if (c === 0x2F /* / */) {
      if (s.charCodeAt(j + 1) !== 0x3E) throw syntax('Expected ">" after "/"', s, j + 1, offset);
      tagSelfClosing = true;
      tagEnd = j + 2;
      return attrs;
    }
    if (j === before) throw syntax("Missing whitespace before an attribute", s, j, offset);
    const nameStart = j;
    j = scanName(s, j, offset);
    c = s.charCodeAt(j);
    const name = scannedName;
    const colon = scannedColon;
    while (isSpace(c)) c = s.charCodeAt(++j);
    if (c !== 0x3D /* = */) {
      throw syntax(`Expected "=" after attribute "${name}"`, s, j, offset);
    }
    c = s.charCodeAt(++j);
    while (isSpace(c)) c = s.charCodeAt(++j);
    if (c !== 0x22 && c !== 0x27) {
      throw syntax(`Expected a quoted value for attribute "${name}"`, s, j, offset);
    }
    const close = s.indexOf(c === 0x22 ? '"' : "'", j + 1);
    if (close === -1) throw syntax(`Unterminated value of attribute "${name}"`, s, j, offset);
    let special = false;
    for (let k = j + 1; k < close; k++) {
      const d = s.charCodeAt(k);
      if (d <= 0x3C ? d === 0x26 || d === 0x3C || d < 0x20 : d >= 0xFFFE) special = true;
    }
    const raw = s.slice(j + 1, close);
    const value = special ? attrValue(raw, s, j + 1, offset) : raw;
    if (name === "xmlns") {
      if (tagDefaultNs !== undefined) {
        throw syntax('Duplicate attribute "xmlns"', s, nameStart, offset);
      }
      tagDefaultNs = value;
    } else {
      if (count !== 0 && attrs[name] !== undefined && Object.hasOwn(attrs, name)) {
        throw syntax(`Duplicate attribute "${name}"`, s, nameStart, offset);
      }
      count++;
      setAttr(attrs, name, value);
      if (colon !== -1) {
        if (colon === 5 && name.startsWith("xmlns")) tagPrefixDecls = true;
        else tagPrefixedAttrs = true;
      }
    }
    j = close + 1;
    c = s.charCodeAt(j);
  }
}

/** Applies the namespace declarations of the tag just read to `parent`. */
function declare(
  parent: Scope,
  attrs: Record<string, string>,
  s: string,
  i: number,
  offset: number,
): Scope {
  const ns = tagDefaultNs ?? parent.ns;
  if (!tagPrefixDecls) return { ns, prefixes: parent.prefixes };
  // Inherit through the prototype chain rather than copying: copying would make a peer that
  // declares many prefixes on a parent and one on each of many children cost quadratic time.
  // The chain is at most maxDepth long.
  const prefixes: Record<string, string> = Object.create(parent.prefixes);
  for (const name in attrs) {
    if (!name.startsWith("xmlns:")) continue;
    const prefix = name.slice(6);
    const uri = attrs[name];
    // Namespaces in XML 1.0 §3: reserved prefixes, and no undeclaring in XML 1.0.
    if (prefix === "xmlns" || (prefix === "xml") !== (uri === NS.XML) || uri === "") {
      throw syntax(`Invalid namespace declaration "${name}" = "${uri}"`, s, i, offset);
    }
    prefixes[prefix] = uri;
  }
  return { ns, prefixes };
}

function resolve(
  q: string,
  colon: number,
  scope: Scope,
  s: string,
  i: number,
  offset: number,
): string {
  if (colon === -1) return scope.ns;
  const prefix = q.slice(0, colon);
  const uri = prefix === "xmlns" ? undefined : scope.prefixes[prefix];
  if (uri === undefined) {
    throw syntax(`Unbound namespace prefix "${prefix}" in "${q}"`, s, i, offset);
  }
  return uri;
}

/**
 * Checks the prefixed attributes of the tag just read, and adds to `attrs` the declaration of
 * each prefix they use that the tag does not declare itself (it was declared on an ancestor
 * or on the stream header). An element then carries every namespace its attributes need, so
 * it and any of its descendants serialize to namespace-well-formed XML on their own, wherever
 * they are written (Namespaces in XML 1.0 §5). The `xml` prefix is bound by definition.
 */
function bindPrefixedAttrs(
  attrs: Record<string, string>,
  scope: Scope,
  s: string,
  i: number,
  offset: number,
): void {
  let seen: Set<string> | undefined;
  let missing: string[] | undefined;
  for (const name in attrs) {
    const colon = name.indexOf(":");
    if (colon === -1 || name.startsWith("xmlns:")) continue;
    const uri = resolve(name, colon, scope, s, i, offset);
    const expanded = uri + " " + name.slice(colon + 1);
    // Namespaces in XML 1.0 §6.3: no two attributes with the same expanded name.
    seen ??= new Set();
    if (seen.has(expanded)) throw syntax(`Duplicate attribute "${name}"`, s, i, offset);
    seen.add(expanded);
    if (uri === NS.XML) continue;
    const decl = "xmlns:" + name.slice(0, colon);
    if (!Object.hasOwn(attrs, decl)) (missing ??= []).push(decl, uri);
  }
  if (missing === undefined) return;
  for (let k = 0; k < missing.length; k += 2) attrs[missing[k]] = missing[k + 1];
}

function localName(q: string, colon: number): string {
  return colon === -1 ? q : q.slice(colon + 1);
}

// --- elements -----------------------------------------------------------------------------

interface Building {
  readonly name: string;
  readonly xmlns: string;
  readonly attrs: Record<string, string>;
  readonly children: XmlNode[];
}

/**
 * Builds the element whose start tag begins at index 0 of `s` and that ends at the end of
 * `s`. `offset` is the byte offset of `s` in the stream, `scope` the bindings in force.
 */
export function parseElement(s: string, offset: number, scope: Scope): Element {
  const open: Building[] = [];
  const scopes: Scope[] = [];
  let top: Building | undefined;
  let topScope = scope;
  let text = "";
  let i = 0;
  const n = s.length;
  while (i < n) {
    if (s.charCodeAt(i) !== 0x3C /* < */) {
      let k = i;
      let special = false;
      for (; k < n; k++) {
        const d = s.charCodeAt(k);
        if (d <= 0x3E) {
          if (d === 0x3C) break;
          if (d === 0x26 || d === 0x3E || d < 0x20) special = true;
        } else if (d >= 0xFFFE) {
          special = true;
        }
      }
      const raw = s.slice(i, k);
      text += special ? textValue(raw, s, i, offset) : raw;
      i = k;
      continue;
    }
    const c = s.charCodeAt(i + 1);
    if (c === 0x21 /* ! */) {
      // The scanner only lets "<![CDATA[" through here.
      const close = s.indexOf("]]>", i + 9);
      const raw = s.slice(i + 9, close);
      checkChars(raw, s, i + 9, offset);
      text += raw.indexOf("\r") === -1 ? raw : raw.replace(/\r\n?/g, "\n");
      i = close + 3;
      continue;
    }
    if (text !== "") {
      top!.children.push(text);
      text = "";
    }
    if (c === 0x2F /* / */) {
      // The scanner has checked that the end tag matches.
      i = s.indexOf(">", i + 2) + 1;
      const done = open.pop()!;
      scopes.pop();
      if (open.length === 0) return finish(done, s, i, offset);
      top = open[open.length - 1];
      topScope = scopes[scopes.length - 1];
      continue;
    }
    const attrs = readTag(s, i + 1, offset);
    const sc = tagDefaultNs === undefined && !tagPrefixDecls
      ? topScope
      : declare(topScope, attrs, s, i, offset);
    const xmlns = resolve(tagName, tagColon, sc, s, i, offset);
    if (tagPrefixedAttrs) bindPrefixedAttrs(attrs, sc, s, i, offset);
    const el: Building = { name: localName(tagName, tagColon), xmlns, attrs, children: [] };
    if (top !== undefined) top.children.push(el);
    if (tagSelfClosing) {
      if (top === undefined) return finish(el, s, tagEnd, offset);
    } else {
      open.push(el);
      scopes.push(sc);
      top = el;
      topScope = sc;
    }
    i = tagEnd;
  }
  throw syntax("Unexpected end of element", s, n, offset);
}

function finish(el: Element, s: string, i: number, offset: number): Element {
  if (i !== s.length) throw syntax("Unexpected data after the element", s, i, offset);
  return el;
}

/**
 * Reads a stream header: the start tag at index 0 of `s` (no children).
 *
 * @returns The header and the bindings that its children inherit.
 */
export function parseHeader(s: string, offset: number): HeaderInfo & { selfClosing: boolean } {
  const all = readTag(s, 1, offset);
  const scope = tagDefaultNs === undefined && !tagPrefixDecls
    ? ROOT_SCOPE
    : declare(ROOT_SCOPE, all, s, 0, offset);
  const xmlns = resolve(tagName, tagColon, scope, s, 0, offset);
  if (tagPrefixedAttrs) bindPrefixedAttrs(all, scope, s, 0, offset);
  const attrs: Record<string, string> = {};
  for (const name in all) if (!name.startsWith("xmlns:")) setAttr(attrs, name, all[name]);
  return {
    name: localName(tagName, tagColon),
    xmlns,
    contentNs: tagDefaultNs ?? "",
    attrs,
    scope,
    selfClosing: tagSelfClosing,
  };
}

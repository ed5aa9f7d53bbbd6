/**
 * The plain, immutable XML element used everywhere in Parley, and the helpers that build and read it.
 *
 * @module
 */

/** A child of an element: another element or a run of text (already unescaped). */
export type XmlNode = Element | string;

/**
 * An XML element as plain data: no classes, no parent pointers, never mutated after creation.
 *
 * `name` is the local name (no prefix); `xmlns` is the resolved namespace. An empty `xmlns`
 * means "the namespace of the parent" and only occurs on elements built with {@linkcode xml}
 * without an `xmlns`; the parser always resolves namespaces. `attrs` holds every attribute by
 * its qualified name (`xml:lang` stays `xml:lang`) except the default namespace declaration,
 * which is `xmlns`. An attribute prefix other than `xml` comes with its declaration
 * (`xmlns:p`) in the same `attrs`: the parser adds it when the prefix was declared on an
 * ancestor or on the stream header, so that any element serializes to namespace-well-formed
 * XML on its own. Elements built with {@linkcode xml} that use a prefixed attribute must
 * declare it the same way.
 */
export interface Element {
  /** Local name of the element. */
  readonly name: string;
  /** Namespace of the element; "" inherits the parent's. */
  readonly xmlns: string;
  /** Attributes by qualified name, values unescaped. */
  readonly attrs: Readonly<Record<string, string>>;
  /** Child elements and text, in document order. */
  readonly children: readonly XmlNode[];
}

/** Attributes accepted by {@linkcode xml}: `undefined` values are left out. */
export type XmlAttrs = Record<string, string | number | undefined>;

/** Children accepted by {@linkcode xml}: nested arrays are flattened, nullish and false dropped. */
export type XmlChild = XmlNode | undefined | null | false | readonly XmlChild[];

function withXmlns(el: Element, xmlns: string): Element {
  return { name: el.name, xmlns, attrs: el.attrs, children: inherit(el.children, xmlns) };
}

function inherit(children: readonly XmlNode[], xmlns: string): XmlNode[] {
  return children.map((c) => typeof c === "string" || c.xmlns !== "" ? c : withXmlns(c, xmlns));
}

function flatten(items: readonly XmlChild[], out: XmlNode[]): XmlNode[] {
  for (const item of items) {
    if (item === undefined || item === null || item === false) continue;
    if (Array.isArray(item)) flatten(item, out);
    else if (item !== "") out.push(item as XmlNode);
  }
  return out;
}

/**
 * Builds an element. The `xmlns` attribute becomes the element's namespace; children built
 * without one take it on.
 *
 * @param name Local name of the element.
 * @param attrs Attributes, `xmlns` included; `null` for none.
 * @param children Child elements and text.
 * @returns The new element.
 * @example
 * ```ts
 * import { xml } from "./element.ts";
 * const q = xml("query", { xmlns: "jabber:iq:version" }, xml("name", null, "Parley"));
 * if (q.children.length !== 1) throw new Error("expected one child");
 * ```
 */
export function xml(name: string, attrs: XmlAttrs | null, ...children: XmlChild[]): Element {
  let xmlns = "";
  const out: Record<string, string> = {};
  if (attrs) {
    for (const key in attrs) {
      const value = attrs[key];
      if (value === undefined) continue;
      if (key === "xmlns") xmlns = String(value);
      else out[key] = String(value);
    }
  }
  const kids = flatten(children, []);
  return { name, xmlns, attrs: out, children: xmlns === "" ? kids : inherit(kids, xmlns) };
}

/**
 * Tells whether an element has a given name and namespace.
 *
 * @param el The element.
 * @param name Local name.
 * @param xmlns Namespace; an element with `xmlns` "" matches any.
 * @returns `true` when both match.
 * @example
 * ```ts
 * import { is, xml } from "./element.ts";
 * if (!is(xml("ping", { xmlns: "urn:xmpp:ping" }), "ping", "urn:xmpp:ping")) throw new Error();
 * ```
 */
export function is(el: Element, name: string, xmlns?: string): boolean {
  return el.name === name && (xmlns === undefined || el.xmlns === xmlns || el.xmlns === "");
}

/**
 * Finds the first child element with a name and, optionally, a namespace.
 *
 * @param el The parent.
 * @param name Local name.
 * @param xmlns Namespace to match; any when left out.
 * @returns The child, or `undefined`.
 * @example
 * ```ts
 * import { child, xml } from "./element.ts";
 * const iq = xml("iq", { type: "get" }, xml("ping", { xmlns: "urn:xmpp:ping" }));
 * if (!child(iq, "ping", "urn:xmpp:ping")) throw new Error("no ping");
 * ```
 */
export function child(el: Element, name: string, xmlns?: string): Element | undefined {
  for (const c of el.children) {
    if (typeof c !== "string" && is(c, name, xmlns)) return c;
  }
  return undefined;
}

/**
 * Lists the child elements, optionally only those with a name and namespace.
 *
 * @param el The parent.
 * @param name Local name to keep; all when left out.
 * @param xmlns Namespace to keep; any when left out.
 * @returns The matching child elements, in order.
 * @example
 * ```ts
 * import { elements, xml } from "./element.ts";
 * if (elements(xml("a", null, "t", xml("b", null))).length !== 1) throw new Error();
 * ```
 */
export function elements(el: Element, name?: string, xmlns?: string): Element[] {
  const out: Element[] = [];
  for (const c of el.children) {
    if (typeof c === "string") continue;
    if (name === undefined || is(c, name, xmlns)) out.push(c);
  }
  return out;
}

/**
 * Concatenates the element's direct text children.
 *
 * @param el The element, or `undefined`.
 * @returns The text ("" when there is none).
 * @example
 * ```ts
 * import { text, xml } from "./element.ts";
 * if (text(xml("body", null, "hi")) !== "hi") throw new Error();
 * ```
 */
export function text(el: Element | undefined): string {
  if (!el) return "";
  let out = "";
  for (const c of el.children) if (typeof c === "string") out += c;
  return out;
}

/**
 * Returns a copy of the element with some attributes replaced (`undefined` removes one).
 *
 * @param el The element.
 * @param attrs Attributes to set or remove.
 * @returns The new element; `el` is unchanged.
 * @example
 * ```ts
 * import { withAttrs, xml } from "./element.ts";
 * const m = withAttrs(xml("message", { to: "a@b" }), { from: "c@d" });
 * if (m.attrs.from !== "c@d") throw new Error();
 * ```
 */
export function withAttrs(el: Element, attrs: Record<string, string | undefined>): Element {
  const out: Record<string, string> = { ...el.attrs };
  for (const key in attrs) {
    const value = attrs[key];
    if (value === undefined) delete out[key];
    else out[key] = value;
  }
  return { name: el.name, xmlns: el.xmlns, attrs: out, children: el.children };
}

/**
 * Variant (b) of the stream parser, kept for the benchmark only: the same byte scanner as
 * {@linkcode StreamParser} isolates each complete top-level element, then txml builds the tree
 * and a small pass resolves namespaces and decodes references.
 *
 * It lost to the hand-written tree builder (see bench/xml_parser_bench.ts) and it checks less:
 * txml accepts duplicate attributes (the last wins), attributes without values and invalid
 * names, and reports CDATA as plain text, so "&amp;" inside CDATA would be decoded.
 *
 * @module
 */
import { parse, type TNode } from "txml";
import type { Element, XmlNode } from "../src/xml/element.ts";
import { XmlSyntaxError } from "../src/xml/errors.ts";
import { Scanner } from "../src/xml/_scanner.ts";
import type { StreamEvent } from "../src/xml/stream_event.ts";
import { decodeRefs } from "../src/xml/_text.ts";
import type { Scope } from "../src/xml/_tree.ts";
import type { StreamParserOptions } from "../src/xml/stream_parser.ts";

function resolve(q: string, scope: Scope, offset: number): [string, string] {
  const colon = q.indexOf(":");
  if (colon === -1) return [q, scope.ns];
  const uri = scope.prefixes[q.slice(0, colon)];
  if (uri === undefined) throw new XmlSyntaxError(`Unbound namespace prefix in "${q}"`, offset);
  return [q.slice(colon + 1), uri];
}

function convert(node: TNode, parent: Scope, offset: number): Element {
  let ns = parent.ns;
  let prefixes = parent.prefixes;
  let copied = false;
  const attrs: Record<string, string> = {};
  for (const key in node.attributes) {
    const raw = node.attributes[key];
    if (raw === null) throw new XmlSyntaxError(`Attribute "${key}" has no value`, offset);
    const value = raw.indexOf("&") === -1 ? raw : decodeRefs(raw, raw, 0, offset);
    if (key === "xmlns") {
      ns = value;
      continue;
    }
    if (key.startsWith("xmlns:")) {
      if (!copied) prefixes = Object.assign(Object.create(null), prefixes);
      copied = true;
      (prefixes as Record<string, string>)[key.slice(6)] = value;
    }
    attrs[key] = value;
  }
  const scope: Scope = ns === parent.ns && !copied ? parent : { ns, prefixes };
  const [name, xmlns] = resolve(node.tagName, scope, offset);
  const children: XmlNode[] = [];
  let text = "";
  for (const c of node.children) {
    if (typeof c === "string") {
      text += c.indexOf("&") === -1 ? c : decodeRefs(c, c, 0, offset);
      continue;
    }
    if (text !== "") children.push(text);
    text = "";
    children.push(convert(c, scope, offset));
  }
  if (text !== "") children.push(text);
  return { name, xmlns, attrs, children };
}

function buildWithTxml(s: string, offset: number, scope: Scope): Element {
  let nodes: (TNode | string)[];
  try {
    nodes = parse(s, { keepWhitespace: true });
  } catch (cause) {
    throw new XmlSyntaxError("Malformed element", offset, { cause });
  }
  const root = nodes[0];
  if (nodes.length !== 1 || typeof root === "string") {
    throw new XmlSyntaxError("Malformed element", offset);
  }
  return convert(root, scope, offset);
}

/** The txml-based variant, with the same API as {@linkcode StreamParser}. */
export class TxmlStreamParser {
  readonly #scanner: Scanner;

  /** @param options Same as {@linkcode StreamParser}. */
  constructor(options: StreamParserOptions = {}) {
    this.#scanner = new Scanner({
      maxStanzaBytes: options.maxStanzaBytes ?? 262144,
      maxDepth: options.maxDepth ?? 32,
      framed: options.framed === true,
    }, buildWithTxml);
  }

  /**
   * @param chunk The next bytes of the stream.
   * @returns The events, parsed lazily.
   */
  push(chunk: Uint8Array): Generator<StreamEvent, void, undefined> {
    this.#scanner.enqueue(chunk);
    return this.#events();
  }

  *#events(): Generator<StreamEvent, void, undefined> {
    try {
      for (let e = this.#scanner.next(); e !== undefined; e = this.#scanner.next()) yield e;
    } finally {
      this.#scanner.release();
    }
  }

  /** @returns The bytes not consumed by an event. */
  rest(): Uint8Array {
    return this.#scanner.rest();
  }
}

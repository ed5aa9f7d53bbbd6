/**
 * XML kept in stores (offline messages, pending subscriptions, vCards, private XML, PEP
 * payloads, archives): one way to write it, measure it and read it back, for the modules and
 * the adapters alike.
 *
 * @module
 */
import type { Element } from "../xml/element.ts";
import { serialize } from "../xml/serializer.ts";
import { StreamParser } from "../xml/stream_parser.ts";

const encoder = new TextEncoder();

/**
 * The limits stored XML is read back with: the largest `maxStanzaBytes` and `maxDepth` the
 * server configuration accepts, so whatever a session could send can be loaded again.
 */
export const STORED_XML_LIMITS: { readonly maxBytes: number; readonly maxDepth: number } = {
  maxBytes: 64 * 1024 * 1024,
  maxDepth: 1024,
};

/**
 * Serializes an element for a store, with its namespace always written, so that
 * {@linkcode loadXml} reads it back without a parent scope.
 *
 * @param el The element to store.
 * @returns The serialized XML.
 * @example
 * ```ts
 * import { storeXml } from "./stored_xml.ts";
 * import { xml } from "../xml/element.ts";
 * const s = storeXml(xml("message", { xmlns: "jabber:client" }, xml("body", null, "Hi")));
 * if (s !== '<message xmlns="jabber:client"><body>Hi</body></message>') throw new Error(s);
 * ```
 */
export function storeXml(el: Element): string {
  return serialize(el, "");
}

/**
 * The size of stored XML, in bytes of UTF-8 (what store limits count).
 *
 * @param stored XML as written by {@linkcode storeXml}.
 * @returns Its length in bytes.
 * @example
 * ```ts
 * import { storedXmlBytes } from "./stored_xml.ts";
 * if (storedXmlBytes("<a xmlns='x'>é</a>") !== 19) throw new Error();
 * ```
 */
export function storedXmlBytes(stored: string): number {
  return encoder.encode(stored).length;
}

/**
 * Parses XML written by {@linkcode storeXml}, within {@linkcode STORED_XML_LIMITS}.
 *
 * @param stored The stored text.
 * @returns The element, or `undefined` when the text holds none (it is empty).
 * @throws {SyntaxError} The text is not well-formed XML.
 * @throws {RangeError} The element is larger or deeper than {@linkcode STORED_XML_LIMITS}.
 * @example
 * ```ts
 * import { loadXml, storeXml } from "./stored_xml.ts";
 * import { xml } from "../xml/element.ts";
 * const el = xml("presence", { xmlns: "jabber:client", type: "subscribe" });
 * const back = loadXml(storeXml(el));
 * if (back?.attrs.type !== "subscribe") throw new Error();
 * ```
 */
export function loadXml(stored: string): Element | undefined {
  const parser = new StreamParser({
    framed: true,
    maxStanzaBytes: STORED_XML_LIMITS.maxBytes,
    maxDepth: STORED_XML_LIMITS.maxDepth,
  });
  for (const event of parser.push(encoder.encode(stored))) {
    if (event.kind === "element") return event.element;
  }
  return undefined;
}

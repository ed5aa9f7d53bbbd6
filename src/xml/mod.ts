/**
 * The XML layer of Parley: the plain {@linkcode Element} data type and its helpers, the
 * namespace constants, the incremental {@linkcode StreamParser} for XMPP streams (TCP and
 * RFC 7395 WebSocket framing), {@linkcode parseXmlDocument} for whole files, the serializer, and the parse errors with the stream error
 * condition each maps to.
 *
 * ```ts
 * import { serialize, StreamParser, xml } from "./mod.ts";
 *
 * const parser = new StreamParser();
 * const input = new TextEncoder().encode(
 *   "<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'>" +
 *     "<iq type='get' id='p1'><ping xmlns='urn:xmpp:ping'/></iq>",
 * );
 * for (const event of parser.push(input)) {
 *   if (event.kind === "element") {
 *     const reply = xml("iq", { type: "result", id: event.element.attrs.id });
 *     if (serialize(reply) !== '<iq type="result" id="p1"/>') throw new Error(serialize(reply));
 *   }
 * }
 * ```
 *
 * @module
 */
export { child, elements, is, text, withAttrs, xml } from "./element.ts";
export type { Element, XmlAttrs, XmlChild, XmlNode } from "./element.ts";
export { NS } from "./ns.ts";
export type { Namespace } from "./ns.ts";
export { StreamParser } from "./stream_parser.ts";
export type { StreamEvent, StreamHeader, StreamParserOptions } from "./stream_parser.ts";
export { escapeAttr, escapeText, serialize, streamClose, streamOpen } from "./serializer.ts";
export { parseXmlDocument } from "./document.ts";
export type { XmlDocumentOptions } from "./document.ts";
export { RestrictedXmlError, XmlLimitError, XmlSyntaxError } from "./errors.ts";
export type { XmlLimit, XmlLimitErrorOptions } from "./errors.ts";

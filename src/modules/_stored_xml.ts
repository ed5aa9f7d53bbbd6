// Private helpers of the modules that keep XML in stores: serialize, measure, parse back.
import type { Element } from "../xml/element.ts";
import { serialize } from "../xml/serializer.ts";
import { StreamParser } from "../xml/stream_parser.ts";

const encoder = new TextEncoder();

/** Serializes an element for a store, with its namespace always written. */
export function store(el: Element): string {
  return serialize(el, "");
}

/** The size of stored XML in bytes of UTF-8. */
export function byteSize(s: string): number {
  return encoder.encode(s).length;
}

/** Parses XML written by {@linkcode store}; `undefined` when it cannot be read. */
export function load(s: string): Element | undefined {
  const parser = new StreamParser({
    framed: true,
    maxStanzaBytes: 64 * 1024 * 1024,
    maxDepth: 1024,
  });
  for (const event of parser.push(encoder.encode(s))) {
    if (event.kind === "element") return event.element;
  }
  return undefined;
}

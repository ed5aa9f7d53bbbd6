/**
 * Helpers shared by the StreamParser tests: a stream header, chunked feeding, a seeded PRNG.
 *
 * @module
 */
import type { Element } from "../../src/xml/element.ts";
import { NS } from "../../src/xml/ns.ts";
import {
  type StreamEvent,
  StreamParser,
  type StreamParserOptions,
} from "../../src/xml/stream_parser.ts";
import { mulberry32 } from "../../bench/fixtures/client_stream.ts";

export const enc = new TextEncoder();
export const HEADER =
  "<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' " +
  "to='example.com' version='1.0' xml:lang='en'>";
export const HEADER_EVENT: StreamEvent = {
  kind: "open",
  header: {
    name: "stream",
    xmlns: NS.STREAM,
    contentNs: NS.CLIENT,
    attrs: { to: "example.com", version: "1.0", "xml:lang": "en" },
  },
};

export function bytesOf(input: string | Uint8Array): Uint8Array {
  return typeof input === "string" ? enc.encode(input) : input;
}

export function concat(...parts: (string | Uint8Array)[]): Uint8Array {
  const arrays = parts.map(bytesOf);
  const out = new Uint8Array(arrays.reduce((n, a) => n + a.length, 0));
  let at = 0;
  for (const a of arrays) {
    out.set(a, at);
    at += a.length;
  }
  return out;
}

/** Seeded PRNG (mulberry32), the one the fixture generator uses. */
export const prng: (seed: number) => () => number = mulberry32;

/** Feeds `input` in chunks whose sizes `next()` picks (whole when left out). */
export function parse(
  input: string | Uint8Array,
  options?: StreamParserOptions,
  next?: () => number,
): StreamEvent[] {
  const bytes = bytesOf(input);
  const parser = new StreamParser(options);
  const events: StreamEvent[] = [];
  if (next === undefined) {
    events.push(...parser.push(bytes));
    return events;
  }
  for (let i = 0; i < bytes.length;) {
    const n = Math.max(1, next());
    // Copy, so that a parser keeping a view of a chunk after iterating would be caught.
    const chunk = bytes.slice(i, i + n);
    events.push(...parser.push(chunk));
    chunk.fill(0);
    i += n;
  }
  return events;
}

export const oneByte = () => 1;

export function randomSizes(seed: number, max: number): () => number {
  const rand = prng(seed);
  return () => 1 + Math.floor(rand() ** 3 * max);
}

/** The elements of a stream made of HEADER and `body`. */
export function elementsOf(body: string, options?: StreamParserOptions): Element[] {
  return parse(HEADER + body, options).flatMap((e) => e.kind === "element" ? [e.element] : []);
}

export function el(
  name: string,
  xmlns: string,
  attrs: Record<string, string> = {},
  ...children: (Element | string)[]
): Element {
  return { name, xmlns, attrs, children };
}

export const C = NS.CLIENT;

/** Runs `fn` and returns what it threw. */
export function caught(fn: () => unknown): unknown {
  try {
    fn();
  } catch (e) {
    return e;
  }
  throw new Error("Expected an error");
}

/**
 * Compares the two stream parser variants on the recorded client stream, fed in 4 KiB chunks
 * as a TCP read would deliver it, and in one piece:
 *
 * - "hand-written": {@linkcode StreamParser} from src/xml (byte scanner + hand-written tree
 *   builder);
 * - "txml": the same byte scanner with txml building the trees (bench/xml_txml_parser.ts).
 *
 * Run with `deno bench bench/xml_parser_bench.ts`. Throughput = fixture bytes (or stanzas)
 * divided by the time per iteration.
 *
 * @module
 */
import { StreamParser } from "../src/xml/stream_parser.ts";
import { clientStream } from "./fixtures/client_stream.ts";
import { TxmlStreamParser } from "./xml_txml_parser.ts";

const { text, stanzas } = clientStream();
const bytes = new TextEncoder().encode(text);
const CHUNK = 4096;
const chunks: Uint8Array[] = [];
for (let i = 0; i < bytes.length; i += CHUNK) chunks.push(bytes.slice(i, i + CHUNK));

interface Parser {
  push(chunk: Uint8Array): Iterable<{ kind: string }>;
}

function run(parser: Parser, input: readonly Uint8Array[]): void {
  let elements = 0;
  for (const chunk of input) {
    for (const event of parser.push(chunk)) if (event.kind === "element") elements++;
  }
  if (elements !== stanzas) throw new Error(`Expected ${stanzas} stanzas, got ${elements}`);
}

const size = `${(bytes.length / 1024).toFixed(0)} KiB, ${stanzas} stanzas`;

Deno.bench({
  name: "hand-written, 4 KiB chunks",
  group: `parse client stream (${size}), 4 KiB chunks`,
  baseline: true,
  fn: () => run(new StreamParser(), chunks),
});
Deno.bench({
  name: "txml, 4 KiB chunks",
  group: `parse client stream (${size}), 4 KiB chunks`,
  fn: () => run(new TxmlStreamParser(), chunks),
});
Deno.bench({
  name: "hand-written, one chunk",
  group: `parse client stream (${size}), one chunk`,
  baseline: true,
  fn: () => run(new StreamParser(), [bytes]),
});
Deno.bench({
  name: "txml, one chunk",
  group: `parse client stream (${size}), one chunk`,
  fn: () => run(new TxmlStreamParser(), [bytes]),
});

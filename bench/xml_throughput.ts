/**
 * Prints the median throughput (MB/s and stanzas/s) of both stream parser variants and of the
 * serializer on the recorded client stream; `deno bench` reports averages only.
 *
 * ```sh
 * deno run bench/xml_throughput.ts
 * ```
 *
 * @module
 */
import type { Element } from "../src/xml/element.ts";
import { serialize } from "../src/xml/serializer.ts";
import { StreamParser } from "../src/xml/stream_parser.ts";
import { clientStream } from "./fixtures/client_stream.ts";
import { TxmlStreamParser } from "./xml_txml_parser.ts";

const { text, stanzas } = clientStream();
const bytes = new TextEncoder().encode(text);
const chunks: Uint8Array[] = [];
for (let i = 0; i < bytes.length; i += 4096) chunks.push(bytes.slice(i, i + 4096));

interface Parser {
  push(chunk: Uint8Array): Iterable<{ kind: string }>;
}

function parseAll(make: () => Parser, input: readonly Uint8Array[]): void {
  const parser = make();
  let n = 0;
  for (const chunk of input) for (const e of parser.push(chunk)) if (e.kind === "element") n++;
  if (n !== stanzas) throw new Error(`Expected ${stanzas} stanzas, got ${n}`);
}

/** Median time of `fn` in milliseconds, over `runs` runs after a warm-up. */
function median(fn: () => void, runs = 201): number {
  for (let i = 0; i < 50; i++) fn();
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    fn();
    times.push(performance.now() - t);
  }
  times.sort((a, b) => a - b);
  return times[runs >> 1];
}

const elements: Element[] = [];
for (const e of new StreamParser().push(bytes)) if (e.kind === "element") elements.push(e.element);
const outBytes = new TextEncoder().encode(elements.map((el) => serialize(el)).join("")).length;

const rows: [string, number, number][] = [
  [
    "parser, hand-written (src), 4 KiB chunks",
    median(() => parseAll(() => new StreamParser(), chunks)),
    bytes.length,
  ],
  [
    "parser, txml (bench only), 4 KiB chunks",
    median(() => parseAll(() => new TxmlStreamParser(), chunks)),
    bytes.length,
  ],
  [
    "parser, hand-written (src), one chunk",
    median(() => parseAll(() => new StreamParser(), [bytes])),
    bytes.length,
  ],
  [
    "parser, txml (bench only), one chunk",
    median(() => parseAll(() => new TxmlStreamParser(), [bytes])),
    bytes.length,
  ],
  ["serialize()", median(() => elements.forEach((el) => serialize(el))), outBytes],
];

console.log(`Recorded client stream: ${bytes.length} bytes, ${stanzas} stanzas\n`);
console.log("| what | median time | MB/s | stanzas/s |");
console.log("| --- | ---: | ---: | ---: |");
for (const [what, ms, size] of rows) {
  const mbs = size / 1e6 / (ms / 1000);
  const sps = stanzas / (ms / 1000);
  console.log(
    `| ${what} | ${ms.toFixed(2)} ms | ${mbs.toFixed(0)} | ${
      Math.round(sps).toLocaleString("en")
    } |`,
  );
}

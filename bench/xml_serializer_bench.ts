/**
 * Measures {@linkcode serialize} on the stanzas of the recorded client stream, as the router
 * writes them to another session.
 *
 * Run with `deno bench bench/xml_serializer_bench.ts`. Throughput = output bytes (or stanzas)
 * divided by the time per iteration.
 *
 * @module
 */
import type { Element } from "../src/xml/element.ts";
import { serialize } from "../src/xml/serializer.ts";
import { StreamParser } from "../src/xml/stream_parser.ts";
import { clientStream } from "./fixtures/client_stream.ts";

const { text, stanzas } = clientStream();
const elements: Element[] = [];
for (const event of new StreamParser().push(new TextEncoder().encode(text))) {
  if (event.kind === "element") elements.push(event.element);
}
const outBytes = new TextEncoder().encode(elements.map((el) => serialize(el)).join("")).length;

Deno.bench({
  name: `serialize ${stanzas} stanzas (${(outBytes / 1024).toFixed(0)} KiB of output)`,
  fn: () => {
    let n = 0;
    for (const el of elements) n += serialize(el).length;
    if (n === 0) throw new Error("Nothing serialized");
  },
});

// TextEncoder.encode() allocates a buffer per call, which costs more than the serialization;
// a writer should encode into a reused buffer, as here.
const encoder = new TextEncoder();
const scratch = new Uint8Array(1 << 20);
Deno.bench({
  name: `serialize ${stanzas} stanzas and encode them into a reused buffer`,
  fn: () => {
    let n = 0;
    for (const el of elements) n += encoder.encodeInto(serialize(el), scratch).written;
    if (n !== outBytes) throw new Error("Unexpected output size");
  },
});

// The XEP-0198 counters and unacknowledged queue: acknowledgements, wrap-around at 2^32, an h
// above what was sent, withdrawn stanzas.
import assert from "node:assert/strict";
import { xml } from "../../mod.ts";
import {
  approxBytes,
  nextSequence,
  parseSequence,
  SEQUENCE_MODULUS,
  UnackedQueue,
} from "../../src/modules/_sm_queue.ts";

const stanza = (id: string) => xml("message", { id }, xml("body", null, id));

Deno.test("parseSequence() takes unsigned 32-bit decimals only", () => {
  const cases: [string | undefined, number | undefined][] = [
    ["0", 0],
    ["42", 42],
    ["4294967295", 4294967295],
    ["4294967296", undefined],
    ["-1", undefined],
    ["1.5", undefined],
    ["0x10", undefined],
    ["", undefined],
    [" 1", undefined],
    ["99999999999", undefined],
    [undefined, undefined],
  ];
  for (const [input, expected] of cases) assert.equal(parseSequence(input), expected, input);
});

Deno.test("nextSequence() wraps to 0 after 2^32 - 1", () => {
  assert.equal(nextSequence(0), 1);
  assert.equal(nextSequence(SEQUENCE_MODULUS - 2), SEQUENCE_MODULUS - 1);
  assert.equal(nextSequence(SEQUENCE_MODULUS - 1), 0);
});

Deno.test("UnackedQueue.ack() drops what the client handled and keeps the rest in order", () => {
  const q = new UnackedQueue();
  for (const id of ["1", "2", "3", "4"]) q.push(stanza(id), 10, 0);
  assert.equal(q.sent, 4);
  const r = q.ack(2);
  assert.equal(r.kind, "ok");
  assert.deepEqual(r.kind === "ok" && r.acked.map((s) => s.attrs.id), ["1", "2"]);
  assert.deepEqual(q.items().map((i) => i.stanza.attrs.id), ["3", "4"]);
  assert.equal(q.bytes, 20);
  // The same h again acknowledges nothing more.
  const again = q.ack(2);
  assert.deepEqual(again.kind === "ok" && again.acked, []);
  assert.equal(q.length, 2);
});

Deno.test("UnackedQueue.ack() refuses an h above what was sent, and changes nothing", () => {
  const q = new UnackedQueue();
  q.push(stanza("1"), 10, 0);
  assert.deepEqual(q.ack(2), { kind: "too-high", h: 2, sent: 1 });
  assert.equal(q.length, 1);
  // An h below the last one is as far above what was sent, modulo 2^32.
  assert.equal(q.ack(1).kind, "ok");
  assert.equal(q.ack(0).kind, "too-high");
});

Deno.test("UnackedQueue counts across 2^32: h wraps to small numbers", () => {
  const q = new UnackedQueue(SEQUENCE_MODULUS - 2);
  for (const id of ["a", "b", "c", "d"]) q.push(stanza(id), 1, 0);
  assert.equal(q.sent, 2, "2^32 - 2 + 4 wraps to 2");
  // h = 1: the client handled 2^32 - 1, 0 and 1, three more stanzas.
  const r = q.ack(1);
  assert.deepEqual(r.kind === "ok" && r.acked.map((s) => s.attrs.id), ["a", "b", "c"]);
  assert.equal(q.acked, 1);
  assert.deepEqual(q.ack(3), { kind: "too-high", h: 3, sent: 2 });
  assert.equal(q.ack(2).kind, "ok");
  assert.equal(q.length, 0);
});

Deno.test("UnackedQueue.withdraw() takes back a stanza that was never written", () => {
  const q = new UnackedQueue();
  const [a, b, c] = [stanza("a"), stanza("b"), stanza("c")];
  q.push(a, 5, 0);
  q.push(b, 7, 0);
  q.push(c, 9, 0);
  assert.ok(q.withdraw(b));
  assert.ok(!q.withdraw(b));
  assert.equal(q.sent, 2);
  assert.equal(q.bytes, 14);
  assert.ok(q.has(c) && !q.has(b));
  // The client got a and c: h = 2 acknowledges both.
  const r = q.ack(2);
  assert.deepEqual(r.kind === "ok" && r.acked, [a, c]);
});

Deno.test("UnackedQueue.drain() empties the queue and keeps the count", () => {
  const q = new UnackedQueue();
  q.push(stanza("a"), 1, 100);
  q.push(stanza("b"), 1, 200);
  q.ack(1);
  const items = q.drain();
  assert.deepEqual(items.map((i) => [i.stanza.attrs.id, i.at]), [["b", 200]]);
  assert.equal(q.length, 0);
  assert.equal(q.sent, 2);
});

Deno.test("UnackedQueue stays correct when many stanzas are acknowledged one by one", () => {
  const q = new UnackedQueue();
  for (let i = 0; i < 1000; i++) {
    q.push(stanza(String(i)), 1, 0);
    if (i % 3 === 2) assert.equal(q.ack(i - 1).kind, "ok");
  }
  assert.deepEqual(q.items().map((i) => i.stanza.attrs.id), ["997", "998", "999"]);
  assert.equal(q.bytes, 3);
});

Deno.test("approxBytes() grows with names, attributes and text", () => {
  const small = approxBytes(xml("a", {}));
  const big = approxBytes(xml("message", { to: "x@y" }, xml("body", null, "hello")));
  assert.ok(small > 0 && big > small + 10, `${small} ${big}`);
});

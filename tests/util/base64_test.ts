import assert from "node:assert/strict";
import { fromBase64, toBase64 } from "../../src/util/base64.ts";

Deno.test("toBase64() writes padded RFC 4648 base64, also past one 32 KiB slice", () => {
  const cases: [number[], string][] = [
    [[], ""],
    [[0x66], "Zg=="],
    [[0x66, 0x6f], "Zm8="],
    [[0x66, 0x6f, 0x6f], "Zm9v"],
    [[0xfb, 0xff], "+/8="],
  ];
  for (const [bytes, text] of cases) assert.equal(toBase64(new Uint8Array(bytes)), text);
  const big = new Uint8Array(0x8000 * 2 + 3).map((_, i) => i % 251);
  assert.deepEqual(fromBase64(toBase64(big)), big);
});

Deno.test("fromBase64() decodes strict base64 and rejects anything else", () => {
  assert.deepEqual(fromBase64("Zm8="), new Uint8Array([0x66, 0x6f]));
  assert.deepEqual(fromBase64(""), new Uint8Array());
  for (const bad of ["Zm8", "Zm8=\n", "Zm 8=", "-_8=", "Zg==="]) {
    assert.equal(fromBase64(bad), undefined, JSON.stringify(bad));
  }
});

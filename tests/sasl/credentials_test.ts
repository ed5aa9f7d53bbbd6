import { deepEqual, equal, rejects } from "node:assert/strict";
import { deriveCredentials, saslPrep, verifyPlain } from "../../src/sasl/credentials.ts";
import { unb64 } from "./_scram_client.ts";

Deno.test("saslPrep() maps spaces, removes soft hyphens and applies NFKC", () => {
  const cases: [string, string][] = [
    ["pencil", "pencil"],
    ["I\u00adX", "IX"], // RFC 4013 §3 example 1
    ["user", "user"],
    ["\u00aa", "a"], // RFC 4013 §3 example 4
    ["\u2168", "IX"], // RFC 4013 §3 example 5
    ["a\u00a0b\u3000c", "a b c"],
    ["a\u200bb", "a b"],
  ];
  for (const [input, output] of cases) equal(saslPrep(input), output, input);
});

Deno.test("deriveCredentials() derives RFC 5802 StoredKey and ServerKey for both hashes", async () => {
  const credentials = await deriveCredentials("pencil", {
    salt1: unb64("QSXCR+Q6sek8bf92"),
    salt2: unb64("W22ZaJ0SNY7soEsUEjb6gQ=="),
  });
  // Expected values computed independently (Python hashlib.pbkdf2_hmac + hmac) for the salts
  // of the RFC 5802 §5 and RFC 7677 §3 examples.
  deepEqual(credentials, {
    sha1: {
      salt: "QSXCR+Q6sek8bf92",
      iterations: 4096,
      storedKey: "6dlGYMOdZcOPutkcNY8U2g7vK9Y=",
      serverKey: "D+CSWLOshSulAsxiupA+qs2/fTE=",
    },
    sha256: {
      salt: "W22ZaJ0SNY7soEsUEjb6gQ==",
      iterations: 4096,
      storedKey: "WG5d8oPm3OtcPnkdi4Uo7BkeZkBFzpcXkuLmtbsT4qY=",
      serverKey: "wfPLwcE6nTWhTAmQ7tl2KeoiWGPlZqQxSrmfPwDl2dU=",
    },
  });
});

Deno.test("deriveCredentials() draws salts from randomBytes and checks its options", async () => {
  const sizes: number[] = [];
  const c = await deriveCredentials("pencil", {
    iterations: 5000,
    randomBytes: (n) => {
      sizes.push(n);
      return new Uint8Array(n).fill(sizes.length);
    },
  });
  deepEqual(sizes, [16, 16]);
  deepEqual([c.sha1.salt, c.sha256.salt, c.sha1.iterations], [
    btoa("\x01".repeat(16)),
    btoa("\x02".repeat(16)),
    5000,
  ]);
  await rejects(deriveCredentials("pencil", { iterations: 1000 }), RangeError);
  await rejects(deriveCredentials("pencil", { iterations: 4096.5 }), RangeError);
  await rejects(deriveCredentials("\u00ad"), RangeError);
  await rejects(deriveCredentials("pencil", { salt1: new Uint8Array(0) }), RangeError);
});

Deno.test("verifyPlain() accepts the password and its SASLprep equivalents only", async () => {
  const credentials = await deriveCredentials("pass\u00a0word");
  const cases: [string, boolean][] = [
    ["pass word", true],
    ["pass\u3000word", true],
    ["pass\u00adword", false],
    ["password", false],
    ["", false],
  ];
  for (const [password, ok] of cases) equal(await verifyPlain(credentials, password), ok, password);
});

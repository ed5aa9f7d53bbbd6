import assert from "node:assert/strict";
import { JidError, parseJid, tryParseJid } from "../../src/jid/jid.ts";

Deno.test("parseJid() prepares the parts of a JID (RFC 7622)", () => {
  assert.deepEqual(parseJid("Alice@LocalHost./Phone"), {
    local: "alice",
    domain: "localhost",
    resource: "Phone",
    bare: "alice@localhost",
    full: "alice@localhost/Phone",
  });
  assert.deepEqual(parseJid("localhost/a@b/c"), {
    local: "",
    domain: "localhost",
    resource: "a@b/c",
    bare: "localhost",
    full: "localhost/a@b/c",
  });
});

Deno.test("parseJid() rejects malformed JIDs with JidError", () => {
  for (const bad of ["", "@localhost", "a@", "a@b@c", "a b@c", "a@b/", "x".repeat(1024) + "@b"]) {
    assert.throws(() => parseJid(bad), JidError, bad);
    assert.equal(tryParseJid(bad), undefined);
  }
});

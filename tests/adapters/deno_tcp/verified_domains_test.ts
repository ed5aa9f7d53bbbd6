import assert from "node:assert/strict";
import "reflect-metadata";
import * as x509 from "@peculiar/x509";
import { verifiedDomains } from "../../../adapters/deno_tcp/certificate.ts";
import { throwawayCa } from "../../scenarios/_ca.ts";

Deno.test("verifiedDomains() gives the DNS names of a certificate a trusted CA issued, else nothing", async () => {
  const dir = await Deno.makeTempDir({ prefix: "parley-ca-test-" });
  const other = await Deno.makeTempDir({ prefix: "parley-ca-test-" });
  try {
    const ca = await throwawayCa(dir);
    const stranger = await throwawayCa(other);
    const issued = await ca.issue("b.example");
    const der = new Uint8Array(x509.PemConverter.decode(issued.certPem)[0]);
    assert.deepEqual(verifiedDomains(der, [ca.caPem]), ["b.example"]);
    assert.deepEqual(verifiedDomains(der, [stranger.caPem, ca.caPem]), ["b.example"]);
    assert.equal(verifiedDomains(der, [stranger.caPem]), undefined);
    assert.equal(verifiedDomains(der, []), undefined);
    assert.equal(verifiedDomains(new Uint8Array([1, 2, 3]), [ca.caPem]), undefined);
    // A certificate another CA issued with the same subject name does not pass.
    const forged = await stranger.issue("b.example");
    const forgedDer = new Uint8Array(x509.PemConverter.decode(forged.certPem)[0]);
    assert.equal(verifiedDomains(forgedDer, [ca.caPem]), undefined);
    // Every DNS name of the subjectAltName, and nothing outside the validity period.
    const DAY = 86_400_000;
    const derOf = (pem: string) => new Uint8Array(x509.PemConverter.decode(pem)[0]);
    const both = await ca.issue("c.example", { alsoNames: ["*.c.example"] });
    assert.deepEqual(verifiedDomains(derOf(both.certPem), [ca.caPem]), [
      "c.example",
      "*.c.example",
    ]);
    const expired = await ca.issue("d.example", {
      notBefore: new Date(Date.now() - 3 * DAY),
      notAfter: new Date(Date.now() - DAY),
    });
    assert.equal(verifiedDomains(derOf(expired.certPem), [ca.caPem]), undefined);
    const early = await ca.issue("e.example", {
      notBefore: new Date(Date.now() + DAY),
      notAfter: new Date(Date.now() + 3 * DAY),
    });
    assert.equal(verifiedDomains(derOf(early.certPem), [ca.caPem]), undefined);
  } finally {
    await Deno.remove(dir, { recursive: true });
    await Deno.remove(other, { recursive: true });
  }
});

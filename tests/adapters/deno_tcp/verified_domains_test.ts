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
    assert.deepEqual(await verifiedDomains(der, [ca.caPem]), ["b.example"]);
    assert.deepEqual(await verifiedDomains(der, [stranger.caPem, ca.caPem]), ["b.example"]);
    assert.equal(await verifiedDomains(der, [stranger.caPem]), undefined);
    assert.equal(await verifiedDomains(der, []), undefined);
    assert.equal(await verifiedDomains(new Uint8Array([1, 2, 3]), [ca.caPem]), undefined);
    // A certificate another CA issued with the same subject name does not pass.
    const forged = await stranger.issue("b.example");
    const forgedDer = new Uint8Array(x509.PemConverter.decode(forged.certPem)[0]);
    assert.equal(await verifiedDomains(forgedDer, [ca.caPem]), undefined);
  } finally {
    await Deno.remove(dir, { recursive: true });
    await Deno.remove(other, { recursive: true });
  }
});

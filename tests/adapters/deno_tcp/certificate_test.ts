import "reflect-metadata";
import assert from "node:assert/strict";
import * as x509 from "@peculiar/x509";
import { loadCertificate, loadOrCreateSelfSigned } from "../../../adapters/deno_tcp/mod.ts";
import { firstDer } from "./_helpers.ts";

/** Runs `fn` with a fresh temporary directory, removed afterwards. */
async function inTempDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir();
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** A self-signed certificate signed with `algorithm`, as PEM files in `dir`. */
async function writeCertificate(
  dir: string,
  algorithm: Algorithm,
  validity: { notBefore: Date; notAfter: Date },
): Promise<{ certPath: string; keyPath: string; der: Uint8Array<ArrayBuffer> }> {
  const keys = await crypto.subtle.generateKey(algorithm, true, [
    "sign",
    "verify",
  ]) as CryptoKeyPair;
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: "01",
    name: "CN=example.org",
    keys,
    signingAlgorithm: algorithm,
    ...validity,
  });
  const certPath = `${dir}/cert.pem`;
  const keyPath = `${dir}/key.pem`;
  await Deno.writeTextFile(certPath, cert.toString("pem"));
  const pkcs8 = await crypto.subtle.exportKey("pkcs8", keys.privateKey);
  await Deno.writeTextFile(keyPath, x509.PemConverter.encode(pkcs8, "PRIVATE KEY"));
  return { certPath, keyPath, der: new Uint8Array(cert.rawData) };
}

const now = Date.now();
const valid = { notBefore: new Date(now - 1e6), notAfter: new Date(now + 1e9) };
const rsa = { modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]) };

Deno.test("loadOrCreateSelfSigned() creates the files once and reuses them", async () => {
  await inTempDir(async (parent) => {
    const dir = `${parent}/certs`; // created on demand
    const first = await loadOrCreateSelfSigned(dir, "localhost");
    const certPem = await Deno.readTextFile(`${dir}/localhost.crt`);
    const keyPem = await Deno.readTextFile(`${dir}/localhost.key`);
    assert.equal(first.certPem, certPem);
    assert.equal(first.keyPem, keyPem);
    assert.match(keyPem, /^-----BEGIN PRIVATE KEY-----\n/);
    if (Deno.build.os !== "windows") {
      assert.equal((await Deno.stat(`${dir}/localhost.key`)).mode! & 0o777, 0o600);
    }
    assert.deepEqual([...Deno.readDirSync(dir)].map((e) => e.name).sort(), [
      "localhost.crt",
      "localhost.key",
      "localhost.lock",
    ]);

    const cert = new x509.X509Certificate(certPem);
    assert.equal(cert.subject, "CN=localhost");
    assert.equal(cert.issuer, "CN=localhost");
    const san = cert.getExtension(x509.SubjectAlternativeNameExtension);
    assert.deepEqual(san?.names.toJSON(), [
      { type: "dns", value: "localhost" },
      { type: "dns", value: "*.localhost" },
    ]);
    assert.ok(cert.notAfter.getTime() > Date.now() + 365 * 24 * 3600 * 1000);
    assert.ok(await cert.isSelfSigned());
    const sha256 = new Uint8Array(await crypto.subtle.digest("SHA-256", firstDer(certPem)));
    assert.deepEqual(first.tlsServerEndPoint, sha256);

    const second = await loadOrCreateSelfSigned(dir, "localhost");
    assert.deepEqual(second, first);
    assert.deepEqual(await loadCertificate(`${dir}/localhost.crt`, `${dir}/localhost.key`), first);
  });
});

Deno.test("loadOrCreateSelfSigned() called concurrently leaves one matching pair", async () => {
  await inTempDir(async (dir) => {
    const results = await Promise.all(
      Array.from({ length: 4 }, () => loadOrCreateSelfSigned(dir, "localhost")),
    );
    const onDisk = await loadCertificate(`${dir}/localhost.crt`, `${dir}/localhost.key`);
    for (const result of results) assert.deepEqual(result, onDisk);
  });
});

Deno.test("loadOrCreateSelfSigned() names an IP literal in an IP subjectAltName", async () => {
  await inTempDir(async (dir) => {
    const { certPem } = await loadOrCreateSelfSigned(dir, "127.0.0.1");
    const san = new x509.X509Certificate(certPem).getExtension(
      x509.SubjectAlternativeNameExtension,
    );
    assert.deepEqual(san?.names.toJSON(), [{ type: "ip", value: "127.0.0.1" }]);
  });
});

Deno.test("loadOrCreateSelfSigned() replaces an expired certificate", async () => {
  await inTempDir(async (dir) => {
    const expired = await writeCertificate(
      dir,
      { name: "ECDSA", namedCurve: "P-256", hash: "SHA-256" } as Algorithm,
      { notBefore: new Date(now - 2e9), notAfter: new Date(now - 1e9) },
    );
    await Deno.rename(expired.certPath, `${dir}/example.org.crt`);
    await Deno.rename(expired.keyPath, `${dir}/example.org.key`);
    const renewed = await loadOrCreateSelfSigned(dir, "example.org");
    const cert = new x509.X509Certificate(renewed.certPem);
    assert.ok(cert.notAfter.getTime() > now);
    assert.equal(await Deno.readTextFile(`${dir}/example.org.crt`), renewed.certPem);
  });
});

Deno.test("loadOrCreateSelfSigned() rejects a domain that is not a file name", async () => {
  for (const domain of ["", ".", "..", "../etc", "a/b", "a\\b"]) {
    await assert.rejects(loadOrCreateSelfSigned("/nonexistent", domain), TypeError, domain);
  }
});

Deno.test("loadCertificate() hashes with the signature's hash, SHA-256 for SHA-1", async () => {
  const cases: [string, Algorithm, AlgorithmIdentifier | undefined][] = [
    [
      "ECDSA SHA-256",
      { name: "ECDSA", namedCurve: "P-256", hash: "SHA-256" } as Algorithm,
      "SHA-256",
    ],
    [
      "ECDSA SHA-384",
      { name: "ECDSA", namedCurve: "P-384", hash: "SHA-384" } as Algorithm,
      "SHA-384",
    ],
    ["RSA SHA-1", { name: "RSASSA-PKCS1-v1_5", hash: "SHA-1", ...rsa } as Algorithm, "SHA-256"],
    ["RSA SHA-512", { name: "RSASSA-PKCS1-v1_5", hash: "SHA-512", ...rsa } as Algorithm, "SHA-512"],
    [
      "RSA-PSS SHA-384",
      { name: "RSA-PSS", hash: "SHA-384", saltLength: 48, ...rsa } as Algorithm,
      "SHA-384",
    ],
    ["Ed25519 (no single hash)", { name: "Ed25519" }, undefined],
  ];
  for (const [label, algorithm, hash] of cases) {
    await inTempDir(async (dir) => {
      const { certPath, keyPath, der } = await writeCertificate(dir, algorithm, valid);
      const loaded = await loadCertificate(certPath, keyPath);
      const expected = hash && new Uint8Array(await crypto.subtle.digest(hash, der));
      assert.deepEqual(loaded.tlsServerEndPoint, expected, label);
      assert.equal(loaded.certPem, await Deno.readTextFile(certPath), label);
    });
  }
});

Deno.test("loadCertificate() hashes the first certificate of a file with a key first", async () => {
  await inTempDir(async (dir) => {
    const ecdsa = { name: "ECDSA", namedCurve: "P-256", hash: "SHA-256" } as Algorithm;
    const { certPath, keyPath, der } = await writeCertificate(dir, ecdsa, valid);
    const combined = `${dir}/combined.pem`;
    await Deno.writeTextFile(
      combined,
      `${await Deno.readTextFile(keyPath)}\n${await Deno.readTextFile(certPath)}\n`,
    );
    const loaded = await loadCertificate(combined, keyPath);
    assert.deepEqual(
      loaded.tlsServerEndPoint,
      new Uint8Array(await crypto.subtle.digest("SHA-256", der)),
    );
  });
});

Deno.test("loadCertificate() rejects files without PEM and reports missing files", async () => {
  await inTempDir(async (dir) => {
    await Deno.writeTextFile(`${dir}/a.txt`, "not a certificate");
    await assert.rejects(loadCertificate(`${dir}/a.txt`, `${dir}/a.txt`), SyntaxError);
    await assert.rejects(loadCertificate(`${dir}/missing`, `${dir}/a.txt`), Deno.errors.NotFound);
  });
});

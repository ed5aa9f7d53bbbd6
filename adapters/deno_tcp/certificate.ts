/**
 * TLS credentials: loading a certificate from files, or creating a self-signed one for
 * development, with the `tls-server-end-point` channel binding data of RFC 5929.
 *
 * @module
 */

import { X509Certificate } from "node:crypto";
import type * as X509 from "@peculiar/x509";
import { fromBase64 } from "../../src/util/base64.ts";

/** A certificate chain and its private key, ready for `node:tls`. */
export interface TlsCredentials {
  /** The certificate chain in PEM, the server certificate first. */
  readonly certPem: string;
  /** The private key in PEM (PKCS#8 "PRIVATE KEY", or a format `node:tls` reads). */
  readonly keyPem: string;
  /**
   * Channel binding data for `tls-server-end-point` (RFC 5929 §4.1): the hash of the DER
   * server certificate. Absent when the certificate's signature algorithm uses no single
   * hash function (Ed25519, Ed448), for which RFC 5929 leaves the binding undefined.
   */
  readonly tlsServerEndPoint?: Uint8Array;
}

/** Validity of a generated development certificate. */
const SELF_SIGNED_DAYS = 3650;
const DAY_MS = 24 * 60 * 60 * 1000;
/**
 * The hash of each signature algorithm whose OID names it (RFC 3279, 4055, 5758, 8410), as
 * RFC 5929 §4.1 uses it; `null` for those with no single hash. RSASSA-PSS carries its hash in
 * parameters, and other OIDs are rare: those are read with @peculiar/x509.
 */
const SIGNATURE_HASHES: Readonly<Record<string, string | null>> = {
  "1.2.840.113549.1.1.4": "MD5", // md5WithRSAEncryption
  "1.2.840.113549.1.1.5": "SHA-1", // sha1WithRSAEncryption
  "1.2.840.113549.1.1.11": "SHA-256",
  "1.2.840.113549.1.1.12": "SHA-384",
  "1.2.840.113549.1.1.13": "SHA-512",
  "1.2.840.10045.4.1": "SHA-1", // ecdsa-with-SHA1
  "1.2.840.10045.4.3.2": "SHA-256",
  "1.2.840.10045.4.3.3": "SHA-384",
  "1.2.840.10045.4.3.4": "SHA-512",
  "1.3.101.112": null, // Ed25519
  "1.3.101.113": null, // Ed448
};

/**
 * @peculiar/x509, imported only to create a certificate or to read an unusual signature
 * algorithm: once loaded, it and the tsyringe it needs stay resident (~20 MiB), and every
 * start reads its certificate with `node:crypto` instead (#16).
 */
async function peculiar(): Promise<typeof X509> {
  // tsyringe, under @peculiar/x509, needs the Reflect metadata API first.
  await import("reflect-metadata");
  return await import("@peculiar/x509");
}

/**
 * Loads a certificate chain and its private key from PEM files.
 *
 * @param certPath Path of the PEM certificate chain, the server certificate first.
 * @param keyPath Path of the PEM private key.
 * @returns The credentials, with `tlsServerEndPoint` computed from the first certificate.
 * @throws {SyntaxError} When the certificate file holds no PEM certificate or the key file
 * no PEM private key.
 *
 * @example Load the certificate an operator configured
 * ```ts ignore
 * import { loadCertificate } from "@parley/server/deno-tcp";
 *
 * const tls = await loadCertificate("/etc/parley/example.org.crt", "/etc/parley/example.org.key");
 * console.log(tls.tlsServerEndPoint?.length); // 32 for a SHA-256 signature
 * ```
 */
export async function loadCertificate(certPath: string, keyPath: string): Promise<TlsCredentials> {
  const [certPem, keyPem] = await Promise.all([
    Deno.readTextFile(certPath),
    Deno.readTextFile(keyPath),
  ]);
  const first = firstCertificate(certPem);
  if (!first) {
    throw new SyntaxError(`Cannot load certificate "${certPath}": no PEM certificate found`);
  }
  if (!/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(keyPem)) {
    throw new SyntaxError(`Cannot load private key "${keyPath}": no PEM private key found`);
  }
  return { certPem, keyPem, tlsServerEndPoint: await tlsServerEndPoint(first) };
}

/**
 * The SHA-256 fingerprint of the first certificate of a PEM chain, written as clients show it
 * in their trust dialogs and as `openssl x509 -noout -fingerprint -sha256` prints it:
 * upper-case hex bytes separated by colons.
 *
 * @param certPem The certificate chain in PEM, the server certificate first.
 * @returns The fingerprint, 95 characters.
 * @throws {SyntaxError} When the text holds no PEM certificate.
 * @example
 * ```ts
 * import { certificateFingerprint, loadOrCreateSelfSigned } from "./certificate.ts";
 * const dir = await Deno.makeTempDir();
 * try {
 *   const tls = await loadOrCreateSelfSigned(dir, "localhost");
 *   if (!/^([0-9A-F]{2}:){31}[0-9A-F]{2}$/.test(await certificateFingerprint(tls.certPem))) {
 *     throw new Error("Expected a SHA-256 fingerprint");
 *   }
 * } finally {
 *   await Deno.remove(dir, { recursive: true });
 * }
 * ```
 */
export async function certificateFingerprint(certPem: string): Promise<string> {
  const der = firstCertificate(certPem);
  if (!der) throw new SyntaxError("Cannot compute a fingerprint: no PEM certificate found");
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", der));
  return Array.from(digest, (b) => b.toString(16).toUpperCase().padStart(2, "0")).join(":");
}

/** The DER bytes of the first CERTIFICATE block of a PEM text, if any. */
function firstCertificate(pem: string): Uint8Array<ArrayBuffer> | undefined {
  return pemCertificates(pem)[0];
}

/** The DER bytes of each CERTIFICATE block of a PEM text (RFC 7468 §5), in order. */
function pemCertificates(pem: string): Uint8Array<ArrayBuffer>[] {
  const blocks = pem.matchAll(/-----BEGIN CERTIFICATE-----([^-]*)-----END CERTIFICATE-----/g);
  return Array.from(blocks, (m) => fromBase64(m[1].replace(/\s+/g, "")))
    .filter((der) => der !== undefined);
}

/**
 * Loads `<dir>/<domain>.crt` and `<dir>/<domain>.key`, creating a self-signed certificate
 * there first if either is missing or the certificate has expired. Meant for development
 * domains that have no configured certificate; clients must be told to accept it.
 *
 * The certificate has an ECDSA P-256 key, subject `CN=<domain>`, subjectAltName
 * `DNS:<domain>` and `DNS:*.<domain>` (for components such as `conference.<domain>`), or
 * `IP:<domain>` for an IP literal, and is valid for ten years. The key file gets mode 0600.
 * Files are written to a temporary name and renamed, so a crash never leaves half a file,
 * and creation holds a lock on `<dir>/<domain>.lock`, so that concurrent processes agree.
 *
 * @param dir Directory of the files; created when missing.
 * @param domain The XMPP domain, also the file name stem.
 * @returns The credentials, with `tlsServerEndPoint` (SHA-256 of the DER certificate).
 * @throws {TypeError} When `domain` is empty or could escape `dir` (contains `/`, `\` or
 * is `.` or `..`).
 *
 * @example Development certificate for localhost
 * ```ts
 * import { loadOrCreateSelfSigned } from "./mod.ts";
 *
 * const dir = await Deno.makeTempDir();
 * try {
 *   const first = await loadOrCreateSelfSigned(dir, "localhost");
 *   const again = await loadOrCreateSelfSigned(dir, "localhost");
 *   if (first.certPem !== again.certPem) throw new Error("Expected the same certificate");
 * } finally {
 *   await Deno.remove(dir, { recursive: true });
 * }
 * ```
 */
export async function loadOrCreateSelfSigned(dir: string, domain: string): Promise<TlsCredentials> {
  if (domain === "" || domain === "." || domain === ".." || /[/\\\0]/.test(domain)) {
    throw new TypeError(`Cannot create a certificate for domain "${domain}": not a file name`);
  }
  const certPath = `${dir}/${domain}.crt`;
  const keyPath = `${dir}/${domain}.key`;
  const existing = await loadReusable(certPath, keyPath);
  if (existing) return existing;
  await Deno.mkdir(dir, { recursive: true });
  // Another process (or test worker) may be creating the same pair: one at a time, so that
  // a key and a certificate from different runs never end up side by side.
  const lock = await Deno.open(`${dir}/${domain}.lock`, { create: true, write: true });
  try {
    await lock.lock(true);
    const createdMeanwhile = await loadReusable(certPath, keyPath);
    if (createdMeanwhile) return createdMeanwhile;
    const created = await createSelfSigned(domain, new Date());
    // The key first: a certificate without its key is never left behind.
    await writeAtomically(keyPath, created.keyPem, 0o600);
    await writeAtomically(certPath, created.certPem, 0o644);
    return created;
  } finally {
    lock.close(); // releases the lock
  }
}

/** The pair at these paths if both exist and the certificate is valid for another day. */
async function loadReusable(
  certPath: string,
  keyPath: string,
): Promise<TlsCredentials | undefined> {
  try {
    const existing = await loadCertificate(certPath, keyPath);
    const der = firstCertificate(existing.certPem)!;
    const notAfter = new X509Certificate(der).validToDate.getTime();
    return notAfter > Date.now() + DAY_MS ? existing : undefined;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return undefined;
    throw error;
  }
}

/** Creates a self-signed ECDSA P-256 certificate for `domain`, valid from `now`. */
async function createSelfSigned(domain: string, now: Date): Promise<TlsCredentials> {
  const x509 = await peculiar();
  const algorithm = { name: "ECDSA", namedCurve: "P-256", hash: "SHA-256" };
  const keys = await crypto.subtle.generateKey(algorithm, true, ["sign", "verify"]);
  const serial = crypto.getRandomValues(new Uint8Array(16));
  serial[0] &= 0x7f; // RFC 5280 §4.1.2.2: a positive integer
  const isIp = /^[\d.]+$/.test(domain) || domain.includes(":");
  const names: X509.JsonGeneralNames = isIp
    ? [{ type: "ip", value: domain }]
    : [{ type: "dns", value: domain }, { type: "dns", value: `*.${domain}` }];
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: Array.from(serial, (b) => b.toString(16).padStart(2, "0")).join(""),
    name: [{ CN: [domain] }],
    notBefore: new Date(now.getTime() - DAY_MS), // tolerate clocks a little behind
    notAfter: new Date(now.getTime() + SELF_SIGNED_DAYS * DAY_MS),
    signingAlgorithm: algorithm,
    keys,
    extensions: [
      // Not a CA: rustls (Deno.startTls) rejects a CA certificate used as a server's.
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension([
        x509.ExtendedKeyUsage.serverAuth,
        x509.ExtendedKeyUsage.clientAuth, // server-to-server connections
      ]),
      new x509.SubjectAlternativeNameExtension(names),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  const pkcs8 = await crypto.subtle.exportKey("pkcs8", keys.privateKey);
  return {
    certPem: cert.toString("pem") + "\n",
    keyPem: x509.PemConverter.encode(pkcs8, "PRIVATE KEY") + "\n",
    tlsServerEndPoint: await tlsServerEndPoint(new Uint8Array(cert.rawData)),
  };
}

/**
 * RFC 5929 §4.1: the hash of the DER certificate with the hash function of its signature
 * algorithm, SHA-256 in place of MD5 and SHA-1; undefined when there is no single hash.
 */
async function tlsServerEndPoint(der: Uint8Array<ArrayBuffer>): Promise<Uint8Array | undefined> {
  // (Node's types before 24 lack the property; Deno's X509Certificate has it.)
  const { signatureAlgorithmOid: oid } = new X509Certificate(der) as X509Certificate & {
    readonly signatureAlgorithmOid: string;
  };
  const hash = oid in SIGNATURE_HASHES ? SIGNATURE_HASHES[oid] : await hashFromParameters(der);
  const chosen = hash === "MD5" || hash === "SHA-1"
    ? "SHA-256"
    : hash === "SHA-256" || hash === "SHA-384" || hash === "SHA-512"
    ? hash
    : undefined;
  if (chosen === undefined) return undefined;
  return new Uint8Array(await crypto.subtle.digest(chosen, der));
}

/** The hash a signature algorithm names in its parameters (RSASSA-PSS), read with @peculiar/x509. */
async function hashFromParameters(der: Uint8Array<ArrayBuffer>): Promise<string | undefined> {
  const x509 = await peculiar();
  const algorithm = new x509.X509Certificate(der).signatureAlgorithm as {
    name: string;
    hash?: { name: string };
  };
  return algorithm.hash?.name.toUpperCase();
}

/** Writes `path` through a temporary file in the same directory and a rename. */
async function writeAtomically(path: string, text: string, mode: number): Promise<void> {
  const temporary = `${path}.${crypto.randomUUID()}.tmp`;
  try {
    // The mode applies at creation; the umask can only make it stricter.
    await Deno.writeTextFile(temporary, text, { mode, createNew: true });
    await Deno.rename(temporary, path);
  } catch (error) {
    await Deno.remove(temporary).catch(() => {}); // the original error is the one to report
    throw error;
  }
}

/**
 * The DNS names of a peer's certificate when it is signed by one of the trusted CAs and valid
 * now (XEP-0178: a server-to-server peer's identity); `undefined` otherwise. The chain has one
 * step: the certificate is issued by a trusted CA directly.
 *
 * @param der The peer's certificate (DER).
 * @param trust The trusted CA certificates (PEM).
 * @returns Its SAN dNSName values, or `undefined`.
 */
export function verifiedDomains(
  der: Uint8Array,
  trust: readonly string[],
): string[] | undefined {
  let leaf: X509Certificate;
  try {
    leaf = new X509Certificate(der);
  } catch {
    return undefined;
  }
  const now = Date.now();
  if (leaf.validFromDate.getTime() > now || leaf.validToDate.getTime() < now) return undefined;
  for (const pem of trust) {
    for (const caDer of pemCertificates(pem)) {
      const ca = new X509Certificate(caDer);
      if (ca.subject !== leaf.issuer) continue;
      let valid = false;
      try {
        valid = leaf.verify(ca.publicKey);
      } catch { /* a key of another type: not the issuer */ }
      if (!valid) continue;
      // "DNS:a.example, DNS:b.example, IP Address:…"; a name with a separator in it would be
      // quoted, and is no domain name.
      return (leaf.subjectAltName ?? "").split(", ")
        .filter((name) => name.startsWith("DNS:") && !name.startsWith('DNS:"'))
        .map((name) => name.slice(4));
    }
  }
  return undefined;
}

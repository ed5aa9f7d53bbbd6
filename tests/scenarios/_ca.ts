// A throwaway certificate authority for tests: a CA and server certificates it issues (for
// XEP-0178 SASL EXTERNAL between servers), written as PEM files in a directory.
import "reflect-metadata";
import * as x509 from "@peculiar/x509";

const ALGORITHM = { name: "ECDSA", namedCurve: "P-256", hash: "SHA-256" };
const DAY = 86_400_000;

export interface IssuedCertificate {
  certPem: string;
  keyPem: string;
  certPath: string;
  keyPath: string;
}

export interface ThrowawayCa {
  caPem: string;
  caPath: string;
  /** Issues a certificate for `domain`, valid a day either side of now unless told. */
  issue(domain: string, options?: IssueOptions): Promise<IssuedCertificate>;
}

export interface IssueOptions {
  notBefore?: Date;
  notAfter?: Date;
  /** More DNS names for the subjectAltName, after `domain`. */
  alsoNames?: string[];
}

function serial(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  bytes[0] &= 0x7f;
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

async function keyPem(key: CryptoKey): Promise<string> {
  return x509.PemConverter.encode(await crypto.subtle.exportKey("pkcs8", key), "PRIVATE KEY") +
    "\n";
}

/** Creates a CA in `dir` (`ca.crt`); `issue()` writes DOMAIN.crt and DOMAIN.key there. */
export async function throwawayCa(dir: string): Promise<ThrowawayCa> {
  const caKeys = await crypto.subtle.generateKey(ALGORITHM, true, ["sign", "verify"]);
  const now = Date.now();
  const ca = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serial(),
    name: "CN=Parley test CA",
    notBefore: new Date(now - DAY),
    notAfter: new Date(now + DAY),
    signingAlgorithm: ALGORITHM,
    keys: caKeys,
    extensions: [
      new x509.BasicConstraintsExtension(true, undefined, true),
      new x509.KeyUsagesExtension(
        x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign,
        true,
      ),
      await x509.SubjectKeyIdentifierExtension.create(caKeys.publicKey),
    ],
  });
  const caPem = ca.toString("pem") + "\n";
  const caPath = `${dir}/ca.crt`;
  await Deno.writeTextFile(caPath, caPem);
  return {
    caPem,
    caPath,
    async issue(domain, options = {}) {
      const keys = await crypto.subtle.generateKey(ALGORITHM, true, ["sign", "verify"]);
      const cert = await x509.X509CertificateGenerator.create({
        serialNumber: serial(),
        subject: `CN=${domain}`,
        issuer: ca.subject,
        notBefore: options.notBefore ?? new Date(now - DAY),
        notAfter: options.notAfter ?? new Date(now + DAY),
        signingAlgorithm: ALGORITHM,
        publicKey: keys.publicKey,
        signingKey: caKeys.privateKey,
        extensions: [
          new x509.BasicConstraintsExtension(false, undefined, true),
          new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
          new x509.ExtendedKeyUsageExtension([
            x509.ExtendedKeyUsage.serverAuth,
            x509.ExtendedKeyUsage.clientAuth,
          ]),
          new x509.SubjectAlternativeNameExtension(
            [domain, ...options.alsoNames ?? []].map((value) => ({ type: "dns" as const, value })),
          ),
          await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
          await x509.AuthorityKeyIdentifierExtension.create(ca, false),
        ],
      });
      const issued = {
        certPem: cert.toString("pem") + "\n",
        keyPem: await keyPem(keys.privateKey),
        certPath: `${dir}/${domain}.crt`,
        keyPath: `${dir}/${domain}.key`,
      };
      await Deno.writeTextFile(issued.certPath, issued.certPem);
      await Deno.writeTextFile(issued.keyPath, issued.keyPem, { mode: 0o600 });
      return issued;
    },
  };
}

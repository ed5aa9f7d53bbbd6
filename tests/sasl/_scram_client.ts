// A minimal SCRAM client (RFC 5802 §3) for the tests, written independently of src/sasl.
const enc = new TextEncoder();

export type Hash = "SHA-1" | "SHA-256";

export function b64(bytes: Uint8Array): string {
  return btoa(String.fromCharCode(...bytes));
}

export function unb64(text: string): Uint8Array<ArrayBuffer> {
  return Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
}

async function hmac(hash: Hash, key: Uint8Array<ArrayBuffer>, data: string) {
  const k = await crypto.subtle.importKey("raw", key, { name: "HMAC", hash }, false, ["sign"]);
  return new Uint8Array(await crypto.subtle.sign("HMAC", k, enc.encode(data)));
}

/** The client-final-message and the expected server signature, from the server-first. */
export async function clientFinal(options: {
  hash: Hash;
  password: string;
  gs2Header: string;
  cbData?: Uint8Array;
  clientFirstBare: string;
  serverFirst: string;
}): Promise<{ message: string; serverSignature: string }> {
  const attrs = Object.fromEntries(
    options.serverFirst.split(",").map((a) => [a[0], a.slice(2)]),
  );
  const key = await crypto.subtle.importKey(
    "raw",
    enc.encode(options.password),
    "PBKDF2",
    false,
    ["deriveBits"],
  );
  const length = options.hash === "SHA-1" ? 160 : 256;
  const salted = new Uint8Array(
    await crypto.subtle.deriveBits(
      { name: "PBKDF2", hash: options.hash, salt: unb64(attrs.s), iterations: Number(attrs.i) },
      key,
      length,
    ),
  );
  const cbind = new Uint8Array([...enc.encode(options.gs2Header), ...(options.cbData ?? [])]);
  const withoutProof = `c=${b64(cbind)},r=${attrs.r}`;
  const authMessage = `${options.clientFirstBare},${options.serverFirst},${withoutProof}`;
  const clientKey = await hmac(options.hash, salted, "Client Key");
  const storedKey = new Uint8Array(await crypto.subtle.digest(options.hash, clientKey));
  const signature = await hmac(options.hash, storedKey, authMessage);
  const proof = clientKey.map((b, i) => b ^ signature[i]);
  const serverKey = await hmac(options.hash, salted, "Server Key");
  return {
    message: `${withoutProof},p=${b64(proof)}`,
    serverSignature: `v=${b64(await hmac(options.hash, serverKey, authMessage))}`,
  };
}

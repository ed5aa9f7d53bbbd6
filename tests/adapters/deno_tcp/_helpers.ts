/**
 * Helpers of the deno_tcp adapter tests. Private.
 *
 * @module
 */

import { loadOrCreateSelfSigned, type TlsCredentials } from "../../../adapters/deno_tcp/mod.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** UTF-8 bytes of `text`. */
export function utf8(text: string): Uint8Array {
  return encoder.encode(text);
}

/** Settles like `promise`, or rejects after `ms` ms; never leaves a timer behind. */
export async function withTimeout<T>(promise: Promise<T>, what: string, ms = 5_000): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`Timed out waiting for ${what}`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Reads `readable` until its text contains `marker`; releases the lock and returns the text. */
export async function readUntil(
  readable: ReadableStream<Uint8Array>,
  marker: string,
): Promise<string> {
  const reader = readable.getReader();
  let text = "";
  try {
    while (!text.includes(marker)) {
      const { value, done } = await withTimeout(reader.read(), `"${marker}"`);
      if (done) throw new Error(`Stream ended before "${marker}", after "${text}"`);
      text += decoder.decode(value, { stream: true });
    }
    return text;
  } finally {
    reader.releaseLock();
  }
}

/** Reads `readable` to its end and returns the text. */
export async function readToEnd(readable: ReadableStream<Uint8Array>): Promise<string> {
  let text = "";
  const reader = readable.getReader();
  try {
    while (true) {
      const { value, done } = await withTimeout(reader.read(), "the end of the stream");
      if (done) return text;
      text += decoder.decode(value, { stream: true });
    }
  } finally {
    reader.releaseLock();
  }
}

/** Reads a `Deno.Conn` (or TLS conn) until its text contains `marker`. */
export async function readConnUntil(
  conn: { read(p: Uint8Array): Promise<number | null> },
  marker: string,
): Promise<string> {
  const buffer = new Uint8Array(4096);
  let text = "";
  while (!text.includes(marker)) {
    const n = await withTimeout(conn.read(buffer), `"${marker}" on the client`);
    if (n === null) throw new Error(`Connection ended before "${marker}", after "${text}"`);
    text += decoder.decode(buffer.subarray(0, n), { stream: true });
  }
  return text;
}

/** Writes `text` through the stream's writer and releases it. */
export async function writeText(writable: WritableStream<Uint8Array>, text: string): Promise<void> {
  const writer = writable.getWriter();
  try {
    await writer.write(utf8(text));
  } finally {
    writer.releaseLock();
  }
}

/** SHA-256 of `bytes`. */
export async function sha256(bytes: Uint8Array<ArrayBuffer>): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
}

/** The DER bytes of the first certificate of a PEM text. */
export function firstDer(pem: string): Uint8Array<ArrayBuffer> {
  const base64 = pem.split("-----BEGIN CERTIFICATE-----")[1].split("-----END")[0];
  return Uint8Array.from(atob(base64.replace(/\s/g, "")), (c) => c.charCodeAt(0));
}

let credentials: Promise<TlsCredentials> | undefined;

/** A self-signed certificate for "localhost", created once per test process. */
export function localhostCredentials(): Promise<TlsCredentials> {
  credentials ??= (async () => {
    const dir = await Deno.makeTempDir();
    try {
      return await loadOrCreateSelfSigned(dir, "localhost");
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  })();
  return credentials;
}

/** Reads a `Deno.Conn` (or TLS conn) to its end and returns the number of bytes read. */
export async function drainConn(
  conn: { read(p: Uint8Array): Promise<number | null> },
): Promise<number> {
  const buffer = new Uint8Array(4096);
  let total = 0;
  while (true) {
    const n = await withTimeout(conn.read(buffer), "the end of the connection on the client");
    if (n === null) return total;
    total += n;
  }
}

// Read flow control over TLS (issue #10): while the core does not read, the listener must stop
// reading from the kernel socket, so that TCP flow control stops the client; and it must start
// again, losing nothing, once the core reads.
import assert from "node:assert/strict";
import { listenTcp } from "../../../adapters/deno_tcp/mod.ts";
import type { ByteStream } from "../../../src/base/transport.ts";
import { localhostCredentials, readConnUntil, readUntil, utf8, withTimeout } from "./_helpers.ts";

const HOST = "127.0.0.1";
const MiB = 1024 * 1024;
/**
 * What the kernel may hold on loopback (the client's send buffer and the server's receive
 * buffer, at most tcp_wmem's and tcp_rmem's max) plus the listener's 64 KiB read-ahead and TLS
 * records. Without flow control, the client gets `ATTEMPT` through.
 */
const BUFFERED_MAX = await kernelBufferMax() + MiB;
const ATTEMPT = BUFFERED_MAX + 64 * MiB;

/**
 * The largest a TCP send buffer and a receive buffer may grow to, together (Linux). Deno lets
 * only --allow-all read /proc, so a shell reads it (--allow-run).
 */
async function kernelBufferMax(): Promise<number> {
  const out = await new Deno.Command("/bin/sh", {
    args: ["-c", "cat /proc/sys/net/ipv4/tcp_rmem /proc/sys/net/ipv4/tcp_wmem"],
  }).output();
  const text = new TextDecoder().decode(out.stdout);
  const [rmem, wmem] = text.trim().split("\n").map((line) => Number(line.split(/\s+/)[2]));
  assert.ok(rmem > 0 && wmem > 0, text);
  return rmem + wmem;
}

type Writer = { write(p: Uint8Array): Promise<number> };

/**
 * Writes 64 KiB chunks until `ATTEMPT` bytes or until the writes stop going through for
 * `stallMs` (the kernel buffers are full). Returns the bytes written so far, and the promise of
 * the total once the last (stalled) write has gone through too.
 */
async function writeUntilStalled(
  conn: Writer,
  stallMs = 1000,
): Promise<{ before: number; all: Promise<number> }> {
  const chunk = new Uint8Array(64 * 1024).fill(0x20);
  let total = 0;
  for (;;) {
    if (total >= ATTEMPT) return { before: total, all: Promise.resolve(total) };
    const write = (async () => {
      let offset = 0;
      while (offset < chunk.length) offset += await conn.write(chunk.subarray(offset));
      return offset;
    })();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const stalled = new Promise<"stalled">((r) => timer = setTimeout(() => r("stalled"), stallMs));
    const outcome = await Promise.race([write, stalled]);
    clearTimeout(timer);
    if (outcome === "stalled") return { before: total, all: write.then((n) => total + n) };
    total += outcome;
  }
}

/** Reads the stream to its end and returns the byte count. */
async function countToEnd(stream: ByteStream): Promise<number> {
  let count = 0;
  for await (const chunk of stream.readable) count += chunk.length;
  return count;
}

async function assertFlowControlled(stream: ByteStream, conn: Writer & Deno.Conn): Promise<void> {
  // The core read the header and then nothing: the listener's read-ahead fills, then the kernel's
  // buffers, then the client's writes stall.
  await readUntil(stream.readable, ">");
  const { before, all } = await writeUntilStalled(conn);
  assert.ok(
    before <= BUFFERED_MAX,
    `The server took ${(before / MiB).toFixed(1)} MiB without reading it`,
  );
  // The core reads again: everything arrives.
  const counting = countToEnd(stream);
  const written = await withTimeout(all, "the stalled write to go through", 10_000);
  await conn.closeWrite();
  assert.equal(await withTimeout(counting, "the end of the stream", 10_000), written);
  await withTimeout(stream.close(), "stream.close()");
}

Deno.test("listenTcp() with directTls stops reading from the kernel while the core does not read", async () => {
  const credentials = await localhostCredentials();
  const accepted = Promise.withResolvers<ByteStream>();
  const listener = await listenTcp(
    { hostname: HOST, port: 0, tls: credentials, directTls: true },
    (stream) => accepted.resolve(stream),
  );
  try {
    const tcp = await Deno.connect({ hostname: HOST, port: listener.port });
    const conn = await Deno.startTls(tcp, {
      hostname: "localhost",
      caCerts: [credentials.certPem],
    });
    try {
      await conn.write(utf8("<stream:stream>"));
      const stream = await withTimeout(accepted.promise, "the connection");
      await assertFlowControlled(stream, conn);
    } finally {
      conn.close();
    }
  } finally {
    await listener.close();
  }
});

Deno.test("ByteStream.startTls() stops reading from the kernel while the core does not read", async () => {
  const credentials = await localhostCredentials();
  const accepted = Promise.withResolvers<ByteStream>();
  const listener = await listenTcp(
    { hostname: HOST, port: 0, tls: credentials },
    (stream) => accepted.resolve(stream),
  );
  try {
    const tcp = await Deno.connect({ hostname: HOST, port: listener.port });
    await tcp.write(utf8("<starttls/>"));
    const plain = await withTimeout(accepted.promise, "the connection");
    await readUntil(plain.readable, "/>");
    const writer = plain.writable.getWriter();
    await writer.write(utf8("<proceed/>"));
    writer.releaseLock();
    await readConnUntil(tcp, "<proceed/>");
    const [stream, conn] = await Promise.all([
      plain.startTls!(),
      Deno.startTls(tcp, { hostname: "localhost", caCerts: [credentials.certPem] }),
    ]);
    try {
      await conn.write(utf8("<stream:stream>"));
      await assertFlowControlled(stream, conn);
    } finally {
      conn.close();
    }
  } finally {
    await listener.close();
  }
});

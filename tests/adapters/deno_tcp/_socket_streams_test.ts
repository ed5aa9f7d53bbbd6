import assert from "node:assert/strict";
import * as net from "node:net";
import type { Buffer } from "node:buffer";
import { socketStreams } from "../../../adapters/deno_tcp/_socket_streams.ts";
import { withTimeout } from "./_helpers.ts";

/** A connected pair of `node:net` sockets on loopback, and a way to close everything. */
async function socketPair() {
  const accepted = Promise.withResolvers<net.Socket>();
  const server = net.createServer((socket) => accepted.resolve(socket));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const client = net.connect((server.address() as net.AddressInfo).port, "127.0.0.1");
  const socket = await withTimeout(accepted.promise, "the connection");
  const closed = (s: net.Socket) => new Promise((resolve) => s.once("close", resolve));
  const bothClosed = Promise.all([closed(client), closed(socket)]);
  return {
    client,
    socket,
    async close() {
      client.destroy();
      socket.destroy();
      await withTimeout(bothClosed, "close");
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

Deno.test("socketStreams() pauses the socket past 64 KiB read ahead and resumes on read", async () => {
  const { client, socket, close } = await socketPair();
  try {
    const streams = socketStreams(socket);
    const payload = new Uint8Array(1024 * 1024).map((_, i) => i % 253);
    client.write(payload);
    client.end();
    // Nobody reads: the queue fills up to the limit, then the socket is paused.
    await withTimeout(
      new Promise<void>((resolve) => {
        let seen = 0;
        const onData = (chunk: Buffer) => {
          seen += chunk.length;
          if (seen < 64 * 1024) return;
          socket.off("data", onData);
          resolve();
        };
        socket.on("data", onData);
      }),
      "64 KiB",
    );
    assert.equal(socket.isPaused(), true);

    const received: number[] = [];
    for await (const chunk of streams.readable) received.push(...chunk);
    assert.deepEqual(new Uint8Array(received), payload);
  } finally {
    await close();
  }
});

Deno.test("socketStreams() detach() errors both streams and returns unread bytes", async () => {
  const { client, socket, close } = await socketPair();
  try {
    const streams = socketStreams(socket);
    const arrived = new Promise((resolve) => socket.once("data", resolve));
    client.write("unread bytes");
    await withTimeout(arrived, "data");
    const reason = new Error("The connection was upgraded to TLS");
    const unread = streams.detach(reason);
    assert.equal(new TextDecoder().decode(unread[0]), "unread bytes");
    assert.equal(socket.listenerCount("data"), 0);
    await assert.rejects(streams.readable.getReader().read(), reason);
    await assert.rejects(streams.writable.getWriter().write(new Uint8Array(1)), reason);
  } finally {
    await close();
  }
});

Deno.test("socketStreams() ends the readable and rejects writes after the peer closed", async () => {
  const { client, socket, close } = await socketPair();
  try {
    const streams = socketStreams(socket);
    const writer = streams.writable.getWriter();
    await writer.write(new TextEncoder().encode("first"));
    const gone = new Promise((resolve) => socket.once("close", resolve));
    client.resume(); // read "first", so that the close is a FIN and not a reset
    client.end();
    assert.deepEqual(await streams.readable.getReader().read(), { done: true, value: undefined });
    await withTimeout(gone, "close");
    await assert.rejects(writer.write(new Uint8Array(1)), /connection is closed/);
  } finally {
    await close();
  }
});

Deno.test("socketStreams() errors the readable on a connection reset", async () => {
  const { client, socket, close } = await socketPair();
  try {
    const streams = socketStreams(socket);
    const reader = streams.readable.getReader();
    const reading = reader.read();
    client.resetAndDestroy();
    await assert.rejects(withTimeout(reading, "the reset"), { code: "ECONNRESET" });
    await assert.rejects(streams.writable.getWriter().write(new Uint8Array(1)));
  } finally {
    await close();
  }
});

Deno.test("socketStreams() channel reads, writes, keeps read-ahead and ends like the streams", async () => {
  const { client, socket, close } = await socketPair();
  try {
    const streams = socketStreams(socket);
    const { channel } = streams;
    // A pending read gets the next chunk.
    const reading = channel.read();
    client.write("ping");
    assert.equal(new TextDecoder().decode(await withTimeout(reading, "read")), "ping");
    // Unread bytes past the read-ahead pause the socket; reading resumes it.
    const payload = new Uint8Array(256 * 1024).map((_, i) => i % 251);
    client.write(payload);
    await withTimeout(
      new Promise<void>((resolve) => {
        const poll = () => socket.isPaused() ? resolve() : setTimeout(poll, 5);
        poll();
      }),
      "pause",
    );
    const received: number[] = [];
    while (received.length < payload.length) {
      const chunk = await withTimeout(channel.read(), "chunk");
      assert.ok(chunk);
      received.push(...chunk);
    }
    assert.deepEqual(new Uint8Array(received), payload);
    // Writes reach the peer.
    const echoed = new Promise((resolve) => client.once("data", resolve));
    await channel.write(new TextEncoder().encode("pong"));
    assert.equal(String(await withTimeout(echoed, "write")), "pong");
    // cancel() ends a pending read without closing the socket.
    const pending = channel.read();
    await channel.cancel();
    assert.equal(await pending, undefined);
    assert.equal(socket.destroyed, false);
    assert.deepEqual(streams.detach(new Error("detached")), []);
  } finally {
    await close();
  }
});

import assert from "node:assert/strict";
import * as net from "node:net";
import * as tls from "node:tls";
import { Buffer } from "node:buffer";
import { acceptTls, secureContextOf } from "../../../adapters/deno_tcp/_tls.ts";
import { socketStreams } from "../../../adapters/deno_tcp/_socket_streams.ts";
import { localhostCredentials, readUntil, withTimeout, writeText } from "./_helpers.ts";

Deno.test("acceptTls() completes a handshake whose ClientHello was already read", async () => {
  const credentials = await localhostCredentials();
  const accepted = Promise.withResolvers<net.Socket>();
  const server = net.createServer((socket) => accepted.resolve(socket));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as net.AddressInfo;
  const raw = net.connect(port, "127.0.0.1");
  let client: tls.TLSSocket | undefined;
  let serverSide: net.Socket | undefined;
  try {
    serverSide = await withTimeout(accepted.promise, "the connection");
    const socket = serverSide;
    const streams = socketStreams(socket);
    raw.write("<starttls/>");
    await readUntil(streams.readable, "<starttls/>");
    // The client starts TLS at once, while the server is still busy elsewhere: its
    // ClientHello lands in the read-ahead queue, which nobody reads.
    const arrived = new Promise<Buffer>((resolve) => socket.once("data", resolve));
    const proceed = new Promise<string>((resolve) => {
      raw.once("data", (data) => {
        raw.pause();
        resolve(`${data}`);
      });
    });
    await writeText(streams.writable, "<proceed/>");
    assert.equal(await withTimeout(proceed, "<proceed/>"), "<proceed/>");
    client = tls.connect({ socket: raw, rejectUnauthorized: false, servername: "localhost" });
    const clientSecure = new Promise<void>((resolve, reject) => {
      client!.once("secureConnect", resolve);
      client!.once("error", reject);
    });
    const hello = await withTimeout(arrived, "the ClientHello");
    assert.equal(hello[0], 0x16); // TLS record type: handshake

    const unread = streams.detach(new Error("The connection was upgraded to TLS"));
    assert.deepEqual(Buffer.concat(unread).subarray(0, hello.length), hello);
    const secure = await withTimeout(
      acceptTls(socket, { credentials, timeoutMs: 5_000, unread, onSecure: (s) => s }),
      "acceptTls()",
    );
    await withTimeout(clientSecure, "the client handshake");
    const echoed = new Promise<string>((resolve) => secure.once("data", (d) => resolve(`${d}`)));
    client.write("over TLS");
    assert.equal(await withTimeout(echoed, "data over TLS"), "over TLS");
    const secureClosed = new Promise((resolve) => secure.once("close", resolve));
    secure.destroy();
    await withTimeout(secureClosed, "close");
  } finally {
    client?.destroy();
    raw.destroy();
    serverSide?.destroy();
    await new Promise((resolve) => server.close(resolve));
  }
});

Deno.test("acceptTls() serves every handshake from one secure context per credentials", async () => {
  const credentials = await localhostCredentials();
  // Parsing the key per connection was the largest avoidable cost of a TLS login (#16).
  assert.equal(secureContextOf(credentials), secureContextOf(credentials));
  assert.notEqual(secureContextOf({ ...credentials }), secureContextOf(credentials));
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as net.AddressInfo;
  try {
    for (let i = 0; i < 3; i++) {
      const accepted = new Promise<net.Socket>((resolve) => server.once("connection", resolve));
      const client = tls.connect({
        port,
        host: "127.0.0.1",
        rejectUnauthorized: false,
        servername: "localhost",
      });
      const clientSecure = new Promise<void>((resolve, reject) => {
        client.once("secureConnect", resolve);
        client.once("error", reject);
      });
      const socket = await withTimeout(accepted, "the connection");
      const secure = await withTimeout(
        acceptTls(socket, { credentials, timeoutMs: 5000, onSecure: (s) => s }),
        "the handshake",
      );
      await withTimeout(clientSecure, "the client handshake");
      client.destroy();
      secure.destroy();
    }
  } finally {
    await new Promise((resolve) => server.close(resolve));
  }
});

import assert from "node:assert/strict";
import * as net from "node:net";
import * as tls from "node:tls";
import type { Buffer } from "node:buffer";
import { listenTcp } from "../../../adapters/deno_tcp/mod.ts";
import type { ByteStream } from "../../../src/base/transport.ts";
import type { Logger } from "../../../src/base/logger.ts";
import {
  drainConn,
  firstDer,
  localhostCredentials,
  readConnUntil,
  readToEnd,
  readUntil,
  sha256,
  utf8,
  withTimeout,
  writeText,
} from "./_helpers.ts";

const HOST = "127.0.0.1";

/** A listener handler that hands out connections in order. */
function connections() {
  const waiting: ((stream: ByteStream) => void)[] = [];
  const ready: ByteStream[] = [];
  return {
    onConnection(stream: ByteStream) {
      const resolve = waiting.shift();
      if (resolve) resolve(stream);
      else ready.push(stream);
    },
    next(): Promise<ByteStream> {
      const stream = ready.shift();
      if (stream) return Promise.resolve(stream);
      return withTimeout(new Promise((resolve) => waiting.push(resolve)), "a connection");
    },
  };
}

/** Connects a `node:net` client socket. */
function nodeConnect(port: number): Promise<net.Socket> {
  return withTimeout(
    new Promise((resolve, reject) => {
      const socket = net.connect(port, HOST, () => {
        socket.off("error", reject);
        resolve(socket);
      });
      socket.once("error", reject);
    }),
    "the client connection",
  );
}

/** Reads a `node:net` socket until `marker`, then pauses it and leaves it unread. */
function nodeReadUntil(socket: net.Socket, marker: string): Promise<string> {
  return withTimeout(
    new Promise((resolve, reject) => {
      let text = "";
      const onData = (chunk: Buffer) => {
        text += chunk.toString();
        if (!text.includes(marker)) return;
        socket.off("data", onData);
        socket.off("error", reject);
        socket.pause();
        resolve(text);
      };
      socket.on("data", onData);
      socket.once("error", reject);
    }),
    `"${marker}" on the client`,
  );
}

/** Resolves once `socket` has emitted "close". */
function closed(socket: net.Socket): Promise<void> {
  if (socket.destroyed && socket.closed) return Promise.resolve();
  return withTimeout(new Promise((resolve) => socket.once("close", () => resolve())), "close");
}

Deno.test("listenTcp() rejects a bad port and direct TLS without credentials", async () => {
  await assert.rejects(listenTcp({ port: -1 }, () => {}), RangeError);
  await assert.rejects(listenTcp({ port: 1.5 }, () => {}), RangeError);
  await assert.rejects(listenTcp({ port: 0, directTls: true }, () => {}), TypeError);
  await assert.rejects(listenTcp({ port: 0, handshakeTimeoutMs: 0 }, () => {}), RangeError);
});

Deno.test("listenTcp() exchanges bytes over plain TCP and ends the readable on close", async () => {
  const server = connections();
  const listener = await listenTcp({ hostname: HOST, port: 0 }, server.onConnection);
  try {
    assert.equal(listener.hostname, HOST);
    assert.ok(listener.port > 0);
    const conn = await Deno.connect({ hostname: HOST, port: listener.port });
    try {
      const stream = await server.next();
      assert.deepEqual(stream.info, { kind: "tcp", secure: false, remoteAddress: HOST });
      assert.equal(stream.startTls, undefined);
      await conn.write(utf8("<stream:stream to='localhost'>"));
      assert.equal(await readUntil(stream.readable, ">"), "<stream:stream to='localhost'>");
      await writeText(stream.writable, "<stream:features/>");
      assert.equal(await readConnUntil(conn, "/>"), "<stream:features/>");
      await conn.write(utf8("</stream:stream>"));
      conn.closeWrite();
      assert.equal(await readToEnd(stream.readable), "</stream:stream>");
      await withTimeout(stream.close(), "stream.close()");
    } finally {
      conn.close();
    }
  } finally {
    await listener.close();
  }
});

Deno.test("listenTcp() delivers 4 MiB in order past the read-ahead limit", async () => {
  const server = connections();
  const listener = await listenTcp({ hostname: HOST, port: 0 }, server.onConnection);
  try {
    const conn = await Deno.connect({ hostname: HOST, port: listener.port });
    try {
      const payload = new Uint8Array(4 * 1024 * 1024).map((_, i) => (i * 7) % 251);
      const stream = await server.next();
      const sending = conn.write(payload).then(async (written) => {
        let total = written;
        while (total < payload.length) total += await conn.write(payload.subarray(total));
        conn.closeWrite();
      });
      const received = new Uint8Array(payload.length);
      let offset = 0;
      for await (const chunk of stream.readable) {
        received.set(chunk, offset);
        offset += chunk.length;
        // A slow consumer: the socket must be paused, not the bytes dropped.
        await new Promise((resolve) => setTimeout(resolve, 0));
      }
      await withTimeout(sending, "the client's writes");
      assert.equal(offset, payload.length);
      assert.deepEqual(received, payload);
      await withTimeout(stream.close(), "stream.close()");
    } finally {
      conn.close();
    }
  } finally {
    await listener.close();
  }
});

Deno.test("ByteStream.startTls() upgrades in place with tls-server-end-point", async () => {
  const credentials = await localhostCredentials();
  const server = connections();
  const listener = await listenTcp(
    { hostname: HOST, port: 0, tls: credentials },
    server.onConnection,
  );
  const raw = await nodeConnect(listener.port);
  let client: tls.TLSSocket | undefined;
  try {
    const plain = await server.next();
    assert.deepEqual(plain.info, { kind: "tcp", secure: false, remoteAddress: HOST });
    raw.write("<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>");
    assert.match(await readUntil(plain.readable, "/>"), /^<starttls /);
    await writeText(plain.writable, "<proceed xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>");
    const upgrading = plain.startTls!();

    await nodeReadUntil(raw, "<proceed");
    const tlsClient = tls.connect({
      socket: raw,
      rejectUnauthorized: false,
      servername: "localhost",
    });
    client = tlsClient;
    await withTimeout(
      new Promise<void>((resolve, reject) => {
        tlsClient.once("secureConnect", resolve);
        tlsClient.once("error", reject);
      }),
      "the client handshake",
    );
    const secure = await withTimeout(upgrading, "startTls()");
    const peerDer = new Uint8Array(tlsClient.getPeerCertificate().raw);
    assert.deepEqual(secure.info, {
      kind: "tcp",
      secure: true,
      remoteAddress: HOST,
      tlsServerEndPoint: await sha256(peerDer),
    });
    assert.deepEqual(secure.info.tlsServerEndPoint, credentials.tlsServerEndPoint);
    await assert.rejects(plain.readable.getReader().read(), /upgraded to TLS/);

    tlsClient.write("<stream:stream to='localhost'>");
    assert.equal(await readUntil(secure.readable, ">"), "<stream:stream to='localhost'>");
    const reply = nodeReadUntil(tlsClient, "/>");
    await writeText(secure.writable, "<stream:features/>");
    assert.equal(await reply, "<stream:features/>");

    const clientClosed = closed(tlsClient);
    tlsClient.resume(); // let the end of the stream in
    await withTimeout(secure.close(), "secure.close()");
    await clientClosed;
  } finally {
    client?.destroy();
    raw.destroy();
    await listener.close();
  }
});

Deno.test("listenTcp() with directTls is secure from the first byte", async () => {
  const credentials = await localhostCredentials();
  const server = connections();
  const listener = await listenTcp(
    { hostname: HOST, port: 0, tls: credentials, directTls: true },
    server.onConnection,
  );
  try {
    const tcp = await Deno.connect({ hostname: HOST, port: listener.port });
    // rustls verifies the generated certificate against itself as the only trust anchor.
    const conn = await Deno.startTls(tcp, {
      hostname: "localhost",
      caCerts: [credentials.certPem],
    });
    try {
      await conn.write(utf8("<stream:stream to='localhost'>"));
      const stream = await server.next();
      assert.deepEqual(stream.info, {
        kind: "tls",
        secure: true,
        remoteAddress: HOST,
        tlsServerEndPoint: await sha256(firstDer(credentials.certPem)),
      });
      assert.equal(stream.startTls, undefined);
      assert.equal(await readUntil(stream.readable, ">"), "<stream:stream to='localhost'>");
      await writeText(stream.writable, "<stream:features/>");
      assert.equal(await readConnUntil(conn, "/>"), "<stream:features/>");
      const closing = stream.close();
      assert.equal(await drainConn(conn), 0);
      conn.close();
      await withTimeout(closing, "stream.close()");
    } finally {
      try {
        conn.close();
      } catch {
        // already closed above
      }
    }
  } finally {
    await listener.close();
  }
});

Deno.test("ByteStream.startTls() rejects a failed handshake and the listener goes on", async () => {
  const credentials = await localhostCredentials();
  const server = connections();
  const listener = await listenTcp(
    { hostname: HOST, port: 0, tls: credentials },
    server.onConnection,
  );
  try {
    const conn = await Deno.connect({ hostname: HOST, port: listener.port });
    try {
      const plain = await server.next();
      await conn.write(utf8("<starttls/>"));
      // A core reading with `for await` cancels the readable on `break`: that must only
      // stop the reading, not close the connection.
      let text = "";
      for await (const chunk of plain.readable) {
        text += new TextDecoder().decode(chunk);
        if (text.includes("/>")) break;
      }
      await writeText(plain.writable, "<proceed/>");
      const upgrading = plain.startTls!();
      await readConnUntil(conn, "<proceed/>");
      await conn.write(utf8("GET / HTTP/1.1\r\nHost: localhost\r\n\r\n"));
      await assert.rejects(withTimeout(upgrading, "startTls()"), /TLS handshake failed/);
      // The server dropped the connection, after a TLS alert at most.
      assert.ok(await drainConn(conn) <= 7);
    } finally {
      conn.close();
    }

    const again = await Deno.connect({ hostname: HOST, port: listener.port });
    const stream = await server.next();
    await again.write(utf8("<stream:stream>"));
    assert.equal(await readUntil(stream.readable, ">"), "<stream:stream>");
    const closing = stream.close();
    try {
      assert.equal(await drainConn(again), 0);
    } finally {
      again.close();
    }
    await withTimeout(closing, "stream.close()");
  } finally {
    await listener.close();
  }
});

Deno.test("ByteStream.startTls() rejects after handshakeTimeoutMs without a ClientHello", async () => {
  const credentials = await localhostCredentials();
  const server = connections();
  const listener = await listenTcp(
    { hostname: HOST, port: 0, tls: credentials, handshakeTimeoutMs: 100 },
    server.onConnection,
  );
  try {
    const conn = await Deno.connect({ hostname: HOST, port: listener.port });
    try {
      const plain = await server.next();
      const error = await withTimeout(plain.startTls!().catch((e) => e), "startTls()");
      assert.ok(error instanceof Error);
      assert.equal(error.message, "TLS handshake failed");
      assert.equal((error.cause as Error).message, "No TLS handshake within 100 ms");
    } finally {
      conn.close();
    }
  } finally {
    await listener.close();
  }
});

Deno.test("listenTcp() logs a failed direct TLS handshake and goes on", async () => {
  const credentials = await localhostCredentials();
  const logged = Promise.withResolvers<string>();
  const logger: Logger = {
    debug() {},
    info: (message, fields) => logged.resolve(`${message}: ${fields?.error}`),
    warn() {},
    error() {},
  };
  const server = connections();
  const listener = await listenTcp(
    { hostname: HOST, port: 0, tls: credentials, directTls: true, logger },
    server.onConnection,
  );
  try {
    const conn = await Deno.connect({ hostname: HOST, port: listener.port });
    try {
      await conn.write(utf8("<stream:stream>"));
      assert.match(
        await withTimeout(logged.promise, "the log line"),
        /^Direct TLS handshake failed: TLS handshake failed/,
      );
    } finally {
      conn.close();
    }
  } finally {
    await listener.close();
  }
});

Deno.test("listenTcp() logs a flood of failed TLS handshakes from one address once at warn", async () => {
  const credentials = await localhostCredentials();
  const levels: string[] = [];
  const logger: Logger = {
    debug: () => void levels.push("debug"),
    info: () => void levels.push("info"),
    warn: (message, fields) => void levels.push(`warn ${message} ${fields?.remoteAddress}`),
    error() {},
  };
  const server = connections();
  const listener = await listenTcp(
    { hostname: HOST, port: 0, tls: credentials, directTls: true, logger },
    server.onConnection,
  );
  try {
    for (let i = 0; i < 22; i++) {
      const conn = await Deno.connect({ hostname: HOST, port: listener.port });
      try {
        await conn.write(utf8("<stream:stream>")); // not a ClientHello
        await withTimeout(
          (async () => {
            while (levels.length <= i) await new Promise((r) => setTimeout(r, 10));
          })(),
          "the log line",
        );
      } finally {
        conn.close();
      }
    }
    assert.deepEqual(levels, [
      ...Array(20).fill("info"),
      `warn TLS handshake failures flood from one address ${HOST}`,
      "debug",
    ]);
  } finally {
    await listener.close();
  }
});

Deno.test("TcpListener.close() closes open connections, plain and upgraded", async () => {
  const credentials = await localhostCredentials();
  const server = connections();
  const listener = await listenTcp(
    { hostname: HOST, port: 0, tls: credentials },
    server.onConnection,
  );
  const plainConn = await Deno.connect({ hostname: HOST, port: listener.port });
  const raw = await nodeConnect(listener.port);
  let tlsClient: tls.TLSSocket | undefined;
  try {
    const plain = await server.next();
    const toUpgrade = await server.next();
    const upgrading = toUpgrade.startTls!();
    tlsClient = tls.connect({ socket: raw, rejectUnauthorized: false });
    tlsClient.on("error", () => {}); // the server destroys the connection
    const secure = await withTimeout(upgrading, "startTls()");

    const rawClosed = closed(raw);
    await withTimeout(listener.close(), "listener.close()");
    assert.equal(await readToEnd(plain.readable), "");
    assert.equal(await readToEnd(secure.readable), "");
    assert.equal(await withTimeout(plainConn.read(new Uint8Array(16)), "the client EOF"), null);
    await rawClosed;
    await assert.rejects(Deno.connect({ hostname: HOST, port: listener.port }));
  } finally {
    plainConn.close();
    tlsClient?.destroy();
    raw.destroy();
    await listener.close();
  }
});

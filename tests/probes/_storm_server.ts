// The server of the resumption storm probe, as its own process: memory storage, users u0…uN-1
// and "sender", plain TCP (SCRAM without TLS, so that a thousand clients log in twice without
// a thousand TLS handshakes each time), every connection from loopback allowed.
//
// Usage: deno run --v8-flags=--expose-gc -A _storm_server.ts N
// Prints "listening PORT" once ready. Each line on stdin is a command; the answer is one JSON
// line: "stats" → { active, hibernated, heapUsed, rss } after a full garbage collection.
import { createServer, type FullJid } from "../../mod.ts";
import { tcpTransport } from "../../adapters/deno_tcp/transport.ts";

const n = Number(Deno.args[0] ?? "200");
const users = [
  ...Array.from({ length: n }, (_, i) => ({ jid: `u${i}@localhost`, password: "pw" })),
  { jid: "sender@localhost", password: "pw" },
];
const server = await createServer({
  domain: "localhost",
  users,
  requireTls: false,
  limits: {
    maxConnectionsPerAddress: 100_000,
    authFailuresPerMinutePerAddress: 0,
    authFailuresPerMinutePerAccount: 0,
    readBytesPerSecond: 0,
    maxUnackedStanzas: 10_000,
  },
});
let port = 0;
await server.listen(
  tcpTransport({ hostname: "127.0.0.1", port: 0, onListen: (l) => port = l.port }),
);
console.log(`listening ${port}`);

const gc = (globalThis as { gc?: () => void }).gc;

async function stats() {
  let active = 0, hibernated = 0;
  for (let i = 0; i < n; i++) {
    const ref = await server.router.session(`u${i}@localhost/r` as FullJid);
    const state = ref && server.router.local(ref)?.state;
    if (state === "active") active++;
    if (state === "hibernated") hibernated++;
  }
  for (let i = 0; i < 3; i++) gc?.();
  const mem = Deno.memoryUsage();
  return { active, hibernated, heapUsed: mem.heapUsed, rss: mem.rss };
}

let rest = "";
for await (const chunk of Deno.stdin.readable.pipeThrough(new TextDecoderStream())) {
  rest += chunk;
  const lines = rest.split("\n");
  rest = lines.pop()!;
  for (const line of lines) {
    if (line.trim() === "stats") console.log(JSON.stringify(await stats()));
  }
}
await server.close();

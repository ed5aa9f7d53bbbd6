/**
 * Deno's two TLS servers side by side, without XMPP: `Deno.listenTls` (rustls, native) against
 * `node:tls` (the one Parley uses, since `Deno.startTls` is client-only and STARTTLS needs a
 * server-side upgrade). For each, in interleaved rounds: the server's CPU time per handshake
 * (from /proc, the client in another process) and its resident memory per idle TLS connection.
 * Same ECDSA P-256 certificate (the one the standalone server makes), TLS 1.3.
 *
 * ```sh
 * deno run -A bench/tls_runtime.ts --rounds 3 --handshakes 1000 --connections 2000
 * ```
 *
 * @module
 */
import * as tls from "node:tls";
import { parseArgs } from "node:util";
import { loadOrCreateSelfSigned } from "../adapters/deno_tcp/certificate.ts";

const { values, positionals } = parseArgs({
  args: Deno.args,
  allowPositionals: true,
  options: {
    rounds: { type: "string", default: "3" },
    handshakes: { type: "string", default: "1000" },
    connections: { type: "string", default: "2000" },
    dir: { type: "string" },
  },
});

type Kind = "deno" | "node";

/** Server mode: `serve KIND PORT DIR`; answers each connection with one byte and keeps it. */
async function serve(kind: Kind, port: number, dir: string): Promise<void> {
  const { certPem: cert, keyPem: key } = await loadOrCreateSelfSigned(dir, "localhost");
  if (kind === "deno") {
    const listener = Deno.listenTls({ hostname: "127.0.0.1", port, cert, key });
    (async () => {
      for await (const conn of listener) {
        (async () => {
          try {
            await conn.write(new Uint8Array([1]));
            await conn.read(new Uint8Array(16)); // idle until the client closes
          } catch { /* the client went away */ }
          try {
            conn.close();
          } catch { /* closed */ }
        })();
      }
    })();
  } else {
    const server = tls.createServer({ cert, key }, (socket) => {
      socket.on("error", () => {});
      socket.on("data", () => {});
      socket.write(new Uint8Array([1]));
    });
    server.listen(port, "127.0.0.1");
  }
  console.log("ready");
}

/** Client mode: `handshakes PORT N DIR` or `hold PORT N DIR PID`; prints JSON. */
async function client(mode: string, port: number, n: number, dir: string, pid: number) {
  const caCerts = [await Deno.readTextFile(`${dir}/localhost.crt`)];
  const connect = async () => {
    const conn = await Deno.connectTls({ hostname: "localhost", port, caCerts });
    await conn.read(new Uint8Array(1));
    return conn;
  };
  let left = n;
  if (mode === "handshakes") {
    const worker = async () => {
      while (left-- > 0) (await connect()).close();
    };
    await Promise.all(Array.from({ length: 8 }, worker));
    console.log(JSON.stringify({ done: n }));
    return;
  }
  const before = rss(pid);
  const conns: Deno.TlsConn[] = [];
  const worker = async () => {
    while (left-- > 0) conns.push(await connect());
  };
  await Promise.all(Array.from({ length: 16 }, worker));
  await new Promise((r) => setTimeout(r, 2000));
  console.log(JSON.stringify({ kibPerConnection: (rss(pid) - before) / n }));
  for (const conn of conns) conn.close();
}

function rss(pid: number): number {
  return Number(/VmRSS:\s+(\d+)/.exec(Deno.readTextFileSync(`/proc/${pid}/status`))![1]);
}

/** User + system CPU time of `pid` in ms (clock ticks of 10 ms). */
function cpuMs(pid: number): number {
  const fields = Deno.readTextFileSync(`/proc/${pid}/stat`).split(") ")[1].split(" ");
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

async function child(args: string[]): Promise<string> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", import.meta.filename!, ...args],
    stdout: "piped",
  }).output();
  return new TextDecoder().decode(out.stdout).trim();
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

async function main() {
  const dir = values.dir ?? await Deno.makeTempDir({ prefix: "tls-runtime-" });
  await loadOrCreateSelfSigned(dir, "localhost");
  const results: Record<Kind, { cpu: number[]; kib: number[] }> = {
    deno: { cpu: [], kib: [] },
    node: { cpu: [], kib: [] },
  };
  const handshakes = Number(values.handshakes), connections = Number(values.connections);
  for (let round = 1; round <= Number(values.rounds); round++) {
    for (const kind of ["deno", "node"] as Kind[]) {
      const port = 17000 + Math.floor(Math.random() * 2000);
      const server = new Deno.Command(Deno.execPath(), {
        args: ["run", "-A", import.meta.filename!, "serve", kind, String(port), dir],
        stdout: "piped",
      }).spawn();
      const reader = server.stdout.getReader();
      await reader.read(); // "ready"
      const cpu0 = cpuMs(server.pid);
      await child(["handshakes", String(port), String(handshakes), dir]);
      const cpu = (cpuMs(server.pid) - cpu0) / handshakes;
      const hold = JSON.parse(
        await child(["hold", String(port), String(connections), dir, String(server.pid)]),
      );
      server.kill("SIGTERM");
      reader.releaseLock();
      await server.status;
      results[kind].cpu.push(cpu);
      results[kind].kib.push(hold.kibPerConnection);
      console.log(
        `round ${round} ${kind}: ${cpu.toFixed(3)} ms CPU/handshake, ` +
          `${hold.kibPerConnection.toFixed(1)} KiB per idle connection`,
      );
    }
  }
  for (const kind of ["deno", "node"] as Kind[]) {
    console.log(
      `${kind === "deno" ? "Deno.listenTls" : "node:tls      "}: median ` +
        `${median(results[kind].cpu).toFixed(3)} ms CPU/handshake, ` +
        `${median(results[kind].kib).toFixed(1)} KiB per idle connection`,
    );
  }
  if (!values.dir) await Deno.remove(dir, { recursive: true });
}

const [mode, a, b, c, d] = positionals;
if (mode === "serve") await serve(a as Kind, Number(b), c);
else if (mode === "handshakes" || mode === "hold") {
  await client(mode, Number(a), Number(b), c, Number(d));
} else await main();

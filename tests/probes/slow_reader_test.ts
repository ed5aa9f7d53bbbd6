// Probe for issue #10 item 2: one logged-in user sends 4 KiB messages as fast as the server
// takes them to a user whose client stopped reading. The server must neither grow without
// bound nor crash (before the fix it died of "Invalid string length" at 3.5 GiB): what is queued
// for the reader is capped when it is queued and the sender is slowed down meanwhile. Alice and
// Bob chat throughout; the server's RSS is sampled. (That the reader is then closed with
// <resource-constraint/> and loses nothing is tested in tests/scenarios/slow_reader_test.ts,
// with a small cap: here loopback's socket buffers, up to tcp_rmem's max, hold more than the
// probe sends.)
import assert from "node:assert/strict";
import { connect, type TestClient } from "../scenarios/_harness.ts";
import { denoRun, type ServerProcess, startProcess } from "../adapters/_server_process.ts";
import type { FloodPlan, FloodResult } from "./_flooder.ts";
import { chat, percentile, rssOf, sampleRss } from "./_probe.ts";

const FLOODER = new URL("./_flooder.ts", import.meta.url).pathname;
const FLOOD_SECONDS = 6;
const MiB = 1024 * 1024;
const RSS_GROWTH_LIMIT = 256 * MiB;
const P99_LIMIT_MS = 1500;
const encoder = new TextEncoder();
const HEADER = "<stream:stream xmlns='jabber:client' " +
  "xmlns:stream='http://etherx.jabber.org/streams' to='localhost' version='1.0'>";

/** Logs in over direct TLS, binds, sends presence, then never reads again. */
async function deafClient(port: number, caPath: string): Promise<Deno.TlsConn> {
  const conn = await Deno.connectTls({
    hostname: "localhost",
    port,
    caCerts: [await Deno.readTextFile(caPath)],
  });
  let seen = "";
  const buf = new Uint8Array(65536);
  const until = async (marker: string) => {
    while (!seen.includes(marker)) {
      const n = await conn.read(buf);
      if (n === null) throw new Error(`Closed before "${marker}": ${seen}`);
      seen += new TextDecoder().decode(buf.subarray(0, n));
    }
  };
  const write = (s: string) => conn.write(encoder.encode(s));
  await write(HEADER);
  await until("</stream:features>");
  seen = "";
  await write(
    `<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>${
      btoa("\0carol\0carol-pw")
    }</auth>`,
  );
  await until("<success");
  seen = "";
  await write(HEADER);
  await until("</stream:features>");
  await write(
    "<iq type='set' id='b'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'><resource>deaf</resource></bind></iq><presence/>",
  );
  await until("</iq>");
  return conn;
}

Deno.test({
  name: "slow reader probe: a flood to a client that does not read stays bounded",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const data = await Deno.makeTempDir({ prefix: "parley-slow-" });
    let run: ServerProcess | undefined;
    let alice: TestClient | undefined, bob: TestClient | undefined;
    let deaf: Deno.TlsConn | undefined;
    try {
      // The flooder's input is not rate limited here, so that it gets past what the kernel's
      // socket buffers hold for the deaf client (tens of MiB on loopback) within the probe.
      await Deno.writeTextFile(
        `${data}/parley.config.ts`,
        "export default { limits: { readBytesPerSecond: 0 } };\n",
      );
      run = await startProcess([
        "--config",
        `${data}/parley.config.ts`,
        "--data",
        data,
        "--storage",
        "memory",
        "--user",
        "alice@localhost:alice-pw",
        "--user",
        "bob@localhost:bob-pw",
        "--user",
        "carol@localhost:carol-pw",
        "--user",
        "mallory@localhost:mallory-pw",
      ]);
      const pid = run.child.pid;
      alice = await connect(run.ports.c2s, "alice", "alice-pw", { resource: "a" });
      bob = await connect(run.ports.c2s, "bob", "bob-pw", { resource: "b" });
      await chat(alice, bob, new Promise((r) => setTimeout(r, 300)));
      deaf = await deafClient(run.ports.tls, `${data}/localhost.crt`);
      const idleRss = await rssOf(pid);
      const plan: FloodPlan = {
        mode: "tls-auth",
        port: run.ports.tls,
        seconds: FLOOD_SECONDS,
        caPath: `${data}/localhost.crt`,
        user: "mallory",
        password: "mallory-pw",
        payload: `<message to='carol@localhost/deaf' type='chat'><body>${
          "x".repeat(4096)
        }</body></message>`,
      };
      const flooder = denoRun(FLOODER, [JSON.stringify(plan)], {
        stdout: "piped",
        stderr: "piped",
      }).spawn();
      const output = flooder.output();
      const finished = Promise.all([
        output,
        new Promise((r) => setTimeout(r, FLOOD_SECONDS * 1000)),
      ]).then(() => {});
      let peakRss = idleRss;
      const sampler = sampleRss(pid, (rss) => peakRss = Math.max(peakRss, rss));
      const latencies = await chat(alice, bob, finished);
      await sampler.stop();
      const flood: FloodResult = JSON.parse(
        new TextDecoder().decode((await output).stdout).trim(),
      );
      console.log(
        `slow reader: flooder sent ${(flood.sent / MiB).toFixed(1)} MiB; RSS idle ${
          (idleRss / MiB).toFixed(0)
        } MiB, peak +${((peakRss - idleRss) / MiB).toFixed(0)} MiB; chat p50 ${
          percentile(latencies, 50).toFixed(0)
        } ms, p99 ${percentile(latencies, 99).toFixed(0)} ms (${latencies.length})`,
      );
      assert.ok(peakRss - idleRss <= RSS_GROWTH_LIMIT, "the server's memory stayed bounded");
      assert.ok(latencies.length >= 10, "the chat went on");
      assert.ok(percentile(latencies, 99) <= P99_LIMIT_MS, "others were not stalled");
    } finally {
      try {
        deaf?.close();
      } catch { /* closed */ }
      await alice?.stop();
      await bob?.stop();
      await run?.kill();
      await Deno.remove(data, { recursive: true });
    }
  },
});

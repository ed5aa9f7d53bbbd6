// Probe for issue #10 item 4: one client's backlog must not stall everyone. A client pipelines
// presence updates (each one reads the roster and broadcasts), or messages to an offline user
// (each one written to offline storage), as fast as the server reads them, while Alice and Bob
// chat and Alice asks for her roster every 100 ms. On PGlite every query runs on the server's
// own thread, so work that never waits on a socket could starve every other connection: the
// server must give the others their turn. Run on PGlite and, with DATABASE_URL, PostgreSQL.
import assert from "node:assert/strict";
import { xml } from "@xmpp/client";
import { connect, type TestClient } from "../scenarios/_harness.ts";
import { denoRun, type ServerProcess, startProcess } from "../adapters/_server_process.ts";
import { databaseUrl, dropSchema, testSchema } from "../adapters/postgres/_database_url.ts";
import type { FloodPlan, FloodResult } from "./_flooder.ts";
import { chat, percentile, rssOf, sampleRss } from "./_probe.ts";

const FLOODER = new URL("./_flooder.ts", import.meta.url).pathname;
const FLOOD_SECONDS = 5;
const MiB = 1024 * 1024;
/** The target is 500 ms; a shared CI machine gets slack (the real figure is printed). */
const P99_LIMIT_MS = 1500;

const PAYLOADS = {
  presence: "<presence><status>busy</status></presence>",
  offline: "<message to='carol@localhost' type='chat'><body>backlog</body></message>",
};

/** Alice asks for her roster every 100 ms until `stop`; returns each round trip's latency. */
async function rosterPings(alice: TestClient, stop: Promise<void>): Promise<number[]> {
  const latencies: number[] = [];
  let done = false;
  stop.then(() => done = true);
  while (!done) {
    const at = performance.now();
    await alice.xmpp.iqCaller.request(
      xml("iq", { type: "get" }, xml("query", { xmlns: "jabber:iq:roster" })),
      30_000,
    );
    latencies.push(performance.now() - at);
    await new Promise((r) => setTimeout(r, 100));
  }
  return latencies;
}

function line(name: string, values: number[]): string {
  return `${name} p50 ${percentile(values, 50).toFixed(0)} ms, p99 ${
    percentile(values, 99).toFixed(0)
  } ms, max ${Math.max(...values).toFixed(0)} ms (${values.length})`;
}

async function probe(storage: string[], payload: keyof typeof PAYLOADS): Promise<number[]> {
  const data = await Deno.makeTempDir({ prefix: "parley-backlog-" });
  let run: ServerProcess | undefined;
  let alice: TestClient | undefined, bob: TestClient | undefined;
  try {
    run = await startProcess([
      "--data",
      data,
      ...storage,
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
    await alice.xmpp.send(xml("presence", {}));
    await chat(alice, bob, new Promise((r) => setTimeout(r, 300)));
    const idleRss = await rssOf(pid);
    const plan: FloodPlan = {
      mode: "tls-auth",
      port: run.ports.tls,
      seconds: FLOOD_SECONDS,
      caPath: `${data}/localhost.crt`,
      user: "mallory",
      password: "mallory-pw",
      payload: PAYLOADS[payload],
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
    const [chatMs, rosterMs] = await Promise.all([
      chat(alice, bob, finished),
      rosterPings(alice, finished),
    ]);
    await sampler.stop();
    const out = await output;
    const flood: FloodResult = JSON.parse(new TextDecoder().decode(out.stdout).trim());
    console.log(
      `${storage.join(" ").replace(/postgres:\S+/, "postgres")} ${payload}: flooder sent ${
        (flood.sent / MiB).toFixed(1)
      } MiB; RSS idle ${(idleRss / MiB).toFixed(0)} MiB, peak +${
        ((peakRss - idleRss) / MiB).toFixed(0)
      } MiB; ${line("chat", chatMs)}; ${line("roster", rosterMs)}`,
    );
    assert.ok(chatMs.length >= 10 && rosterMs.length >= 5, "the others were served at all");
    return [...chatMs, ...rosterMs];
  } finally {
    await alice?.stop();
    await bob?.stop();
    await run?.kill();
    await Deno.remove(data, { recursive: true });
  }
}

const url = databaseUrl();
const STORES: [string, () => Promise<{ args: string[]; done(): Promise<void> }>][] = [
  [
    "PGlite",
    () => Promise.resolve({ args: ["--storage", "pglite"], done: () => Promise.resolve() }),
  ],
];
if (url) {
  STORES.push(["PostgreSQL", () => {
    const schema = testSchema("backlog");
    const sep = url.includes("?") ? "&" : "?";
    return Promise.resolve({
      args: ["--storage", "postgres", "--database-url", `${url}${sep}schema=${schema}`],
      done: () => dropSchema(url, schema),
    });
  }]);
}

for (const [name, store] of STORES) {
  for (const payload of ["presence", "offline"] as const) {
    Deno.test({
      name: `backlog on ${name}: a client pipelining ${payload} stanzas does not stall the others`,
      sanitizeOps: false,
      sanitizeResources: false,
      async fn() {
        const s = await store();
        try {
          const latencies = await probe(s.args, payload);
          const p99 = percentile(latencies, 99);
          assert.ok(p99 <= P99_LIMIT_MS, `others' p99 was ${p99.toFixed(0)} ms`);
        } finally {
          await s.done();
        }
      },
    });
  }
}

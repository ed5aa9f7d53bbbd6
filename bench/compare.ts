/**
 * `deno task bench:compare`: Parley against Prosody and ejabberd (where installed) on
 * loopback with the same domain, accounts and certificate (ECDSA P-256, self-signed for
 * `localhost`). Clients use STARTTLS by default (`--tls none` for plain TCP), and
 * `login-direct` logs in with direct TLS (XEP-0368). The TLS version, cipher and key type each
 * server negotiates are recorded (`openssl s_client -starttls xmpp`). Scenarios run interleaved
 * (parley, prosody, ejabberd, parley, …) for several rounds; medians and ratios are printed
 * and written to bench/results/ as JSON and Markdown. Every server started here is stopped
 * at the end, on error and on Ctrl-C.
 *
 * ```sh
 * deno task bench:compare --rounds 3 --duration 5 --idle-sizes 1000,5000,10000
 * deno task bench:compare --scenarios login,login-direct,messages --processes 2
 * deno task bench:compare --tls none
 * deno task bench:compare --scenarios fanout --fanout-users 200 --fanout-contacts 20
 * ```
 *
 * `fanout` runs last, on servers started again with the rosters seeded (Parley through its
 * storage API, Prosody as roster files, ejabberd in band), so that the other scenarios run
 * on empty rosters.
 *
 * @module
 */
import { parseArgs } from "node:util";
import type { LoadResult } from "./load/scenarios.ts";
import { loadOrCreateSelfSigned } from "../adapters/deno_tcp/certificate.ts";
import { ejabberdFactory } from "./peers/ejabberd.ts";
import { parleyFactory } from "./peers/parley.ts";
import { type PeerFactory, type PeerTls, run, type ServerUnderTest } from "./peers/peer.ts";
import { prosodyFactory } from "./peers/prosody.ts";

const HELP = `Parley against Prosody and ejabberd (where installed) on loopback

Usage: deno task bench:compare [options]

Options (defaults in brackets):
  --servers LIST             parley,prosody,ejabberd [all three]
  --scenarios LIST           login,login-direct,login-plain,messages,idle,fanout [all]
  --tls MODE                 starttls or none: how clients connect [starttls]; login-direct
                             always uses direct TLS (and is skipped with none)
  --processes N              load generator processes for login and messages; workers and
                             pairs are split between them [1]
  --rounds N                 interleaved rounds; medians are reported [3]
  --idle-rounds N            rounds of the idle scenario [--rounds]
  --duration S               seconds per login and messages run [5]
  --users N                  accounts for login [100]
  --concurrency N            login workers [16]
  --pairs N                  messages: sender/receiver pairs [20]
  --window N                 messages in flight per pair [10]
  --idle-sizes LIST          idle connection counts [1000,5000,10000]
  --fanout-users N           fanout: users [200]
  --fanout-contacts N        fanout: contacts per user [20]
  --fanout-concurrency N     fanout: logins at a time [50]
  --fanout-timeout S         fanout: seconds to wait for presences [30]
  --parley-archive           keep Parley's message archive (XEP-0313) on; off by default,
                             as Prosody and ejabberd run without mod_mam here
  --out DIR                  where the JSON and Markdown results go [bench/results/]
  --label TEXT               appended to the result file names
  --help                     Show this help

See bench/README.md for the scenarios and how each server is configured.`;

const { values } = parseArgs({
  args: Deno.args,
  options: {
    help: { type: "boolean", short: "h", default: false },
    rounds: { type: "string", default: "3" },
    "idle-rounds": { type: "string" },
    duration: { type: "string", default: "5" },
    scenarios: {
      type: "string",
      default: "login,login-direct,login-plain,messages,idle,fanout",
    },
    tls: { type: "string", default: "starttls" },
    processes: { type: "string", default: "1" },
    "idle-sizes": { type: "string", default: "1000,5000,10000" },
    users: { type: "string", default: "100" },
    concurrency: { type: "string", default: "16" },
    pairs: { type: "string", default: "20" },
    window: { type: "string", default: "10" },
    "fanout-users": { type: "string", default: "200" },
    "fanout-contacts": { type: "string", default: "20" },
    "fanout-concurrency": { type: "string", default: "50" },
    "fanout-timeout": { type: "string", default: "30" },
    servers: { type: "string", default: "parley,prosody,ejabberd" },
    out: { type: "string", default: new URL("./results/", import.meta.url).pathname },
    label: { type: "string", default: "" },
    "parley-archive": { type: "boolean", default: false },
  },
});

if (values.help) {
  console.log(HELP);
  Deno.exit(0);
}
const rounds = Number(values.rounds);
const idleRounds = Number(values["idle-rounds"] ?? values.rounds);
const users = Number(values.users);
const tlsMode = values.tls!;
if (tlsMode !== "starttls" && tlsMode !== "none") {
  throw new TypeError(`Cannot use --tls "${tlsMode}": expected starttls or none`);
}
const processes = Math.max(1, Number(values.processes));
const scenarios = values.scenarios!.split(",")
  .filter((s) => !(s === "login-direct" && tlsMode === "none"));
const known = ["login", "login-direct", "login-plain", "messages", "idle", "fanout"];
for (const s of scenarios) {
  if (!known.includes(s)) {
    throw new TypeError(`Cannot run scenario "${s}": expected one of ${known.join(", ")}`);
  }
}
const fanout = {
  users: Number(values["fanout-users"]),
  contacts: Number(values["fanout-contacts"]),
};
// Every server gets the accounts of both the other scenarios and fanout.
const accounts = scenarios.includes("fanout") ? Math.max(users, fanout.users) : users;
const wanted = new Set(values.servers!.split(","));
const loadScript = new URL("./load/main.ts", import.meta.url).pathname;

const running = new Set<ServerUnderTest>();
const factories: PeerFactory[] = [];
let stopping: Promise<void> | undefined;
let certDir: string | undefined;

function stopEverything(): Promise<void> {
  stopping ??= (async () => {
    await Promise.all([...running].map((s) => s.stop()));
    running.clear();
    await Promise.all(factories.map((f) => f.cleanup()));
    if (certDir) await Deno.remove(certDir, { recursive: true }).catch(() => {});
  })();
  return stopping;
}

const onSignal = () => {
  console.error("\nInterrupted: stopping servers");
  stopEverything().finally(() => Deno.exit(130));
};
Deno.addSignalListener("SIGINT", onSignal);
Deno.addSignalListener("SIGTERM", onSignal);

/**
 * Runs a scenario with the load generator; login and messages (`split`) in `--processes`
 * processes side by side, each with its share of the workers or pairs and its own resource
 * names, their results merged.
 */
async function load(
  server: ServerUnderTest,
  scenario: string,
  extra: string[],
  split = false,
): Promise<LoadResult> {
  const direct = scenario === "login-direct";
  const n = split ? processes : 1;
  const part = (total: number, i: number) => Math.floor(total / n) + (i < total % n ? 1 : 0);
  const results = await Promise.all(Array.from({ length: n }, (_, i) =>
    loadOne([
      "--port",
      String(direct ? server.tlsPort : server.port),
      "--tls",
      direct ? "direct" : tlsMode,
      "--concurrency",
      String(part(Number(values.concurrency), i)),
      "--pairs",
      String(part(Number(values.pairs), i)),
      "--resource-prefix",
      n > 1 ? `p${i}` : "",
      "--server-pid",
      String(server.pid),
      ...extra,
    ])));
  const result = n === 1 ? results[0] : mergeResults(results);
  result.scenario = scenario;
  return result;
}

async function loadOne(options: string[]): Promise<LoadResult> {
  const args = [
    "run",
    "-A",
    loadScript,
    // Every server has the same self-signed certificate for localhost.
    "--ca-file",
    `${certDir}/localhost.crt`,
    "--users",
    String(users),
    "--duration",
    values.duration!,
    "--window",
    values.window!,
    ...options,
  ];
  const out = await new Deno.Command(Deno.execPath(), { args, stdout: "piped", stderr: "inherit" })
    .output();
  const text = new TextDecoder().decode(out.stdout).trim().split("\n").at(-1) ?? "{}";
  return JSON.parse(text) as LoadResult;
}

/**
 * Results of processes that ran at the same time: rates, counts and errors add up; each
 * latency percentile is the worst of the processes' (an upper bound); server CPU per
 * operation is the server's CPU over the run (the mean of what the processes saw) divided by
 * all operations.
 */
function mergeResults(rs: LoadResult[]): LoadResult {
  const sum = (f: (r: LoadResult) => number | undefined) => rs.reduce((a, r) => a + (f(r) ?? 0), 0);
  const max = (f: (r: LoadResult) => number | undefined) => Math.max(...rs.map((r) => f(r) ?? 0));
  const count = sum((r) => r.count);
  const cpu = rs.every((r) => r.serverCpuMsPerOp !== undefined)
    ? sum((r) => r.serverCpuMsPerOp! * r.count) / rs.length
    : undefined;
  return {
    scenario: rs[0].scenario,
    rate: sum((r) => r.rate),
    count,
    errors: sum((r) => r.errors),
    errorSamples: rs.flatMap((r) => r.errorSamples ?? []).slice(0, 5),
    latencyMs: {
      p50: max((r) => r.latencyMs?.p50),
      p95: max((r) => r.latencyMs?.p95),
      p99: max((r) => r.latencyMs?.p99),
    },
    elapsedMs: max((r) => r.elapsedMs),
    serverCpuMsPerOp: cpu === undefined || count === 0 ? undefined : cpu / count,
    processes: rs.length,
  };
}

/** The TLS a server negotiates with OpenSSL's client over STARTTLS: version, cipher, key. */
async function tlsInfo(port: number): Promise<Record<string, string>> {
  try {
    const out = await new Deno.Command("openssl", {
      args: ["s_client", "-connect", `127.0.0.1:${port}`, "-starttls", "xmpp", "-xmpphost"]
        .concat(["localhost", "-servername", "localhost", "-brief"]),
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).output();
    const text = new TextDecoder().decode(out.stderr) + new TextDecoder().decode(out.stdout);
    const field = (name: string) => text.match(new RegExp(`${name}:\\s*(.*)`))?.[1]?.trim();
    return Object.fromEntries(
      Object.entries({
        version: field("Protocol version"),
        cipher: field("Ciphersuite"),
        signature: field("Signature type"),
        keyExchange: field("(?:Server|Negotiated) Temp Key") ?? field("Negotiated TLS1.3 group"),
      }).filter(([, v]) => v !== undefined),
    ) as Record<string, string>;
  } catch (e) {
    return { error: e instanceof Error ? e.message : String(e) };
  }
}

function median(xs: (number | undefined)[]): number | undefined {
  const s = xs.filter((x): x is number => typeof x === "number").sort((a, b) => a - b);
  if (!s.length) return undefined;
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

type Runs = Map<string, Map<string, LoadResult[]>>; // scenario → server → runs
const runs: Runs = new Map();
const versions: Record<string, string> = {};
const tlsInfos: Record<string, Record<string, string>> = {};
function record(scenario: string, server: string, r: LoadResult) {
  if (!runs.has(scenario)) runs.set(scenario, new Map());
  const m = runs.get(scenario)!;
  if (!m.has(server)) m.set(server, []);
  m.get(server)!.push(r);
  const main = scenario === "fanout"
    ? `${r.elapsedMs?.toFixed(0)} ms total, clients p50 ${r.latencyMs?.p50} ms p99 ` +
      `${r.latencyMs?.p99} ms, ${r.missing} of ${r.expected} missing`
    : r.rate !== undefined
    ? `${r.rate.toFixed(0)}/s p50 ${r.latencyMs?.p50} ms p99 ${r.latencyMs?.p99} ms`
    : `${r.rssPerConnectionKiB} KiB/conn (${r.connections} conns)`;
  console.log(`  ${scenario.padEnd(12)} ${server.padEnd(9)} ${main}  errors ${r.errors}`);
}

/** A /proc file; without --allow-all Deno refuses to read /proc/cpuinfo, so `cat` then. */
async function procFile(path: string): Promise<string> {
  try {
    return await Deno.readTextFile(path);
  } catch {
    return await run("cat", [path]).catch(() => "");
  }
}

async function machine(): Promise<Record<string, unknown>> {
  const cpu = (await procFile("/proc/cpuinfo")).match(/model name\s*:\s*(.*)/)?.[1];
  const mem = (await procFile("/proc/meminfo")).match(/MemTotal:\s*(\d+)/)?.[1];
  return {
    nproc: navigator.hardwareConcurrency,
    cpu,
    memoryMiB: mem ? Math.round(Number(mem) / 1024) : undefined,
    kernel: Deno.osRelease(),
    deno: Deno.version.deno,
    v8: Deno.version.v8,
    servers: versions,
    date: new Date().toISOString(),
  };
}

try {
  const base = 15200 + (Deno.pid % 500) * 3;
  // One certificate for all: the same key type (ECDSA P-256) and chain for every server.
  certDir = await Deno.makeTempDir({ prefix: "parley-bench-tls-" });
  await loadOrCreateSelfSigned(certDir, "localhost");
  const tls = (i: number): PeerTls => ({
    certPath: `${certDir}/localhost.crt`,
    keyPath: `${certDir}/localhost.key`,
    directPort: base + 2000 + i, // c2s ports are base + 0, 1, 2
  });
  const makers: [string, () => Promise<PeerFactory | undefined>][] = [
    // Equivalent settings: the peers run without an archive (no mod_mam), so Parley's
    // built-in one is unloaded unless asked for.
    ["parley", () =>
      Promise.resolve(
        parleyFactory(base, accounts, [], tls(0), values["parley-archive"] ? [] : ["--no-archive"]),
      )],
    ["prosody", () => prosodyFactory(base + 1, accounts, tls(1))],
    ["ejabberd", () => ejabberdFactory(base + 2, accounts, tls(2))],
  ];
  for (const [name, make] of makers) {
    if (!wanted.has(name)) continue;
    const f = await make();
    if (f) factories.push(f);
    else console.log(`${name} is not installed: skipped`);
  }

  const throughput = scenarios.filter((s) => s !== "idle" && s !== "fanout");
  if (throughput.length) {
    const servers: ServerUnderTest[] = [];
    for (const f of factories) {
      const s = await f.start();
      running.add(s);
      servers.push(s);
      versions[s.name] = s.version;
      tlsInfos[s.name] = await tlsInfo(s.port);
      console.log(`${s.name} TLS: ${JSON.stringify(tlsInfos[s.name])}`);
    }
    for (let round = 1; round <= rounds; round++) {
      console.log(`round ${round}/${rounds}`);
      for (const scenario of throughput) {
        for (const s of servers) {
          if (scenario === "login-direct" && s.tlsPort === undefined) continue;
          const extra = scenario === "login-plain"
            ? ["--scenario", "login", "--mechanism", "PLAIN"]
            : scenario.startsWith("login")
            ? ["--scenario", "login"]
            : ["--scenario", "messages"];
          record(scenario, s.name, await load(s, scenario, extra, true));
        }
      }
    }
    for (const s of servers) {
      await s.stop();
      running.delete(s);
    }
  }

  if (scenarios.includes("idle")) {
    for (const size of values["idle-sizes"]!.split(",").map(Number)) {
      for (let round = 1; round <= idleRounds; round++) {
        console.log(`idle ${size} round ${round}/${idleRounds}`);
        for (const f of factories) {
          const s = await f.start();
          running.add(s);
          versions[s.name] = s.version;
          try {
            const concurrency = ["--concurrency", "50", "--duration", "3"];
            record(
              `idle-${size}`,
              s.name,
              await load(s, `idle-${size}`, [
                "--scenario",
                "idle",
                "--connections",
                String(size),
                ...concurrency,
              ]),
            );
          } finally {
            await s.stop();
            running.delete(s);
          }
        }
      }
    }
  }

  if (scenarios.includes("fanout")) {
    const servers: ServerUnderTest[] = [];
    for (const f of factories) {
      const s = await f.start(fanout);
      running.add(s);
      servers.push(s);
      versions[s.name] = s.version;
    }
    for (let round = 1; round <= rounds; round++) {
      console.log(`fanout round ${round}/${rounds}`);
      for (const s of servers) {
        record(
          "fanout",
          s.name,
          await load(s, "fanout", [
            "--scenario",
            "fanout",
            "--users",
            String(fanout.users),
            "--contacts",
            String(fanout.contacts),
            "--concurrency",
            values["fanout-concurrency"]!,
            "--duration",
            values["fanout-timeout"]!,
          ]),
        );
      }
    }
    for (const s of servers) {
      await s.stop();
      running.delete(s);
    }
  }

  // Summary: medians per scenario and server, ratios parley / peer.
  const summary: Record<string, Record<string, Record<string, number | undefined>>> = {};
  const lines: string[] = [];
  const names = factories.map((f) => f.name);
  lines.push(
    `| scenario | metric | ${names.join(" | ")} | ${
      names.filter((n) => n !== "parley").map((n) => `parley/${n}`).join(" | ")
    } |`,
  );
  lines.push(
    `|---|---|${names.map(() => "---:").join("|")}|${names.slice(1).map(() => "---:").join("|")}|`,
  );
  for (const [scenario, byServer] of runs) {
    summary[scenario] = {};
    for (const [server, rs] of byServer) {
      summary[scenario][server] = {
        runs: rs.length,
        rate: median(rs.map((r) => r.rate)),
        p50: median(rs.map((r) => r.latencyMs?.p50)),
        p95: median(rs.map((r) => r.latencyMs?.p95)),
        p99: median(rs.map((r) => r.latencyMs?.p99)),
        rssPerConnectionKiB: median(rs.map((r) => r.rssPerConnectionKiB)),
        elapsedMs: median(rs.map((r) => r.elapsedMs)),
        missing: median(rs.map((r) => r.missing)),
        serverCpuMsPerOp: median(rs.map((r) => r.serverCpuMsPerOp)),
        errors: rs.reduce((a, r) => a + (r.errors ?? 0), 0),
      };
    }
    const metrics = scenario.startsWith("idle")
      ? [["rssPerConnectionKiB", "KiB/conn (lower is better)"]]
      : scenario === "fanout"
      ? [
        ["elapsedMs", "total ms (lower is better)"],
        ["p50", "client done p50 ms"],
        ["p99", "client done p99 ms"],
        ["missing", "presences missing"],
      ]
      : [["rate", scenario.startsWith("login") ? "logins/s" : "msgs/s"], ["p50", "p50 ms"], [
        "p99",
        "p99 ms",
      ], ["serverCpuMsPerOp", "server CPU ms per op"]];
    for (const [key, label] of metrics) {
      const cell = (n: string) => {
        const v = summary[scenario][n]?.[key];
        return v === undefined
          ? "–"
          : v >= 100
          ? v.toFixed(0)
          : v >= 1
          ? v.toFixed(2)
          : v.toFixed(3);
      };
      const ratio = (n: string) => {
        const a = summary[scenario].parley?.[key];
        const b = summary[scenario][n]?.[key];
        return a === undefined || b === undefined || b === 0 ? "–" : `${(a / b).toFixed(2)}×`;
      };
      lines.push(
        `| ${scenario} | ${label} | ${names.map(cell).join(" | ")} | ${
          names.filter((n) => n !== "parley").map(ratio).join(" | ")
        } |`,
      );
    }
  }
  const info = await machine();
  const errors = Object.values(summary).flatMap((s) => Object.entries(s))
    .filter(([, v]) => v.errors).map(([k, v]) => `${k}: ${v.errors}`);
  const md = [
    `# Parley vs Prosody vs ejabberd ${values.label}`,
    "",
    `Machine: ${info.nproc} CPUs (${info.cpu}), ${info.memoryMiB} MiB, Linux ${info.kernel}; ` +
    `Deno ${info.deno}; ${Object.entries(versions).map(([k, v]) => `${k} ${v}`).join(", ")}. ` +
    `${info.date}.`,
    "",
    `Medians of ${rounds} interleaved rounds on loopback; ` +
    (tlsMode === "none"
      ? "no TLS"
      : "STARTTLS (login-direct: direct TLS), ECDSA P-256 certificate") +
    `; load generator in ${processes} process(es) for login/messages; ${accounts} accounts; ` +
    [
      scenarios.some((s) => s.startsWith("login") || s === "messages")
        ? `${values.duration} s per login/messages run`
        : "",
      scenarios.some((s) => s.startsWith("login"))
        ? `login: ${values.concurrency} workers over ${users} users`
        : "",
      scenarios.includes("messages")
        ? `messages: ${values.pairs} pairs × ${values.window} in flight`
        : "",
      scenarios.includes("idle") ? `idle: ${idleRounds} rounds` : "",
      scenarios.includes("fanout")
        ? `fanout: ${fanout.users} users × ${fanout.contacts} mutual contacts, ` +
          `${values["fanout-concurrency"]} logins at a time, SCRAM-SHA-1 (PBKDF2 cached by an ` +
          `untimed login per user), roster get then initial presence, ` +
          `timeout ${values["fanout-timeout"]} s, times from the first connect`
        : "",
      values["parley-archive"]
        ? "Parley archives every message (XEP-0313), the peers do not"
        : "no server archives messages (Parley's XEP-0313 module unloaded, as the peers have no mod_mam)",
    ].filter(Boolean).join("; ") +
    ". Ratios are parley / peer.",
    "",
    ...lines,
    "",
    ...(Object.keys(tlsInfos).length
      ? [
        "TLS negotiated with `openssl s_client -starttls xmpp`: " +
        Object.entries(tlsInfos).map(([k, v]) =>
          `${k} ${
            [v.version, v.cipher, v.signature, v.keyExchange, v.error].filter(Boolean).join(", ")
          }`
        ).join("; ") + ".",
        "",
      ]
      : []),
    errors.length ? `Protocol errors: ${errors.join(", ")}` : "No protocol errors.",
    "",
  ].join("\n");
  console.log("\n" + md);
  await Deno.mkdir(values.out!, { recursive: true });
  const stamp = new Date().toISOString().replace(/[:.]/g, "-");
  const label = values.label ? `-${values.label}` : "";
  await Deno.writeTextFile(
    `${values.out}/compare-${stamp}${label}.json`,
    JSON.stringify(
      {
        machine: info,
        options: values,
        tls: tlsInfos,
        summary,
        runs: Object.fromEntries([...runs].map(([k, v]) => [k, Object.fromEntries(v)])),
      },
      null,
      2,
    ),
  );
  await Deno.writeTextFile(`${values.out}/compare-${stamp}${label}.md`, md);
} finally {
  await stopEverything();
  Deno.removeSignalListener("SIGINT", onSignal);
  Deno.removeSignalListener("SIGTERM", onSignal);
}

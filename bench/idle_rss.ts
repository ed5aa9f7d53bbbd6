/**
 * Resident memory of the idle standalone server (`adapters/cli/main.ts`, as `deno task start`
 * runs it, with its environment) for each storage choice: started on free ports with a temp data directory, left
 * idle, then VmRSS is read from /proc. Rounds run interleaved; medians are printed.
 *
 * ```sh
 * deno run -A bench/idle_rss.ts --rounds 3 --idle 5 --storage pglite,memory
 * ```
 *
 * `pglite` is measured on a restart (the data directory exists, as on every start but the
 * first) and `pglite-first` on a fresh data directory (the start that runs initdb).
 * `--idle 5,30` reads VmRSS at each of those seconds after start-up (V8's memory reducer first
 * runs about 8 s after the last activity); `--v8 ";--max-semi-space-size=1"` measures each storage
 * once per V8 flag set (separated by `;`, the empty set being the default).
 *
 * @module
 */
import { parseArgs } from "node:util";
import { startTaskEnv } from "./peers/parley.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    rounds: { type: "string", default: "3" },
    idle: { type: "string", default: "5" },
    storage: { type: "string", default: "memory,pglite,pglite-first" },
    v8: { type: "string", default: "" },
  },
});

const root = new URL("../", import.meta.url).pathname;
const main = `${root}adapters/cli/main.ts`;
const config = `${root}deno.server.json`;

const checkpoints = values.idle!.split(",").map(Number);
const variants = values.v8!.split(";").map((v) => v.trim());

/** Starts the server, waits for "Serving" and each idle checkpoint, returns VmRSS/VmHWM in KiB. */
async function measure(
  storage: string,
  dataDir: string,
  v8: string,
): Promise<{ rss: number; hwm: number }[]> {
  const kind = storage.startsWith("pglite") ? "pglite" : storage;
  const child = new Deno.Command(Deno.execPath(), {
    env: await startTaskEnv(),
    args: [
      "run",
      ...(v8 ? [`--v8-flags=${v8.split(/\s+/).join(",")}`] : []),
      "--config",
      config,
      "--allow-net",
      "--allow-read",
      "--allow-write",
      "--allow-env",
      "--allow-sys",
      main,
      ...["--storage", kind, "--data", dataDir, "--hostname", "127.0.0.1"],
      ...["--c2s-port", "0", "--tls-port", "0", "--http-port", "0", "--log-level", "info"],
    ],
    stdout: "null",
    stderr: "piped", // the console logger writes to standard error
  }).spawn();
  try {
    await waitForLine(child.stderr, "Serving");
    const started = performance.now();
    const samples = [];
    for (const seconds of checkpoints) {
      const wait = seconds * 1000 - (performance.now() - started);
      await new Promise((r) => setTimeout(r, Math.max(0, wait)));
      const status = await Deno.readTextFile(`/proc/${child.pid}/status`);
      const kib = (key: string) => Number(status.match(new RegExp(`${key}:\\s+(\\d+)`))?.[1]);
      samples.push({ rss: kib("VmRSS"), hwm: kib("VmHWM") });
    }
    return samples;
  } finally {
    child.kill("SIGTERM");
    await child.status;
  }
}

async function waitForLine(stream: ReadableStream<Uint8Array>, text: string): Promise<void> {
  const reader = stream.pipeThrough(new TextDecoderStream()).getReader();
  let seen = "";
  while (!seen.includes(text)) {
    const { value, done } = await reader.read();
    if (done) throw new Error(`Server exited before logging "${text}"`);
    seen += value;
  }
  // Keep draining so the server never blocks on a full pipe.
  void (async () => {
    while (!(await reader.read()).done) { /* discard */ }
  })().catch(() => {});
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

const kinds = values.storage!.split(",");
const label = (kind: string, v8: string, seconds: number) =>
  `${kind}${v8 ? ` [${v8}]` : ""} @${seconds}s`;
const results = new Map<string, { rss: number; hwm: number }[]>();
const restartDir = await Deno.makeTempDir({ prefix: "parley-idle-" });
try {
  if (kinds.includes("pglite")) await measure("pglite", restartDir, ""); // creates the database
  for (let round = 1; round <= Number(values.rounds); round++) {
    for (const kind of kinds) {
      for (const v8 of variants) {
        const fresh = kind === "pglite" ? undefined : await Deno.makeTempDir({ prefix: "parley-" });
        try {
          const samples = await measure(kind, fresh ?? restartDir, v8);
          samples.forEach((r, i) => {
            const key = label(kind, v8, checkpoints[i]);
            results.set(key, [...(results.get(key) ?? []), r]);
            console.log(
              `round ${round} ${key.padEnd(24)} VmRSS ${(r.rss / 1024).toFixed(1)} MiB ` +
                `(peak ${(r.hwm / 1024).toFixed(1)} MiB)`,
            );
          });
        } finally {
          if (fresh) await Deno.remove(fresh, { recursive: true });
        }
      }
    }
  }
} finally {
  await Deno.remove(restartDir, { recursive: true });
}
console.log(`\nIdle server, median of ${values.rounds} rounds:`);
for (const [key, rs] of results) {
  const rss = median(rs.map((r) => r.rss)) / 1024;
  const hwm = median(rs.map((r) => r.hwm)) / 1024;
  console.log(`  ${key.padEnd(24)} ${rss.toFixed(1)} MiB resident (peak ${hwm.toFixed(1)} MiB)`);
}

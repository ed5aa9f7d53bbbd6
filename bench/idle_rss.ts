/**
 * Resident memory of the idle standalone server (`adapters/cli/main.ts`, as `deno task start`
 * runs it) for each storage choice: started on free ports with a temp data directory, left
 * idle, then VmRSS is read from /proc. Rounds run interleaved; medians are printed.
 *
 * ```sh
 * deno run -A bench/idle_rss.ts --rounds 3 --idle 5 --storage pglite,memory
 * ```
 *
 * `pglite` is measured on a restart (the data directory exists, as on every start but the
 * first) and `pglite-first` on a fresh data directory (the start that runs initdb).
 *
 * @module
 */
import { parseArgs } from "node:util";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    rounds: { type: "string", default: "3" },
    idle: { type: "string", default: "5" },
    storage: { type: "string", default: "memory,pglite,pglite-first" },
  },
});

const root = new URL("../", import.meta.url).pathname;
const main = `${root}adapters/cli/main.ts`;
const config = `${root}deno.server.json`;

/** Starts the server, waits for "Serving" and the idle time, returns VmRSS/VmHWM in KiB. */
async function measure(storage: string, dataDir: string): Promise<{ rss: number; hwm: number }> {
  const kind = storage.startsWith("pglite") ? "pglite" : storage;
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
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
    await new Promise((r) => setTimeout(r, Number(values.idle) * 1000));
    const status = await Deno.readTextFile(`/proc/${child.pid}/status`);
    const kib = (key: string) => Number(status.match(new RegExp(`${key}:\\s+(\\d+)`))?.[1]);
    return { rss: kib("VmRSS"), hwm: kib("VmHWM") };
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
const results = new Map<string, { rss: number; hwm: number }[]>(kinds.map((k) => [k, []]));
const restartDir = await Deno.makeTempDir({ prefix: "parley-idle-" });
try {
  if (kinds.includes("pglite")) await measure("pglite", restartDir); // creates the database
  for (let round = 1; round <= Number(values.rounds); round++) {
    for (const kind of kinds) {
      const fresh = kind === "pglite" ? undefined : await Deno.makeTempDir({ prefix: "parley-" });
      try {
        const r = await measure(kind, fresh ?? restartDir);
        results.get(kind)!.push(r);
        console.log(
          `round ${round} ${kind.padEnd(13)} VmRSS ${(r.rss / 1024).toFixed(1)} MiB ` +
            `(peak ${(r.hwm / 1024).toFixed(1)} MiB)`,
        );
      } finally {
        if (fresh) await Deno.remove(fresh, { recursive: true });
      }
    }
  }
} finally {
  await Deno.remove(restartDir, { recursive: true });
}
console.log(`\nIdle server, median of ${values.rounds} rounds after ${values.idle} s idle:`);
for (const [kind, rs] of results) {
  const rss = median(rs.map((r) => r.rss)) / 1024;
  const hwm = median(rs.map((r) => r.hwm)) / 1024;
  console.log(`  ${kind.padEnd(13)} ${rss.toFixed(1)} MiB resident (peak ${hwm.toFixed(1)} MiB)`);
}

/**
 * Creates a PGlite data directory (initdb) in a worker, so that the memory initdb needs (a
 * second PostgreSQL instance and copies of its heap) goes with the worker's isolate instead
 * of staying in the server's. initdb writes into `.initdb/` inside the data directory (it
 * refuses a directory holding anything, and the data directory holds the lock file); the
 * entries are then renamed into place, `PG_VERSION` last, so that a crash midway leaves no
 * `PG_VERSION` and the next start runs initdb again. Message in: `{ dataDir, startParams }`;
 * out: `{ ok }` or `{ error }`.
 *
 * @module
 */
/// <reference lib="deno.worker" />
import { MemoryFS, PGlite } from "@electric-sql/pglite";
import { join, resolve } from "node:path";

type InitOptions = Parameters<MemoryFS["init"]>[1];

/**
 * The data directory mounted as PGlite's NodeFS does it, but typed as a MemoryFS. PGlite lets
 * initdb write straight into a MemoryFS (through PROXYFS); for any other filesystem it runs
 * initdb in memory, packs the cluster into a tar `File` (40 MB) and unpacks it into the
 * directory. Deno keeps a `File`'s bytes in a process-wide blob store until the `File` is
 * garbage collected, which never happens in a worker that is terminated first: the server
 * kept the 39 MiB tar resident for good. Written through the mount, files reach the directory
 * by the same NODEFS calls as the server's later writes.
 */
class DirectDataDir extends MemoryFS {
  readonly #root: string;

  constructor(root: string) {
    super();
    this.#root = resolve(root);
  }

  override async init(pg: PGlite, options: InitOptions): Promise<{ emscriptenOpts: InitOptions }> {
    const { emscriptenOpts } = await super.init(pg, options);
    const root = this.#root;
    return {
      emscriptenOpts: {
        ...emscriptenOpts,
        preRun: [...(emscriptenOpts.preRun ?? []), (mod) => {
          mod.FS.mkdirTree(PGlite.paths.PGDATA);
          mod.FS.mount(mod.NODEFS, { root }, PGlite.paths.PGDATA);
        }],
      },
    };
  }
}

async function initdb(dataDir: string, startParams: string[]): Promise<void> {
  const scratch = join(dataDir, ".initdb");
  await Deno.remove(scratch, { recursive: true }).catch((e) => {
    if (!(e instanceof Deno.errors.NotFound)) throw e;
  });
  await Deno.mkdir(scratch, { mode: 0o700 });
  const client = await PGlite.create({
    fs: new DirectDataDir(scratch),
    relaxedDurability: false,
    startParams,
  });
  await client.close();
  const names: string[] = [];
  for await (const entry of Deno.readDir(scratch)) names.push(entry.name);
  names.sort((a, b) => Number(a === "PG_VERSION") - Number(b === "PG_VERSION"));
  for (const name of names) {
    // Left by a crash in an earlier move (no PG_VERSION, so this start runs initdb again).
    await Deno.remove(join(dataDir, name), { recursive: true }).catch((e) => {
      if (!(e instanceof Deno.errors.NotFound)) throw e;
    });
    await Deno.rename(join(scratch, name), join(dataDir, name));
  }
  await Deno.remove(scratch);
}

self.onmessage = async (e: MessageEvent<{ dataDir: string; startParams: string[] }>) => {
  try {
    await initdb(e.data.dataDir, e.data.startParams);
    self.postMessage({ ok: true });
  } catch (error) {
    self.postMessage({ error: error instanceof Error ? error.message : String(error) });
  }
};

/**
 * The filesystem {@linkcode FileStore}: `<root>/<slot id>/<filename>`, with the content type
 * and time in `<root>/<slot id>.json`. A file is written to `<root>/<slot id>.part` first and
 * renamed into place once complete, so a reader never sees half a file.
 *
 * @module
 */
import { join } from "node:path";
import type { ByteRange, FileStore, StoredFile } from "../../src/storage/file_store.ts";

interface Meta {
  readonly contentType: string;
  readonly size: number;
  readonly created: number;
}

const SLOT = /^[A-Za-z0-9_-]{8,128}$/;
/** A `.part` file this old is an upload that never finished. */
const STALE_PART_MS = 86_400_000;

function split(key: string): [string, string] {
  const at = key.indexOf("/");
  const slot = key.slice(0, at);
  const name = key.slice(at + 1);
  // The handler checks both already; the store refuses to leave its root regardless.
  if (
    at < 0 || !SLOT.test(slot) || !name || name === "." || name === ".." || /[/\\\0]/.test(name)
  ) {
    throw new RangeError(`Cannot use the file key "${key}"`);
  }
  return [slot, name];
}

async function copyExactly(
  body: ReadableStream<Uint8Array>,
  file: Deno.FsFile,
  size: number,
): Promise<void> {
  let written = 0;
  for await (const chunk of body) {
    written += chunk.length;
    if (written > size) throw new RangeError(`Cannot store the file: more than ${size} bytes`);
    let at = 0;
    while (at < chunk.length) at += await file.write(chunk.subarray(at));
  }
  if (written !== size) throw new RangeError(`Cannot store the file: ${written} of ${size} bytes`);
}

/**
 * Keeps uploaded files in a directory (created when missing).
 *
 * @param root The directory, e.g. `./data/uploads`.
 * @returns The store.
 * @example
 * ```ts ignore
 * import { fsFileStore, mountUpload } from "@parley/server/hono-websocket";
 * mountUpload(app, { secret, store: fsFileStore("./data/uploads") });
 * ```
 */
export function fsFileStore(root: string): FileStore {
  let ready: Promise<void> | undefined;
  const mkroot = () => ready ??= Deno.mkdir(root, { recursive: true });
  return {
    async put(key, body, info) {
      const [slot, name] = split(key);
      await mkroot();
      const part = join(root, `${slot}.part`);
      let file: Deno.FsFile;
      try {
        // createNew: of two PUTs to one slot, one wins.
        file = await Deno.open(part, { write: true, createNew: true, mode: 0o600 });
      } catch (e) {
        if (e instanceof Deno.errors.AlreadyExists) return "exists";
        throw e;
      }
      try {
        if (await exists(join(root, `${slot}.json`))) return "exists";
        await copyExactly(body, file, info.size);
        file.close();
        await Deno.mkdir(join(root, slot), { recursive: true });
        await Deno.rename(part, join(root, slot, name));
        const meta: Meta = { ...info, created: info.created.getTime() };
        await Deno.writeTextFile(join(root, `${slot}.json`), JSON.stringify(meta));
        return "stored";
      } finally {
        try {
          file.close();
        } catch { /* closed already */ }
        await Deno.remove(part).catch(() => {});
      }
    },
    async head(key) {
      const [slot] = split(key);
      const meta = await readMeta(join(root, `${slot}.json`));
      return meta && { ...meta, created: new Date(meta.created) };
    },
    async get(key, range) {
      const [slot, name] = split(key);
      const meta = await readMeta(join(root, `${slot}.json`));
      if (!meta) return undefined;
      let file: Deno.FsFile;
      try {
        file = await Deno.open(join(root, slot, name), { read: true });
      } catch {
        return undefined;
      }
      const stored: StoredFile = {
        contentType: meta.contentType,
        size: meta.size,
        created: new Date(meta.created),
        body: range ? await slice(file, range) : file.readable,
      };
      return stored;
    },
    async deleteOlderThan(cutoff) {
      let n = 0;
      let entries: Deno.DirEntry[];
      try {
        entries = await Array.fromAsync(Deno.readDir(root));
      } catch (e) {
        if (e instanceof Deno.errors.NotFound) return 0;
        throw e;
      }
      for (const entry of entries) {
        const path = join(root, entry.name);
        if (entry.name.endsWith(".json")) {
          const meta = await readMeta(path);
          if (!meta || meta.created >= cutoff.getTime()) continue;
          // The metadata goes first: once it is gone, the file is no longer served.
          await Deno.remove(path);
          await Deno.remove(path.slice(0, -5), { recursive: true }).catch(() => {});
          n++;
        } else if (entry.name.endsWith(".part")) {
          const stat = await Deno.stat(path).catch(() => undefined);
          if (stat?.mtime && stat.mtime.getTime() < Date.now() - STALE_PART_MS) {
            await Deno.remove(path).catch(() => {});
          }
        }
      }
      return n;
    },
  };
}

function readMeta(path: string): Promise<Meta | undefined> {
  return Deno.readTextFile(path).then((text) => JSON.parse(text) as Meta, () => undefined);
}

/** Bytes `start` to `end` of an open file, as a stream that closes the file. */
async function slice(file: Deno.FsFile, range: ByteRange): Promise<ReadableStream<Uint8Array>> {
  await file.seek(range.start, Deno.SeekMode.Start);
  let left = range.end - range.start + 1;
  return new ReadableStream<Uint8Array>({
    async pull(ctl) {
      const buf = new Uint8Array(Math.min(65_536, left));
      const n = left > 0 ? await file.read(buf) : null;
      if (n === null) {
        file.close();
        ctl.close();
        return;
      }
      left -= n;
      ctl.enqueue(buf.subarray(0, n));
    },
    cancel: () => file.close(),
  });
}

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch {
    return false;
  }
}

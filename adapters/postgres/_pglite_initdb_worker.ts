/**
 * Creates a PGlite data directory (initdb) in a worker, so that the memory initdb needs (a
 * second PostgreSQL instance and copies of its heap) goes with the worker's isolate instead
 * of staying in the server's. Message in: `{ dataDir, startParams }`; out: `{ ok }` or
 * `{ error }`.
 *
 * @module
 */
/// <reference lib="deno.worker" />
import { PGlite } from "@electric-sql/pglite";

self.onmessage = async (e: MessageEvent<{ dataDir: string; startParams: string[] }>) => {
  try {
    const client = await PGlite.create({
      dataDir: e.data.dataDir,
      relaxedDurability: false,
      startParams: e.data.startParams,
    });
    await client.close();
    self.postMessage({ ok: true });
  } catch (error) {
    self.postMessage({ error: error instanceof Error ? error.message : String(error) });
  }
};

import assert from "node:assert/strict";
import type { BareJid } from "../../../src/jid/jid.ts";
import type { Credentials } from "../../../src/storage/account_store.ts";
import { pgliteStorage } from "../../../adapters/postgres/pglite.ts";
import { storageContract } from "../../storage/contract.ts";

storageContract("PGlite (in memory)", { open: () => pgliteStorage() });

Deno.test({
  name: "pgliteStorage() refuses a data directory another storage has open, and keeps data",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "parley-pglite-" });
    try {
      const first = await pgliteStorage({ dataDir: dir }); // initdb runs in a worker
      assert.ok((await Deno.stat(`${dir}/PG_VERSION`)).isFile);
      await first.accounts.create("a@b" as BareJid, CREDENTIALS);
      await assert.rejects(pgliteStorage({ dataDir: dir }), /another process has it open/);
      await first.close();
      const again = await pgliteStorage({ dataDir: dir });
      assert.deepEqual(await again.accounts.list(), ["a@b"]);
      await again.close();
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name: "pgliteStorage() runs initdb again over a first start that stopped midway",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "parley-pglite-" });
    try {
      // What a crash leaves: initdb's scratch directory and entries already moved, no PG_VERSION.
      await Deno.mkdir(`${dir}/.initdb/base`, { recursive: true });
      await Deno.mkdir(`${dir}/global`);
      await Deno.writeTextFile(`${dir}/global/stale`, "x");
      const storage = await pgliteStorage({ dataDir: dir });
      await storage.accounts.create("a@b" as BareJid, CREDENTIALS);
      await storage.close();
      await assert.rejects(Deno.stat(`${dir}/.initdb`), Deno.errors.NotFound);
      await assert.rejects(Deno.stat(`${dir}/global/stale`), Deno.errors.NotFound);
      const again = await pgliteStorage({ dataDir: dir });
      assert.deepEqual(await again.accounts.list(), ["a@b"]);
      await again.close();
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

const SCRAM = { salt: "c2FsdA==", iterations: 4096, storedKey: "a2V5", serverKey: "a2V5" };
const CREDENTIALS: Credentials = { sha1: SCRAM, sha256: SCRAM };

Deno.test({
  name: "pgliteStorage() lets other sockets in while one caller runs query after query",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    // PGlite never waits for the event loop: without a gate, a caller awaiting query after
    // query (a pipelined flood) holds the thread until it is done, and a socket echo beside it
    // gets no answer at all (issue #10).
    const storage = await pgliteStorage();
    const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const client = await Deno.connect({ hostname: "127.0.0.1", port: listener.addr.port });
    const server = await listener.accept();
    // Round trips counted are those begun and ended while the flood runs.
    let phase = "warm-up" as "warm-up" | "flood" | "done";
    let warm = 0;
    let echoes = 0;
    const pong = (async () => {
      const b = new Uint8Array(1);
      while (await server.read(b) !== null) await server.write(b);
    })();
    const ping = (async () => {
      const b = new Uint8Array(1);
      while (phase !== "done") {
        const during = phase === "flood";
        await client.write(b);
        if (await client.read(b) === null) return;
        if (during && phase === "flood") echoes++;
        else warm++;
      }
    })();
    try {
      while (warm === 0) await new Promise((r) => setTimeout(r, 0));
      phase = "flood";
      for (let i = 0; i < 2000; i++) await storage.accounts.exists(`u${i}@pglite.test` as BareJid);
      phase = "done";
      assert.ok(echoes > 0, "no socket round trip during 2,000 queries");
    } finally {
      phase = "done";
      client.close();
      await ping.catch(() => {});
      server.close();
      await pong.catch(() => {});
      listener.close();
      await storage.close();
    }
  },
});

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
      const first = await pgliteStorage({ dataDir: dir });
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

const SCRAM = { salt: "c2FsdA==", iterations: 4096, storedKey: "a2V5", serverKey: "a2V5" };
const CREDENTIALS: Credentials = { sha1: SCRAM, sha256: SCRAM };

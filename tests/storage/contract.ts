// The storage contract: one suite every Storage implementation must pass (memory, PGlite,
// PostgreSQL). Each case uses its own owners and namespaces, so one storage instance serves the
// whole suite.
import type { Storage } from "../../src/storage/storage.ts";
import { ARCHIVE_CASES } from "./_contract_archive.ts";
import { BULK_CASES } from "./_contract_bulk.ts";
import { CORE_CASES } from "./_contract_core.ts";
import { DOCUMENT_CASES } from "./_contract_documents.ts";

/** How a test file provides an implementation: a fresh storage and its clean-up. */
export interface ContractTarget {
  open(): Promise<Storage>;
  /** Runs after `storage.close()`; leaves the database as it was found. */
  cleanup?(): Promise<void>;
}

const CASES: Record<string, (s: Storage) => Promise<void>> = {
  ...CORE_CASES,
  ...DOCUMENT_CASES,
  ...ARCHIVE_CASES,
  ...BULK_CASES,
};

/**
 * Registers the contract suite for one implementation as one Deno test with a step per case.
 */
export function storageContract(
  name: string,
  target: ContractTarget,
  options: { ignore?: boolean } = {},
): void {
  Deno.test({
    name: `${name} storage passes the storage contract`,
    ignore: options.ignore,
    sanitizeOps: false,
    sanitizeResources: false,
    async fn(t) {
      const storage = await target.open();
      try {
        for (const [caseName, run] of Object.entries(CASES)) {
          await t.step(caseName, () => run(storage));
        }
      } finally {
        await storage.close();
        await target.cleanup?.();
      }
    },
  });
}

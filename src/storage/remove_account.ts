/**
 * Removing an account with everything stored for it (XEP-0077 §3.2, `deno task user remove`).
 *
 * @module
 */
import type { BareJid } from "../jid/jid.ts";
import type { Storage } from "./storage.ts";

/**
 * Removes an account's data from every store, then the account itself: should a store fail,
 * the account is still there and the removal can be run again.
 *
 * @param storage The server's stores.
 * @param jid The account.
 * @returns `false` when there was no such account (its data, if any, is removed all the same).
 * @example
 * ```ts
 * import { removeAccount } from "./remove_account.ts";
 * import { memoryStorage } from "./memory.ts";
 * import type { BareJid } from "../jid/jid.ts";
 * const storage = memoryStorage();
 * if (await removeAccount(storage, "nobody@localhost" as BareJid)) throw new Error();
 * ```
 */
export async function removeAccount(storage: Storage, jid: BareJid): Promise<boolean> {
  await Promise.all([
    storage.roster.removeAll(jid),
    storage.offline.removeAll(jid),
    storage.vcard.set(jid, undefined),
    storage.privateXml.removeAll(jid),
    storage.blocklist.remove(jid, undefined),
    storage.archive.removeAll(jid),
    storage.pubsub.removeAll(jid),
  ]);
  return await storage.accounts.remove(jid);
}

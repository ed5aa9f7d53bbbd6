import assert from "node:assert/strict";
import type { BareJid } from "../../src/jid/jid.ts";
import { deriveCredentials } from "../../src/sasl/credentials.ts";
import { memoryStorage } from "../../src/storage/memory.ts";
import { removeAccount } from "../../src/storage/remove_account.ts";

Deno.test("removeAccount() removes the account and its stored data, once", async () => {
  const storage = memoryStorage();
  const alice = "alice@localhost" as BareJid;
  const bob = "bob@localhost" as BareJid;
  await storage.accounts.create(alice, await deriveCredentials("pw", { iterations: 4096 }));
  await storage.roster.setItem(alice, {
    jid: bob,
    name: undefined,
    groups: [],
    subscription: "both",
    ask: false,
    approved: false,
  });
  await storage.offline.push(alice, "<message xmlns='jabber:client'/>", new Date(0), 10);
  await storage.vcard.set(alice, "<vCard xmlns='vcard-temp'/>");
  await storage.blocklist.add(alice, ["eve@localhost"]);

  assert.equal(await removeAccount(storage, alice), true);
  assert.equal(await storage.accounts.exists(alice), false);
  assert.deepEqual((await storage.roster.get(alice)).items, []);
  assert.equal(await storage.offline.count(alice), 0);
  assert.equal(await storage.vcard.get(alice), undefined);
  assert.deepEqual(await storage.blocklist.list(alice), []);
  assert.equal(await removeAccount(storage, alice), false);
});

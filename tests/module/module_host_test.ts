import assert from "node:assert/strict";
import { HookRegistry } from "../../src/hooks/hook_registry.ts";
import { IqRegistry } from "../../src/hooks/iq_registry.ts";
import type { ServerHooks } from "../../src/hooks/server_hooks.ts";
import type { BareJid } from "../../src/jid/jid.ts";
import { DomainTable } from "../../src/router/domains.ts";
import type { Router } from "../../src/router/router.ts";
import { silentLogger } from "../../src/base/logger.ts";
import { ModuleHost } from "../../src/module/module_host.ts";
import { memoryStorage } from "../../src/storage/memory.ts";

function host(): ModuleHost {
  return new ModuleHost({
    domains: ["localhost"],
    domainTable: new DomainTable(["localhost"]),
    router: {} as Router,
    storage: memoryStorage(),
    logger: silentLogger,
    hooks: new HookRegistry<ServerHooks>(),
    iqs: new IqRegistry(),
    software: { name: "Parley", version: "0" },
    accountExists: () => Promise.resolve(true),
    removeAccount: () => Promise.resolve(true),
    now: () => new Date(0),
    randomId: () => "id",
  });
}

Deno.test("ModuleHost.discoAccountItems() asks every provider until its module is unloaded", async () => {
  const h = host();
  const alice = "alice@localhost" as BareJid;
  const bob = "bob@localhost" as BareJid;
  await h.load({
    name: "nodes",
    setup(api) {
      api.accountItems((owner, requester) =>
        Promise.resolve(requester === owner ? [{ jid: owner, node: "private" }] : [])
      );
    },
  });
  await h.load({
    name: "more",
    setup(api) {
      api.accountItems((owner) => Promise.resolve([{ jid: owner, node: "public" }]));
    },
  });
  assert.deepEqual(await h.discoAccountItems(alice, alice), [
    { jid: alice, node: "private" },
    { jid: alice, node: "public" },
  ]);
  assert.deepEqual(await h.discoAccountItems(alice, bob), [{ jid: alice, node: "public" }]);
  await h.unload("more");
  assert.deepEqual(await h.discoAccountItems(alice, bob), []);
  assert.deepEqual(await h.discoAccountItems(alice, alice), [{ jid: alice, node: "private" }]);
});

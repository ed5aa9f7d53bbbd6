import assert from "node:assert/strict";
import { classify } from "../../src/router/classify.ts";
import { DomainTable } from "../../src/router/domains.ts";
import { parseJid } from "../../src/jid/jid.ts";

Deno.test("classify() tells server, bare, full, component and remote destinations apart", () => {
  const domains = new DomainTable(["localhost"]);
  domains.addComponent("conference.localhost", () => undefined);
  const kinds = [
    "localhost",
    "localhost/x",
    "alice@localhost",
    "alice@localhost/r",
    "conference.localhost",
    "room@conference.localhost/nick",
    "a@other",
    "other",
  ]
    .map((j) => classify(parseJid(j), domains).kind);
  assert.deepEqual(kinds, [
    "server",
    "server",
    "bare",
    "full",
    "component",
    "component",
    "remote",
    "remote",
  ]);
});

Deno.test("DomainTable refuses a component on a hosted or taken domain, and removes it", () => {
  const domains = new DomainTable(["localhost"]);
  assert.throws(() => domains.addComponent("localhost", () => undefined), Error);
  const remove = domains.addComponent("pubsub.localhost", () => undefined);
  assert.throws(() => domains.addComponent("pubsub.localhost", () => undefined), Error);
  assert.deepEqual(domains.components(), ["pubsub.localhost"]);
  remove();
  assert.equal(domains.kind("pubsub.localhost"), "remote");
});

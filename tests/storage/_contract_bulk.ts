// The storage contract, part four: one query for many owners (a login's probes, block lists
// and PEP last items), both sides of a subscription change in one transaction, and bursts of
// offline messages.
import assert from "node:assert/strict";
import type { BareJid } from "../../src/jid/jid.ts";
import type { Storage } from "../../src/storage/storage.ts";
import { item, jid } from "./_contract_util.ts";

export const BULK_CASES: Record<string, (s: Storage) => Promise<void>> = {
  async "roster: itemsAbout() reads many owners' items about one contact"(s) {
    const user = jid("user@about.test");
    const owners = [0, 1, 2, 3].map((i) => jid(`c${i}@about.test`));
    await s.roster.setItem(owners[0], item(user, { subscription: "from" }));
    await s.roster.setItem(
      owners[1],
      item(user, { subscription: "both", name: "U", groups: ["g"] }),
    );
    await s.roster.setItem(owners[1], item("else@about.test", { subscription: "both" }));
    await s.roster.setItem(owners[3], item("else@about.test", { subscription: "to" }));
    const found = await s.roster.itemsAbout(user, [...owners, owners[0], jid("nobody@about.test")]);
    assert.deepEqual(
      new Map([...found].sort(([a], [b]) => a < b ? -1 : 1)),
      new Map([
        [owners[0], item(user, { subscription: "from" })],
        [owners[1], item(user, { subscription: "both", name: "U", groups: ["g"] })],
      ]),
    );
    assert.deepEqual(await s.roster.itemsAbout(user, []), new Map());
    for (const o of owners) await s.roster.removeAll(o);
  },

  async "roster: apply() changes both rosters and the pending request together"(s) {
    const alice = jid("alice@apply.test");
    const bob = jid("bob@apply.test");
    await s.roster.setItem(alice, item(bob, { subscription: "none", ask: true }));
    await s.roster.addPending(bob, { from: alice, stanza: "<presence type='subscribe'/>" });
    await s.roster.addPending(bob, { from: jid("carol@apply.test"), stanza: "<presence/>" });
    const before = {
      alice: (await s.roster.get(alice)).version,
      bob: (await s.roster.get(bob)).version,
    };
    // Bob approves Alice's request (RFC 6121 §3.1.5): Bob's item gains "from", Alice's "to",
    // the request is gone.
    const results = await s.roster.apply([
      { op: "set", owner: bob, item: item(alice, { subscription: "from" }) },
      { op: "removePending", owner: bob, from: alice },
      { op: "set", owner: alice, item: item(bob, { subscription: "to" }) },
      { op: "removePending", owner: bob, from: alice },
      { op: "remove", owner: alice, contact: jid("nobody@apply.test") },
      { op: "addPending", owner: alice, pending: { from: bob, stanza: "<presence n='1'/>" } },
    ]);
    const bobV = (await s.roster.get(bob)).version;
    const aliceV = (await s.roster.get(alice)).version;
    assert.deepEqual(results, [
      { changed: true, version: bobV },
      { changed: true },
      { changed: true, version: aliceV },
      { changed: false },
      { changed: false },
      { changed: true },
    ]);
    assert.notEqual(bobV, before.bob);
    assert.notEqual(aliceV, before.alice);
    assert.deepEqual(await s.roster.getItem(bob, alice), item(alice, { subscription: "from" }));
    assert.deepEqual(await s.roster.getItem(alice, bob), item(bob, { subscription: "to" }));
    assert.deepEqual((await s.roster.listPending(bob)).map((p) => p.from), ["carol@apply.test"]);
    assert.deepEqual(await s.roster.listPending(alice), [
      { from: bob, stanza: "<presence n='1'/>" },
    ]);
    // Roster versioning sees the change as any other (RFC 6121 §2.6.3).
    assert.deepEqual(await s.roster.changesSince(alice, before.alice), {
      version: aliceV,
      changed: [item(bob, { subscription: "to" })],
      removed: [],
    });
    // Two changes of one owner in one batch: in order, each with its own version.
    const two = await s.roster.apply([
      { op: "set", owner: alice, item: item(bob, { subscription: "both" }) },
      { op: "remove", owner: alice, contact: bob },
    ]);
    assert.equal(two[0].changed && two[1].changed, true);
    assert.ok(Number(two[1].version) > Number(two[0].version));
    assert.equal(await s.roster.getItem(alice, bob), undefined);
    assert.deepEqual(await s.roster.apply([]), []);
    await s.roster.removeAll(alice);
    await s.roster.removeAll(bob);
  },

  async "roster: concurrent apply() on the same two rosters in opposite orders all commit"(s) {
    // Each batch touches both owners, listed in either order: a driver that locks rows in the
    // order given could deadlock; every change must commit.
    const a = jid("a@deadlock.test");
    const b = jid("b@deadlock.test");
    const runs = Array.from({ length: 20 }, (_, i) => {
      const first = i % 2 ? a : b;
      const second = i % 2 ? b : a;
      return s.roster.apply([
        { op: "set", owner: first, item: item(second, { name: `n${i}` }) },
        { op: "addPending", owner: second, pending: { from: first, stanza: `<p n='${i}'/>` } },
        { op: "set", owner: second, item: item(first, { name: `n${i}` }) },
        { op: "removePending", owner: first, from: second },
      ]);
    });
    const results = await Promise.all(runs);
    assert.equal(results.length, 20);
    // Every batch set both items: each roster's version went up by 20.
    assert.equal(await s.roster.count(a), 1);
    assert.equal((await s.roster.changesSince(a, "0"))?.version, "20");
    assert.equal((await s.roster.changesSince(b, "0"))?.version, "20");
    await s.roster.removeAll(a);
    await s.roster.removeAll(b);
  },

  async "blocklist: listMany() reads many owners' lists at once"(s) {
    const owners = [0, 1, 2].map((i) => jid(`o${i}@blocks.test`));
    await s.blocklist.add(owners[0], ["z@x", "user@blocks.test", "blocks.test"]);
    await s.blocklist.add(owners[2], ["user@blocks.test/phone"]);
    await s.blocklist.add(jid("unasked@blocks.test"), ["user@blocks.test"]);
    const lists = await s.blocklist.listMany(owners);
    assert.deepEqual(
      lists,
      new Map<BareJid, string[]>([
        [owners[0], ["blocks.test", "user@blocks.test", "z@x"]],
        [owners[1], []],
        [owners[2], ["user@blocks.test/phone"]],
      ]),
    );
    assert.deepEqual(await s.blocklist.listMany([]), new Map());
    for (const o of [...owners, jid("unasked@blocks.test")]) await s.blocklist.remove(o, undefined);
  },

  async "pubsub: lastItems() reads the newest item of many owners' nodes at once"(s) {
    const at = (n: number) => new Date(Date.parse("2026-07-01T00:00:00Z") + n);
    const it = (id: string, n: number) => ({
      id,
      payload: `<p n='${n}'/>`,
      publisher: "x@last.test/r",
      stamp: at(n),
    });
    const [a, b, c] = ["a", "b", "c"].map((n) => jid(`${n}@last.test`));
    await s.pubsub.setNode(a, "urn:tune", { "pubsub#access_model": "presence" });
    await s.pubsub.setNode(a, "urn:mood", { "pubsub#access_model": "open" });
    await s.pubsub.setNode(b, "urn:tune", { "pubsub#access_model": "open" });
    await s.pubsub.setNode(c, "urn:tune", {}); // no items
    await s.pubsub.setNode(b, "urn:other", {});
    for (let i = 1; i <= 5; i++) await s.pubsub.publish(a, "urn:tune", it(`t${i}`, i), 10);
    await s.pubsub.publish(a, "urn:mood", it("m1", 6), 1);
    await s.pubsub.publish(b, "urn:tune", it("bt", 7), 1);
    await s.pubsub.publish(b, "urn:other", it("bo", 8), 1);
    await s.pubsub.publish(a, "urn:tune", it("t2", 9), 10); // republished: the newest now
    const found = await s.pubsub.lastItems([a, b, c, jid("none@last.test")], [
      "urn:tune",
      "urn:mood",
      "urn:absent",
    ]);
    const sorted = [...found].sort((x, y) =>
      `${x.owner} ${x.node}` < `${y.owner} ${y.node}` ? -1 : 1
    );
    assert.deepEqual(sorted, [
      { owner: a, node: "urn:mood", config: { "pubsub#access_model": "open" }, item: it("m1", 6) },
      {
        owner: a,
        node: "urn:tune",
        config: { "pubsub#access_model": "presence" },
        item: it("t2", 9),
      },
      { owner: b, node: "urn:tune", config: { "pubsub#access_model": "open" }, item: it("bt", 7) },
    ]);
    assert.deepEqual(await s.pubsub.lastItems([a], []), []);
    assert.deepEqual(await s.pubsub.lastItems([], ["urn:tune"]), []);
    for (const o of [a, b, c]) await s.pubsub.removeAll(o);
  },

  async "offline: pushes issued together keep their order and the limit"(s) {
    const [a, b] = [jid("a@offburst.test"), jid("b@offburst.test")];
    await s.offline.push(a, "<message n='first'/>", new Date(), 7);
    const t = new Date("2026-08-01T00:00:00.000Z");
    const pushes = await Promise.all(Array.from({ length: 20 }, (_, i) =>
      s.offline.push(
        i % 2 ? b : a,
        `<message n='${i}'/>`,
        new Date(t.getTime() + i),
        7,
      )));
    // a: "first" and then six of its ten; b: seven of its ten; the rest refused.
    const stored = (who: number) => pushes.flatMap((m, i) => i % 2 === who && m ? [m.stanza] : []);
    assert.deepEqual(stored(0), [0, 2, 4, 6, 8, 10].map((i) => `<message n='${i}'/>`));
    assert.deepEqual(stored(1), [1, 3, 5, 7, 9, 11, 13].map((i) => `<message n='${i}'/>`));
    assert.deepEqual(
      pushes.map((m) => m !== undefined),
      Array.from({ length: 20 }, (_, i) => i < 12 || (i === 13)),
    );
    const listed = await s.offline.list(a);
    assert.deepEqual(listed.map((m) => m.stanza), [
      "<message n='first'/>",
      ...stored(0),
    ]);
    assert.deepEqual(listed[1], pushes[0]);
    assert.deepEqual(listed[1].stamp, t);
    // Ids increase in arrival order.
    const idsOfB = (await s.offline.list(b)).map((m) => m.id);
    assert.deepEqual(idsOfB, pushes.filter((m, i) => i % 2 && m).map((m) => m!.id));
    assert.deepEqual(
      idsOfB.map(Number),
      [...idsOfB.map(Number)].sort((x, y) => x - y),
    );
    await s.offline.removeAll(a);
    await s.offline.removeAll(b);
  },
};

// The storage contract, part one: the stores of the first release (accounts, rosters, offline
// messages, small XML documents, archive paging, pubsub).
import assert from "node:assert/strict";
import type { Storage } from "../../src/storage/storage.ts";
import { credentials, item, jid } from "./_contract_util.ts";

export const CORE_CASES: Record<string, (s: Storage) => Promise<void>> = {
  async "accounts create, read, update, list and remove"(s) {
    const a = jid("alice@acc.test");
    const b = jid("bob@acc.test");
    assert.equal(await s.accounts.exists(a), false);
    assert.equal(await s.accounts.getCredentials(a), undefined);
    assert.equal(await s.accounts.create(b, credentials("b")), true);
    assert.equal(await s.accounts.create(a, credentials("a")), true);
    assert.equal(await s.accounts.create(a, credentials("x")), false);
    assert.deepEqual(await s.accounts.getCredentials(a), credentials("a"));
    assert.equal(await s.accounts.exists(a), true);
    assert.deepEqual((await s.accounts.list()).filter((j) => j.endsWith("@acc.test")), [a, b]);
    assert.equal(await s.accounts.setCredentials(a, credentials("n")), true);
    assert.deepEqual(await s.accounts.getCredentials(a), credentials("n"));
    assert.equal(await s.accounts.setCredentials(jid("nobody@acc.test"), credentials("n")), false);
    assert.equal(await s.accounts.remove(a), true);
    assert.equal(await s.accounts.remove(a), false);
    assert.equal(await s.accounts.exists(a), false);
  },

  async "roster items, versions and the change log"(s) {
    const o = jid("owner@roster.test");
    assert.deepEqual(await s.roster.get(o), { version: "0", items: [] });
    const v1 = await s.roster.setItem(o, item("a@x", { name: "A", groups: ["g1", "g2"] }));
    const v2 = await s.roster.setItem(o, item("b@x", { subscription: "both", approved: true }));
    const v3 = await s.roster.setItem(o, item("c@x", { ask: true, subscription: "from" }));
    assert.ok(v1 !== v2 && v2 !== v3);
    const roster = await s.roster.get(o);
    assert.equal(roster.version, v3);
    const byJid = [...roster.items].sort((x, y) => x.jid < y.jid ? -1 : 1);
    assert.deepEqual(byJid, [
      item("a@x", { name: "A", groups: ["g1", "g2"] }),
      item("b@x", { subscription: "both", approved: true }),
      item("c@x", { ask: true, subscription: "from" }),
    ]);
    assert.deepEqual(await s.roster.getItem(o, jid("b@x")), byJid[1]);
    assert.equal(await s.roster.getItem(o, jid("z@x")), undefined);
    assert.equal(await s.roster.count(o), 3);
    const v4 = await s.roster.setItem(o, item("a@x", { name: "A2" }));
    const v5 = await s.roster.removeItem(o, jid("b@x"));
    assert.equal(await s.roster.removeItem(o, jid("b@x")), undefined);
    assert.deepEqual(await s.roster.changesSince(o, v3), {
      version: v5,
      changed: [item("a@x", { name: "A2" })],
      removed: [jid("b@x")],
    });
    assert.deepEqual(await s.roster.changesSince(o, v5!), {
      version: v5,
      changed: [],
      removed: [],
    });
    assert.ok(v4);
    assert.equal(await s.roster.changesSince(o, "999999"), undefined);
    assert.equal(await s.roster.changesSince(o, "not-a-version"), undefined);
    // Re-adding a removed contact takes it out of the removals.
    const v6 = await s.roster.setItem(o, item("b@x"));
    assert.deepEqual(await s.roster.changesSince(o, v5!), {
      version: v6,
      changed: [item("b@x")],
      removed: [],
    });
    assert.equal(await s.roster.count(o), 3);
    await s.roster.removeAll(o);
    assert.deepEqual(await s.roster.get(o), { version: "0", items: [] });
  },

  async "roster pending subscriptions keep order and stanza"(s) {
    const o = jid("owner@pending.test");
    assert.deepEqual(await s.roster.listPending(o), []);
    await s.roster.addPending(o, { from: jid("a@x"), stanza: "<presence n='1'/>" });
    await s.roster.addPending(o, { from: jid("b@x"), stanza: "<presence n='2'/>" });
    await s.roster.addPending(o, { from: jid("a@x"), stanza: "<presence n='3'/>" });
    assert.deepEqual(await s.roster.listPending(o), [
      { from: jid("b@x"), stanza: "<presence n='2'/>" },
      { from: jid("a@x"), stanza: "<presence n='3'/>" },
    ]);
    assert.equal(await s.roster.removePending(o, jid("b@x")), true);
    assert.equal(await s.roster.removePending(o, jid("b@x")), false);
    assert.deepEqual(await s.roster.listPending(o), [
      { from: jid("a@x"), stanza: "<presence n='3'/>" },
    ]);
    await s.roster.removeAll(o);
    assert.deepEqual(await s.roster.listPending(o), []);
  },

  async "offline messages in order, with a limit"(s) {
    const o = jid("owner@offline.test");
    const t = new Date("2026-01-02T03:04:05.678Z");
    const m1 = await s.offline.push(o, "<message n='1'/>", t, 2);
    const m2 = await s.offline.push(o, "<message n='2'/>", new Date(t.getTime() + 1), 2);
    assert.equal(await s.offline.push(o, "<message n='3'/>", t, 2), undefined);
    assert.ok(m1 && m2);
    assert.deepEqual(m1, { id: m1.id, stamp: t, stanza: "<message n='1'/>" });
    assert.deepEqual(await s.offline.list(o), [m1, m2]);
    assert.equal(await s.offline.count(o), 2);
    await s.offline.remove(o, [m1.id, "unknown"]);
    assert.deepEqual(await s.offline.list(o), [m2]);
    await s.offline.removeAll(o);
    assert.equal(await s.offline.count(o), 0);
    assert.deepEqual(await s.offline.list(o), []);
  },

  async "vCard, private XML and block list"(s) {
    const o = jid("owner@xml.test");
    assert.equal(await s.vcard.get(o), undefined);
    await s.vcard.set(o, "<vCard xmlns='vcard-temp'><FN>A</FN></vCard>");
    await s.vcard.set(o, "<vCard xmlns='vcard-temp'><FN>B</FN></vCard>");
    assert.equal(await s.vcard.get(o), "<vCard xmlns='vcard-temp'><FN>B</FN></vCard>");
    await s.vcard.set(o, undefined);
    assert.equal(await s.vcard.get(o), undefined);

    await s.privateXml.set(o, "storage", "storage:bookmarks", "<storage n='1'/>");
    await s.privateXml.set(o, "storage", "storage:rosternotes", "<storage n='2'/>");
    assert.equal(await s.privateXml.get(o, "storage", "storage:bookmarks"), "<storage n='1'/>");
    await s.privateXml.set(o, "storage", "storage:bookmarks", undefined);
    assert.equal(await s.privateXml.get(o, "storage", "storage:bookmarks"), undefined);
    assert.equal(await s.privateXml.get(o, "storage", "storage:rosternotes"), "<storage n='2'/>");
    await s.privateXml.removeAll(o);
    assert.equal(await s.privateXml.get(o, "storage", "storage:rosternotes"), undefined);

    assert.deepEqual(await s.blocklist.add(o, ["c@x", "a@x", "c@x"]), ["c@x", "a@x"]);
    assert.deepEqual(await s.blocklist.add(o, ["a@x", "b.example", "d@x/r"]), [
      "b.example",
      "d@x/r",
    ]);
    assert.deepEqual(await s.blocklist.list(o), ["a@x", "b.example", "c@x", "d@x/r"]);
    assert.deepEqual(await s.blocklist.remove(o, ["c@x", "zz@x"]), ["c@x"]);
    assert.deepEqual(await s.blocklist.remove(o, undefined), ["a@x", "b.example", "d@x/r"]);
    assert.deepEqual(await s.blocklist.list(o), []);
  },

  async "archive pages forwards and backwards, by with-JID and time"(s) {
    const o = jid("owner@mam.test");
    const base = Date.parse("2026-03-01T00:00:00Z");
    for (let i = 0; i < 10; i++) {
      await s.archive.append(o, {
        id: `m${i}`,
        // Two messages share each timestamp: insertion order breaks the tie.
        stamp: new Date(base + Math.floor(i / 2) * 1000),
        with: jid(i % 2 ? "b@x" : "a@x"),
        direction: i % 3 ? "in" : "out",
        stanza: `<message n='${i}'/>`,
      });
    }
    const ids = (p: { messages: readonly { id: string }[] }) => p.messages.map((m) => m.id);
    const first = await s.archive.query(o, { max: 4 });
    assert.deepEqual(ids(first), ["m0", "m1", "m2", "m3"]);
    assert.equal(first.complete, false);
    assert.deepEqual(first.messages[1], {
      id: "m1",
      stamp: new Date(base),
      with: jid("b@x"),
      direction: "in",
      stanza: "<message n='1'/>",
    });
    const next = await s.archive.query(o, { max: 4, after: "m3" });
    assert.deepEqual(ids(next), ["m4", "m5", "m6", "m7"]);
    const end = await s.archive.query(o, { max: 4, after: "m7" });
    assert.deepEqual([ids(end), end.complete], [["m8", "m9"], true]);
    const last = await s.archive.query(o, { max: 3, before: "" });
    assert.deepEqual([ids(last), last.complete], [["m7", "m8", "m9"], false]);
    const prev = await s.archive.query(o, { max: 3, before: "m7" });
    assert.deepEqual(ids(prev), ["m4", "m5", "m6"]);
    const head = await s.archive.query(o, { max: 5, before: "m2" });
    assert.deepEqual([ids(head), head.complete], [["m0", "m1"], true]);
    const withB = await s.archive.query(o, { max: 10, with: jid("b@x") });
    assert.deepEqual([ids(withB), withB.complete], [["m1", "m3", "m5", "m7", "m9"], true]);
    const range = await s.archive.query(o, {
      max: 10,
      start: new Date(base + 1000),
      end: new Date(base + 2000),
    });
    assert.deepEqual(ids(range), ["m2", "m3", "m4", "m5"]);
    assert.deepEqual(ids(await s.archive.query(o, { max: 10, after: "unknown" })), []);
    assert.deepEqual(ids(await s.archive.query(jid("other@mam.test"), { max: 10 })), []);
    await s.archive.removeAll(o);
    assert.deepEqual(ids(await s.archive.query(o, { max: 10 })), []);
  },

  async "pubsub nodes and items, newest first, trimmed"(s) {
    const o = jid("owner@pep.test");
    const at = (n: number) => new Date(Date.parse("2026-04-01T00:00:00Z") + n);
    const it = (id: string, n: number) => ({
      id,
      payload: `<p n='${n}'/>`,
      publisher: "owner@pep.test/r",
      stamp: at(n),
    });
    assert.deepEqual(await s.pubsub.listNodes(o), []);
    await s.pubsub.setNode(o, "urn:b", { "pubsub#access_model": "presence" });
    await s.pubsub.setNode(o, "urn:a", { "pubsub#max_items": "2" });
    assert.deepEqual(await s.pubsub.listNodes(o), ["urn:a", "urn:b"]);
    assert.deepEqual(await s.pubsub.getNode(o, "urn:b"), { "pubsub#access_model": "presence" });
    assert.equal(await s.pubsub.getNode(o, "urn:none"), undefined);
    await s.pubsub.publish(o, "urn:a", it("1", 1), 2);
    await s.pubsub.publish(o, "urn:a", it("2", 2), 2);
    await s.pubsub.publish(o, "urn:a", it("1", 3), 2);
    assert.deepEqual(await s.pubsub.getItems(o, "urn:a"), [it("1", 3), it("2", 2)]);
    await s.pubsub.publish(o, "urn:a", it("3", 4), 2);
    assert.deepEqual(await s.pubsub.getItems(o, "urn:a"), [it("3", 4), it("1", 3)]);
    assert.deepEqual(await s.pubsub.getItems(o, "urn:a", { max: 1 }), [it("3", 4)]);
    assert.deepEqual(await s.pubsub.getItems(o, "urn:a", { ids: ["1", "9"] }), [it("1", 3)]);
    await assert.rejects(s.pubsub.publish(o, "urn:none", it("1", 1), 1));
    // Reconfiguring keeps the items.
    await s.pubsub.setNode(o, "urn:a", { "pubsub#max_items": "5" });
    assert.equal((await s.pubsub.getItems(o, "urn:a")).length, 2);
    assert.equal(await s.pubsub.retract(o, "urn:a", "3"), true);
    assert.equal(await s.pubsub.retract(o, "urn:a", "3"), false);
    assert.equal(await s.pubsub.deleteNode(o, "urn:a"), true);
    assert.equal(await s.pubsub.deleteNode(o, "urn:a"), false);
    assert.deepEqual(await s.pubsub.getItems(o, "urn:a"), []);
    await s.pubsub.removeAll(o);
    assert.deepEqual(await s.pubsub.listNodes(o), []);
  },
};

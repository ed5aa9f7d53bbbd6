// The storage contract, part three: what XEP-0313 needs of an archive beyond paging (ids,
// counts, metadata, moderation, room archives, arrival order), and 100,000 messages paged both
// ways.
import assert from "node:assert/strict";
import type { ArchivedMessage } from "../../src/storage/archive_store.ts";
import type { Storage } from "../../src/storage/storage.ts";
import { ids, jid } from "./_contract_util.ts";

const BASE = Date.parse("2026-06-01T00:00:00Z");

function message(i: number, extra: Partial<ArchivedMessage> = {}): ArchivedMessage {
  return {
    id: `m${i}`,
    stamp: new Date(BASE + i * 1000),
    with: "a@x",
    direction: "in",
    stanza: `<message n='${i}'/>`,
    ...extra,
  };
}

const LARGE = 100_000;
const PAGE = 1000;

export const ARCHIVE_CASES: Record<string, (s: Storage) => Promise<void>> = {
  async "archive: get, replace (tombstone), remove and metadata"(s) {
    const o = jid("owner@moderation.test");
    assert.deepEqual(await s.archive.metadata(o), {});
    for (let i = 0; i < 5; i++) await s.archive.append(o, message(i));
    assert.deepEqual(await s.archive.metadata(o), {
      first: { id: "m0", stamp: new Date(BASE) },
      last: { id: "m4", stamp: new Date(BASE + 4000) },
    });
    assert.deepEqual(await s.archive.get(o, "m2"), message(2));
    assert.equal(await s.archive.get(o, "m9"), undefined);
    assert.equal(await s.archive.get(jid("other@moderation.test"), "m2"), undefined);
    // XEP-0425: the message keeps its id, time and place; only its content changes.
    const tombstone =
      "<message xmlns='jabber:client'><retracted xmlns='urn:xmpp:message-retract:1'/></message>";
    assert.equal(await s.archive.replace(o, "m2", tombstone), true);
    assert.equal(await s.archive.replace(o, "m9", tombstone), false);
    assert.deepEqual(await s.archive.get(o, "m2"), message(2, { stanza: tombstone }));
    assert.deepEqual(ids(await s.archive.query(o, { max: 10 })), ["m0", "m1", "m2", "m3", "m4"]);
    assert.equal(await s.archive.remove(o, "m4"), true);
    assert.equal(await s.archive.remove(o, "m4"), false);
    assert.equal(await s.archive.remove(o, "m0"), true);
    assert.deepEqual(await s.archive.metadata(o), {
      first: { id: "m1", stamp: new Date(BASE + 1000) },
      last: { id: "m3", stamp: new Date(BASE + 3000) },
    });
    const page = await s.archive.query(o, { max: 10, count: true });
    assert.deepEqual([ids(page), page.complete, page.count], [["m1", "m2", "m3"], true, 3]);
    // A removed id can be archived again (it is no longer in the archive).
    await s.archive.append(o, message(4));
    await assert.rejects(s.archive.append(o, message(4)));
    await s.archive.removeAll(o);
    assert.deepEqual(await s.archive.metadata(o), {});
  },

  async "archive: ids, counts, and filters combined with paging"(s) {
    const o = jid("owner@ids.test");
    for (let i = 0; i < 20; i++) {
      await s.archive.append(o, message(i, { with: i % 2 ? "b@x" : "a@x" }));
    }
    // XEP-0313 (urn:xmpp:mam:2#extended): specific ids, in archive order, whatever the order asked.
    const some = await s.archive.query(o, { max: 10, ids: ["m7", "m3", "nope", "m12"] });
    assert.deepEqual([ids(some), some.complete], [["m3", "m7", "m12"], true]);
    const paged = await s.archive.query(o, { max: 2, ids: ["m7", "m3", "m12"], count: true });
    assert.deepEqual([ids(paged), paged.complete, paged.count], [["m3", "m7"], false, 3]);
    assert.deepEqual(ids(await s.archive.query(o, { max: 5, ids: [] })), []);
    const withB = await s.archive.query(o, { max: 3, with: "b@x", count: true });
    assert.deepEqual([ids(withB), withB.complete, withB.count], [["m1", "m3", "m5"], false, 10]);
    // The count ignores the page position: RSM <count/> is the size of the whole result set.
    const nextB = await s.archive.query(o, { max: 3, with: "b@x", after: "m5", count: true });
    assert.deepEqual([ids(nextB), nextB.count], [["m7", "m9", "m11"], 10]);
    const lastB = await s.archive.query(o, { max: 3, with: "b@x", before: "", count: true });
    assert.deepEqual([ids(lastB), lastB.complete], [["m15", "m17", "m19"], false]);
    // A position may be a message the filter leaves out.
    assert.deepEqual(ids(await s.archive.query(o, { max: 2, with: "b@x", after: "m4" })), [
      "m5",
      "m7",
    ]);
    // Between two ids, backwards: the last `max` before `before`.
    const between = await s.archive.query(o, { max: 3, after: "m2", before: "m10" });
    assert.deepEqual([ids(between), between.complete], [["m7", "m8", "m9"], false]);
    const all = await s.archive.query(o, { max: 10, after: "m2", before: "m6" });
    assert.deepEqual([ids(all), all.complete], [["m3", "m4", "m5"], true]);
    const range = await s.archive.query(o, {
      max: 10,
      start: new Date(BASE + 5000),
      end: new Date(BASE + 8000),
      with: "a@x",
      count: true,
    });
    assert.deepEqual([ids(range), range.count], [["m6", "m8"], 2]);
    // max 0: the count alone.
    const counted = await s.archive.query(o, { max: 0, count: true });
    assert.deepEqual([ids(counted), counted.complete, counted.count], [[], false, 20]);
    const unknown = await s.archive.query(o, { max: 5, after: "nope", count: true });
    assert.deepEqual([ids(unknown), unknown.count], [[], 20]);
    assert.equal((await s.archive.query(o, { max: 5 })).count, undefined);
    await s.archive.removeAll(o);
  },

  async "archive: after-id and before-id bound the result set; index places the page"(s) {
    const o = jid("owner@bounds.test");
    for (let i = 0; i < 20; i++) {
      await s.archive.append(o, message(i, { with: i % 2 ? "b@x" : "a@x" }));
    }
    // XEP-0313 #extended: a filter (counted), not a direction: forwards from m5.
    const fwd = await s.archive.query(o, {
      max: 3,
      afterId: "m4",
      beforeId: "m15",
      count: true,
      index: true,
    });
    assert.deepEqual([ids(fwd), fwd.complete, fwd.count, fwd.index], [
      ["m5", "m6", "m7"],
      false,
      10,
      0,
    ]);
    // RSM paging inside those bounds, both ways, with the page's index in the result set.
    const next = await s.archive.query(o, {
      max: 3,
      afterId: "m4",
      beforeId: "m15",
      after: "m7",
      count: true,
      index: true,
    });
    assert.deepEqual([ids(next), next.count, next.index], [["m8", "m9", "m10"], 10, 3]);
    const last = await s.archive.query(o, {
      max: 4,
      afterId: "m4",
      beforeId: "m15",
      before: "",
      index: true,
    });
    assert.deepEqual([ids(last), last.complete, last.index], [
      ["m11", "m12", "m13", "m14"],
      false,
      6,
    ]);
    const first = await s.archive.query(o, {
      max: 4,
      afterId: "m4",
      before: "m7",
      index: true,
    });
    assert.deepEqual([ids(first), first.complete, first.index], [["m5", "m6"], true, 0]);
    // Combined with other filters: the index counts only what matches them.
    const withB = await s.archive.query(o, {
      max: 2,
      with: "b@x",
      afterId: "m2",
      after: "m5",
      count: true,
      index: true,
    });
    assert.deepEqual([ids(withB), withB.count, withB.index], [["m7", "m9"], 9, 2]);
    // An unknown bound matches nothing; an empty page has no index.
    const none = await s.archive.query(o, { max: 5, afterId: "nope", count: true, index: true });
    assert.deepEqual([ids(none), none.complete, none.count, none.index], [[], true, 0, undefined]);
    const none2 = await s.archive.query(o, { max: 5, beforeId: "nope", count: true });
    assert.deepEqual([ids(none2), none2.count], [[], 0]);
    assert.equal((await s.archive.query(o, { max: 5 })).index, undefined);
    await s.archive.removeAll(o);
  },

  async "archive: a room's archive, with occupant JIDs as 'with'"(s) {
    const room = jid("tea@conference.room.test");
    const nick = (n: string) => `tea@conference.room.test/${n}`;
    await s.archive.append(room, message(0, { with: nick("alice") }));
    await s.archive.append(room, message(1, { with: nick("bob") }));
    await s.archive.append(room, message(2, { with: nick("alice") }));
    // A user's archive with the same ids is another archive.
    await s.archive.append(
      jid("alice@room.test"),
      message(0, { with: "tea@conference.room.test" }),
    );
    const alice = await s.archive.query(room, { max: 10, with: nick("alice") });
    assert.deepEqual(ids(alice), ["m0", "m2"]);
    assert.deepEqual(alice.messages[1], message(2, { with: nick("alice") }));
    assert.deepEqual(ids(await s.archive.query(room, { max: 10, with: room })), []);
    assert.equal((await s.archive.query(room, { max: 0, count: true })).count, 3);
    await s.archive.removeAll(room);
    assert.equal((await s.archive.query(jid("alice@room.test"), { max: 0, count: true })).count, 1);
    await s.archive.removeAll(jid("alice@room.test"));
  },

  async "archive: ordered by time, then arrival, whatever order the times come in"(s) {
    const o = jid("owner@order.test");
    // An import (or a clock step back) appends older messages after newer ones.
    for (const [id, t] of [["c", 3], ["a", 1], ["d", 3], ["b", 2], ["e", 3], ["a2", 1]] as const) {
      await s.archive.append(o, message(0, { id, stamp: new Date(BASE + t * 1000) }));
    }
    const order = ["a", "a2", "b", "c", "d", "e"];
    assert.deepEqual(ids(await s.archive.query(o, { max: 10 })), order);
    assert.deepEqual(ids(await s.archive.query(o, { max: 2, after: "a2" })), ["b", "c"]);
    assert.deepEqual(ids(await s.archive.query(o, { max: 2, before: "d" })), ["b", "c"]);
    const meta = await s.archive.metadata(o);
    assert.deepEqual([meta.first?.id, meta.last?.id], ["a", "e"]);
    await s.archive.removeAll(o);
  },

  async "archive: appends issued together all land, in order; a duplicate fails alone"(s) {
    const o = jid("owner@burst.test");
    const other = jid("other@burst.test");
    await s.archive.append(o, message(5));
    // A burst, as a pipelining client makes: the drivers may write it as one statement.
    const results = await Promise.allSettled(
      Array.from({ length: 60 }, (_, i) => s.archive.append(i % 3 ? o : other, message(i))),
    );
    const failed = results.flatMap((r, i) => r.status === "rejected" ? [i] : []);
    assert.deepEqual(failed, [5]);
    const mine = await s.archive.query(o, { max: 100 });
    assert.deepEqual(
      ids(mine),
      Array.from({ length: 60 }, (_, i) => i).filter((i) => i % 3).map((i) => `m${i}`),
    );
    assert.equal((await s.archive.query(other, { max: 0, count: true })).count, 20);
    await s.archive.removeAll(o);
    await s.archive.removeAll(other);
  },

  async "archive: a burst keeps any text exactly, whatever the drivers join and split"(s) {
    const o = jid("owner@text.test");
    const odd = [
      `<message a='"' b="\\"><body>[1,"2"] {"x":null} \\n \u00e9 \u{1f600}</body></message>`,
      "<message><body>,{}\t\r\n</body></message>",
      "", // an empty stanza
    ];
    // Appended together, so that the drivers write each burst as one statement: one burst of
    // the texts above, one with a U+0001 besides (not XML, but a store keeps what it is given).
    for (const extra of [[], ["<message>\u0001</message>"]]) {
      const texts = [...odd, ...extra];
      await Promise.all(texts.map((stanza, i) => s.archive.append(o, message(i, { stanza }))));
      const page = await s.archive.query(o, { max: 10 });
      assert.deepEqual(page.messages, texts.map((stanza, i) => message(i, { stanza })));
      await s.archive.removeAll(o);
    }
  },

  async "archive: 100,000 messages page correctly both ways"(s) {
    const o = jid("owner@large.test");
    // Three messages per second of archive time: ties broken by arrival, at scale.
    const at = (i: number) => new Date(BASE + Math.floor(i / 3) * 1000);
    for (let i = 0; i < LARGE; i += 5000) {
      await Promise.all(Array.from({ length: 5000 }, (_, k) =>
        s.archive.append(o, {
          id: `x${i + k}`,
          stamp: at(i + k),
          with: `c${(i + k) % 7}@x`,
          direction: "out",
          stanza: `<message n='${i + k}'/>`,
        })));
    }
    assert.deepEqual(await s.archive.metadata(o), {
      first: { id: "x0", stamp: at(0) },
      last: { id: `x${LARGE - 1}`, stamp: at(LARGE - 1) },
    });
    // Forwards, page by page, each starting after the last id of the one before.
    let next = 0;
    let after: string | undefined;
    for (;;) {
      const page = await s.archive.query(o, { max: PAGE, after, count: after === undefined });
      if (after === undefined) assert.equal(page.count, LARGE);
      for (const m of page.messages) assert.equal(m.id, `x${next++}`);
      assert.equal(page.complete, next === LARGE, `complete after ${next}`);
      if (page.complete) break;
      after = page.messages[page.messages.length - 1].id;
    }
    assert.equal(next, LARGE);
    // Backwards from the end (before=""), each page before the first id of the one after.
    let prev = LARGE;
    let before = "";
    for (;;) {
      const page = await s.archive.query(o, { max: PAGE, before });
      for (const m of [...page.messages].reverse()) assert.equal(m.id, `x${--prev}`);
      assert.equal(page.complete, prev === 0, `complete at ${prev}`);
      if (page.complete) break;
      before = page.messages[0].id;
    }
    assert.equal(prev, 0);
    // One contact's messages, from the end, as a client scrolling up a conversation.
    const last = await s.archive.query(o, { max: 3, before: "", with: "c3@x", count: true });
    assert.deepEqual([ids(last), last.count], [["x99984", "x99991", "x99998"], 14286]);
    await s.archive.removeAll(o);
    assert.deepEqual(await s.archive.metadata(o), {});
  },
};

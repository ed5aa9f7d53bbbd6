// The storage contract, part two: modules' documents (Storage.documents).
import assert from "node:assert/strict";
import { documentCollection } from "../../src/storage/document_collection.ts";
import { DOCUMENT_LIMITS } from "../../src/storage/document_store.ts";
import type { Storage } from "../../src/storage/storage.ts";

const keys = (p: { documents: readonly { key: string }[] }) => p.documents.map((d) => d.key);

export const DOCUMENT_CASES: Record<string, (s: Storage) => Promise<void>> = {
  async "documents: put, get and delete, with versions and compare-and-set"(s) {
    const d = s.documents;
    const ns = "test:crud";
    assert.equal(await d.get(ns, "a"), undefined);
    assert.equal(await d.put(ns, "a", { n: 1 }), 1);
    assert.deepEqual(await d.get(ns, "a"), { key: "a", value: { n: 1 }, version: 1 });
    assert.equal(await d.put(ns, "a", { n: 2 }), 2);
    // Compare-and-set: a stale version writes nothing; 0 means "only if absent".
    assert.equal(await d.put(ns, "a", { n: 3 }, { ifVersion: 1 }), undefined);
    assert.equal(await d.put(ns, "a", { n: 3 }, { ifVersion: 0 }), undefined);
    assert.equal(await d.put(ns, "a", { n: 3 }, { ifVersion: 2 }), 3);
    assert.equal(await d.put(ns, "b", "first", { ifVersion: 0 }), 1);
    assert.deepEqual(await d.get(ns, "a"), { key: "a", value: { n: 3 }, version: 3 });
    assert.equal(await d.delete(ns, "a", { ifVersion: 2 }), false);
    assert.equal(await d.delete(ns, "a", { ifVersion: 0 }), false);
    assert.equal(await d.delete(ns, "a", { ifVersion: 3 }), true);
    assert.equal(await d.delete(ns, "a"), false);
    assert.equal(await d.get(ns, "a"), undefined);
    // A key written again starts over at version 1.
    assert.equal(await d.put(ns, "a", null), 1);
    // Namespaces are separate.
    assert.equal(await d.get("test:other", "a"), undefined);
    assert.equal(await d.put("test:other", "a", 1), 1);
    assert.deepEqual(await d.get(ns, "a"), { key: "a", value: null, version: 1 });
    assert.equal(await d.deleteAll(ns), 2);
    assert.equal(await d.deleteAll("test:other"), 1);
  },

  async "documents: values read back as JSON, the same on every driver"(s) {
    const d = s.documents;
    const ns = "test:json";
    const values: unknown[] = [
      { nested: { list: [1, 2.5, -0.125, 1e21, true, false, null, "x"] }, empty: {}, none: [] },
      "123",
      "",
      'quotes " and \\ backslash, <xml a="1"/> & \u00e9\u{1F600}',
      0,
      -7,
      true,
      null,
      [{ a: 1 }, [2]],
    ];
    for (const [i, value] of values.entries()) {
      await d.put(ns, `k${i}`, value);
      assert.deepEqual((await d.get(ns, `k${i}`))?.value, value, `value ${i}`);
    }
    // What JSON does not keep is not kept: undefined members, Dates as strings.
    const at = new Date("2026-05-01T00:00:00Z");
    await d.put(ns, "lossy", { gone: undefined, at, nan: NaN });
    assert.deepEqual((await d.get(ns, "lossy"))?.value, { at: at.toISOString(), nan: null });
    // What a database cannot keep is refused everywhere, before anything is written.
    await assert.rejects(d.put(ns, "nul", { s: "a\u0000b" }), TypeError);
    await assert.rejects(d.put(ns, "lone", ["\ud800"]), TypeError);
    await assert.rejects(d.put(ns, "undef", undefined), TypeError);
    await assert.rejects(d.put(ns, "big", 1n), TypeError);
    await assert.rejects(d.put(ns, "k\u0000", 1), TypeError);
    await assert.rejects(d.put("", "k", 1), TypeError);
    await assert.rejects(d.put(ns, "x".repeat(DOCUMENT_LIMITS.maxKeyBytes + 1), 1), RangeError);
    await assert.rejects(d.put(ns, "\u00e9".repeat(513), 1), RangeError);
    assert.equal(await d.put(ns, "\u00e9".repeat(512), 1), 1);
    assert.equal(await d.get(ns, "nul"), undefined);
    assert.equal(await d.deleteAll(ns), values.length + 2);
  },

  async "documents: list pages in code point order, by prefix and after; deleteAll by prefix"(s) {
    const d = s.documents;
    const ns = "test:list";
    // Code point order: "B" < "a" < "a/" < "ab" < "é" < U+FFFD < U+1F600 (UTF-16 order would
    // put the emoji, a surrogate pair, before U+FFFD).
    const all = ["room:\u{1F600}", "room:\uFFFD", "room:\u00e9", "room:ab", "room:a/", "room:a"]
      .concat(["room:B", "roon", "roo", "rooms", "a"]);
    for (const k of all) await d.put(ns, k, { k });
    const rooms = await d.list(ns, { prefix: "room:" });
    assert.deepEqual(keys(rooms), [
      "room:B",
      "room:a",
      "room:a/",
      "room:ab",
      "room:\u00e9",
      "room:\uFFFD",
      "room:\u{1F600}",
    ]);
    assert.equal(rooms.complete, true);
    assert.deepEqual(rooms.documents[1], { key: "room:a", value: { k: "room:a" }, version: 1 });
    const first = await d.list(ns, { limit: 4 });
    assert.deepEqual([keys(first), first.complete], [["a", "roo", "room:B", "room:a"], false]);
    const second = await d.list(ns, { limit: 4, after: "room:a" });
    assert.deepEqual(keys(second), ["room:a/", "room:ab", "room:\u00e9", "room:\uFFFD"]);
    const third = await d.list(ns, { limit: 4, after: "room:\uFFFD" });
    assert.deepEqual([keys(third), third.complete], [["room:\u{1F600}", "rooms", "roon"], true]);
    const exact = await d.list(ns, { limit: 3, prefix: "room:a" });
    assert.deepEqual([keys(exact), exact.complete], [["room:a", "room:a/", "room:ab"], true]);
    // A prefix whose last character is the highest code point has no upper bound but the end.
    await d.put(ns, "z\u{10FFFF}", 1);
    await d.put(ns, "z\u{10FFFF}\u{10FFFF}", 2);
    assert.deepEqual(keys(await d.list(ns, { prefix: "z\u{10FFFF}" })), [
      "z\u{10FFFF}",
      "z\u{10FFFF}\u{10FFFF}",
    ]);
    assert.deepEqual(keys(await d.list(ns, { prefix: "nothing" })), []);
    assert.deepEqual(keys(await d.list("test:empty")), []);
    await assert.rejects(d.list(ns, { limit: 0 }), RangeError);
    await assert.rejects(d.list(ns, { limit: DOCUMENT_LIMITS.maxPage + 1 }), RangeError);
    assert.equal(await d.deleteAll(ns, "room:a"), 3);
    assert.equal(await d.deleteAll(ns, "room:"), 4);
    assert.deepEqual(keys(await d.list(ns)), [
      "a",
      "roo",
      "rooms",
      "roon",
      "z\u{10FFFF}",
      "z\u{10FFFF}\u{10FFFF}",
    ]);
    assert.equal(await d.deleteAll(ns), 6);
  },

  async "documents: update is read-modify-write, atomic under concurrent writers"(s) {
    const d = s.documents;
    const ns = "test:update";
    const inc = (v: unknown) => ((v as number | undefined) ?? 0) + 1;
    // Ten writers at once: none loses another's increment.
    await Promise.all(Array.from({ length: 10 }, () => d.update(ns, "counter", inc)));
    const counter = await d.get(ns, "counter");
    assert.equal(counter?.value, 10);
    assert.equal(counter?.version, 10);
    // Returning the current value writes nothing; undefined deletes.
    assert.deepEqual(await d.update(ns, "counter", (v) => v), counter);
    assert.equal((await d.get(ns, "counter"))?.version, 10);
    assert.equal(await d.update(ns, "counter", () => undefined), undefined);
    assert.equal(await d.get(ns, "counter"), undefined);
    assert.equal(await d.update(ns, "absent", () => undefined), undefined);
    // A token rotation: replace only the token that was presented.
    await d.put(ns, "token", { token: "t1", count: 0 });
    const rotate = (presented: string) => (v: unknown) => {
      const t = v as { token: string; count: number } | undefined;
      return t?.token === presented ? { token: `${presented}'`, count: t.count + 1 } : t;
    };
    const rotated = await Promise.all([
      d.update(ns, "token", rotate("t1")),
      d.update(ns, "token", rotate("t1")),
    ]);
    assert.deepEqual(rotated.map((r) => r?.value), [
      { token: "t1'", count: 1 },
      { token: "t1'", count: 1 },
    ]);
    assert.deepEqual(await d.get(ns, "token"), {
      key: "token",
      value: { token: "t1'", count: 1 },
      version: 2,
    });
    // An async updater works the same.
    const after = await d.update(ns, "token", async (v) => {
      await Promise.resolve();
      return { ...(v as object), async: true };
    });
    assert.deepEqual(after?.value, { token: "t1'", count: 1, async: true });
    await assert.rejects(d.update(ns, "bad", () => 1n), TypeError);
    assert.equal(await d.deleteAll(ns), 1);
  },

  async "documentCollection(): a typed namespace with all() over every page"(s) {
    interface Room {
      readonly name: string;
      readonly members: readonly string[];
    }
    const rooms = documentCollection<Room>(s, "test:rooms");
    await Promise.all(
      Array.from(
        { length: 1203 },
        (_, i) => rooms.put(`r${String(i).padStart(4, "0")}`, { name: `Room ${i}`, members: [] }),
      ),
    );
    let n = 0;
    for await (const r of rooms.all()) {
      assert.equal(r.key, `r${String(n).padStart(4, "0")}`);
      n++;
    }
    assert.equal(n, 1203);
    assert.deepEqual(await rooms.get("r0007"), { name: "Room 7", members: [] });
    assert.equal((await rooms.entry("r0007"))?.version, 1);
    const updated = await rooms.update("r0007", (r) => r && { ...r, members: ["a@b"] });
    assert.deepEqual(updated, { name: "Room 7", members: ["a@b"] });
    assert.deepEqual(await rooms.update("r0007", (r) => r), updated);
    assert.equal((await rooms.entry("r0007"))?.version, 2);
    assert.equal(await rooms.deleteAll("r1"), 203);
    assert.equal(await rooms.deleteAll(), 1000);
    // A parse function checks what is read back.
    const strict = documentCollection(s, "test:rooms", {
      parse: (v) => {
        if (typeof v !== "number") throw new TypeError("Not a number");
        return v;
      },
    });
    await s.documents.put("test:rooms", "bad", "text");
    await assert.rejects(strict.get("bad"), TypeError);
    assert.equal(await strict.delete("bad"), true);
  },
};

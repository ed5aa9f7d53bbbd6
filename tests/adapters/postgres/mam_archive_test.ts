// The message archive (XEP-0313) on PGlite and PostgreSQL through the server: 2,000 messages
// routed, archived with the stanza-ids the recipient saw, and paged both ways with RSM. (The
// storage contract pages 100,000 messages both ways on every driver; MAM_LARGE=1 does that
// here too, through the server.)
import assert from "node:assert/strict";
import { child, type Element, text, xml } from "../../../mod.ts";
import { pgliteStorage } from "../../../adapters/postgres/pglite.ts";
import { postgresStorage } from "../../../adapters/postgres/postgres_js.ts";
import type { Storage } from "../../../src/storage/storage.ts";
import { type TestClient, testServer } from "../../../src/testing/mod.ts";
import { databaseUrl, dropSchema, testSchema } from "./_database_url.ts";

const MAM = "urn:xmpp:mam:2";
const RSM = "http://jabber.org/protocol/rsm";
const SID = "urn:xmpp:sid:0";
const N = Deno.env.get("MAM_LARGE") === "1" ? 100_000 : 2_000;
const PAGE = 250;

let queries = 0;

async function page(c: TestClient, ...set: (Element | undefined)[]) {
  const queryid = `q${++queries}`;
  const start = c.peer.elements.length;
  const done = await c.iq(
    xml(
      "iq",
      { type: "set" },
      xml("query", { xmlns: MAM, queryid }, xml("set", { xmlns: RSM }, ...set)),
    ),
    30_000,
  );
  const ids = c.peer.elements.slice(start)
    .map((el) => child(el, "result", MAM))
    .filter((r) => r?.attrs.queryid === queryid)
    .map((r) => r!.attrs.id);
  // The client keeps what it got: forget it, or 100,000 messages stay in memory twice.
  (c.peer.elements as Element[]).splice(start);
  const fin = child(done, "fin", MAM)!;
  const s = child(fin, "set", RSM)!;
  return {
    ids,
    complete: fin.attrs.complete === "true",
    first: text(child(s, "first")),
    index: child(s, "first")?.attrs.index,
    last: text(child(s, "last")),
    count: text(child(s, "count")),
  };
}

async function pagesBothWays(storage: Storage): Promise<void> {
  const t = await testServer({ users: ["a@localhost", "b@localhost"], storage });
  try {
    const a = await t.connect("a@localhost/r");
    const b = await t.connect("b@localhost/r");
    const live: string[] = [];
    const BURST = 500;
    for (let i = 0; i < N; i += BURST) {
      const n = Math.min(BURST, N - i);
      for (let k = 0; k < n; k++) {
        await a.send(
          xml(
            "message",
            { to: b.jid, type: "chat", id: `m${i + k}` },
            xml("body", null, `${i + k}`),
          ),
        );
      }
      // What Bob got, in order, with the ids his archive gave them.
      for (let k = 0; k < n; k++) {
        const m = await b.next((el) => el.attrs.id === `m${i + k}`, 30_000);
        live.push(child(m, "stanza-id", SID)!.attrs.id);
      }
      (b.peer.elements as Element[]).splice(0);
    }
    const forward: string[] = [];
    let after: string | undefined;
    for (;;) {
      const p = await page(
        b,
        xml("max", null, String(PAGE)),
        after ? xml("after", null, after) : undefined,
      );
      assert.deepEqual([p.index, p.count], [String(forward.length), String(N)]);
      forward.push(...p.ids);
      assert.equal(p.complete, forward.length === N);
      if (p.complete) break;
      after = p.last;
    }
    assert.deepEqual(forward, live);
    const backward: string[] = [];
    let before = "";
    for (;;) {
      const p = await page(b, xml("max", null, String(PAGE)), xml("before", null, before));
      // Backward pages carry no <first index/> (see readMamQuery); each page is the one before.
      assert.equal(p.index, undefined);
      assert.equal(p.ids.length, Math.min(PAGE, N - backward.length));
      backward.unshift(...p.ids);
      if (p.complete) break;
      before = p.first;
    }
    assert.deepEqual(backward, live);
    // Alice's archive has them too, as sent.
    const sent = await page(a, xml("max", null, "0"));
    assert.equal(sent.count, String(N));
  } finally {
    await t.close();
  }
}

const opts = { sanitizeOps: false, sanitizeResources: false };

Deno.test({
  name: `mam on PGlite: ${N} messages archived and paged both ways`,
  ...opts,
  fn: async () => pagesBothWays(await pgliteStorage()),
});

const url = databaseUrl();
Deno.test({
  name: `mam on PostgreSQL: ${N} messages archived and paged both ways`,
  ignore: url === undefined,
  ...opts,
  async fn() {
    const schema = testSchema("mam");
    try {
      await pagesBothWays(await postgresStorage(url!, { schema }));
    } finally {
      await dropSchema(url!, schema);
    }
  },
});

// XEP-0012 last activity: the server's uptime, an account's time since logout with its status
// (for itself and contacts allowed to see its presence, forbidden to others), 0 while
// online, and a query to a full JID handed to the client.
import assert from "node:assert/strict";
import { type BareJid, child, type Element, lastActivity, NS, text, xml } from "../../mod.ts";
import { testServer } from "../../src/testing/mod.ts";

const LAST = "jabber:iq:last";
const get = (to: string | undefined, id = "l1") =>
  xml("iq", { type: "get", to, id }, xml("query", { xmlns: LAST }));

function seconds(iq: Element): number {
  const q = child(iq, "query", LAST);
  assert.ok(q, "<query xmlns='jabber:iq:last'/>");
  return Number(q.attrs.seconds);
}

async function withClock() {
  let now = Date.parse("2026-01-01T00:00:00Z");
  const t = await testServer({ users: ["a@localhost", "b@localhost", "c@localhost"] });
  await t.server.unload("last-activity");
  await t.server.use(lastActivity({ now: () => new Date(now) }));
  return { t, advance: (s: number) => now += s * 1000 };
}

Deno.test("lastActivity(): the server answers with its uptime (XEP-0012 §5)", async () => {
  const { t, advance } = await withClock();
  try {
    const a = await t.connect("a@localhost/r");
    advance(42);
    const r = await a.iq(get("localhost"));
    assert.equal(seconds(r), 42);
    const info = await a.iq(
      xml("iq", { type: "get", to: "localhost" }, xml("query", { xmlns: NS.DISCO_INFO })),
    );
    assert.ok(JSON.stringify(info).includes(LAST));
  } finally {
    await t.close();
  }
});

Deno.test("lastActivity(): an account's last logout with its status, for those allowed to see its presence", async () => {
  const { t, advance } = await withClock();
  try {
    const item = { groups: [], ask: false, approved: false } as const;
    // b may see a's presence (a's roster: b has 'from'); c may not.
    await t.server.storage.roster.setItem(
      "a@localhost" as BareJid,
      { ...item, jid: "b@localhost" as BareJid, subscription: "from" },
    );
    const b = await t.connect("b@localhost/r");
    const c = await t.connect("c@localhost/r");
    // Never seen offline yet.
    await assert.rejects(b.iq(get("a@localhost")), /item-not-found/);
    const a = await t.connect("a@localhost/r");
    assert.equal(seconds(await b.iq(get("a@localhost"))), 0, "online: 0");
    await a.send(xml("presence", { type: "unavailable" }, xml("status", null, "Gone fishing")));
    await a.close();
    advance(90);
    const r = await b.iq(get("a@localhost"));
    assert.equal(seconds(r), 90);
    assert.equal(text(child(r, "query", LAST)), "Gone fishing");
    await assert.rejects(c.iq(get("a@localhost")), /forbidden/);
    // The account itself may ask.
    const again = await t.connect("a@localhost/other");
    assert.equal(seconds(await again.iq(get("a@localhost"))), 0);
  } finally {
    await t.close();
  }
});

Deno.test("lastActivity(): a query to a full JID goes to the client; a missing one is service-unavailable", async () => {
  const { t } = await withClock();
  try {
    const a = await t.connect("a@localhost/r");
    const b = await t.connect("b@localhost/desk");
    await a.send(get("b@localhost/desk", "to-client"));
    const got = await b.next((el) => el.name === "iq" && el.attrs.id === "to-client");
    assert.equal(got.attrs.from, "a@localhost/r");
    assert.ok(child(got, "query", LAST));
    await assert.rejects(a.iq(get("b@localhost/gone")), /service-unavailable/);
  } finally {
    await t.close();
  }
});

// XEP-0198 stream management over in-memory connections (the testing kit): enabling,
// counting both ways, resumption with exactly the unacknowledged stanzas, the XEP's failures,
// and what becomes of unacknowledged stanzas when a session ends for good.
import assert from "node:assert/strict";
import {
  type BareJid,
  child,
  type Element,
  type FullJid,
  memoryStorage,
  NS,
  type Session,
  streamManagement,
  xml,
  type XmppModule,
} from "../../mod.ts";
import {
  CLIENT_HEADER,
  type MemoryPeer,
  type TestClient,
  type TestServer,
  testServer,
} from "../../src/testing/mod.ts";
import { StreamParser } from "../../src/xml/stream_parser.ts";

const SM = "urn:xmpp:sm:3";
const STANZAS = new Set(["message", "presence", "iq"]);

/** The top-level elements the server wrote after the last `marker` (e.g. "<enabled"). */
function elementsAfter(peer: MemoryPeer, marker: string): Element[] {
  const out = peer.output();
  const at = out.lastIndexOf(marker);
  assert.notEqual(at, -1, `${marker} was written`);
  const parser = new StreamParser({ maxStanzaBytes: 1 << 24, maxDepth: 64 });
  const events = [...parser.push(new TextEncoder().encode(CLIENT_HEADER + out.slice(at)))];
  return events.flatMap((e) => e.kind === "element" ? [e.element] : []);
}

/** The stanzas the server wrote after `marker`: what the client's `h` counts. */
function stanzasAfter(peer: MemoryPeer, marker: string): Element[] {
  return elementsAfter(peer, marker).filter((e) => STANZAS.has(e.name));
}

async function enable(c: TestClient, attrs: Record<string, string> = { resume: "true" }) {
  await c.send(xml("enable", { xmlns: SM, ...attrs }));
  return await c.next((el) => el.xmlns === SM && (el.name === "enabled" || el.name === "failed"));
}

function condition(el: Element): string | undefined {
  return el.children.find((c): c is Element => typeof c !== "string" && c.xmlns === NS.STANZAS)
    ?.name;
}

function streamError(peer: MemoryPeer): string | undefined {
  const error = peer.elements.find((el) => el.name === "error" && el.xmlns === NS.STREAM);
  return error?.children.find((c): c is Element =>
    typeof c !== "string" && c.xmlns === "urn:ietf:params:xml:ns:xmpp-streams"
  )?.name;
}

function chat(to: string, id: string): Element {
  return xml("message", { to, id, type: "chat" }, xml("body", null, id));
}

const isMessage = (id: string) => (el: Element) => el.name === "message" && el.attrs.id === id;

async function local(t: TestServer, jid: string): Promise<Session> {
  const ref = await t.server.router.session(jid as FullJid);
  assert.ok(ref, `${jid} is bound`);
  return t.server.router.local(ref)!;
}

async function until(what: string, check: () => boolean | Promise<boolean>, ms = 3000) {
  const deadline = Date.now() + ms;
  while (!await check()) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

async function hibernated(t: TestServer, jid: string) {
  const session = await local(t, jid);
  await until(`${jid} to hibernate`, () => session.state === "hibernated");
  return session;
}

/** Replaces the built-in module with one configured for the test. */
async function withSm(users: string[], options: Parameters<typeof streamManagement>[0] = {}) {
  const storage = memoryStorage();
  const t = await testServer({ users, storage });
  await t.server.unload("stream-management");
  await t.server.use(streamManagement(options));
  return { t, storage };
}

Deno.test("<enable/> before binding fails with unexpected-request; after it, <enabled/>", async () => {
  const t = await testServer({ users: ["a@localhost"] });
  try {
    const early = await t.connect("a@localhost", { bind: false });
    const failed = await enable(early);
    assert.equal(failed.name, "failed");
    assert.equal(condition(failed), "unexpected-request");

    const a = await t.connect("a@localhost/phone");
    const enabled = await enable(a, { resume: "true", max: "100000" });
    assert.equal(enabled.name, "enabled");
    assert.equal(enabled.attrs.resume, "true");
    assert.equal(enabled.attrs.max, "300", "the server's 5 minutes win over the client's wish");
    assert.match(enabled.attrs.id, /^[0-9a-f]{24}$/);
    // Once is enough (XEP-0198 §3).
    const twice = await enable(a);
    assert.equal(twice.name, "failed");
    assert.equal(condition(twice), "unexpected-request");
    // Without resume='true' there is no id and no max.
    const b = await t.connect("a@localhost/desk");
    const plain = await enable(b, {});
    assert.deepEqual(plain.attrs, {});
  } finally {
    await t.close();
  }
});

Deno.test("<r/> is answered with every stanza the server handled, errors included", async () => {
  const t = await testServer({ users: ["a@localhost", "b@localhost"] });
  try {
    const a = await t.connect("a@localhost/phone");
    await t.connect("b@localhost/desk");
    await enable(a);
    await a.send(chat("b@localhost/desk", "m1"));
    // The intake answers an iq with two payloads with bad-request (RFC 6120 §8.2.3)...
    await a.send(
      xml("iq", { type: "get", id: "two" }, xml("a", { xmlns: "urn:a" }), xml("b", { xmlns: "b" })),
    );
    // ...and drops an error message addressed nowhere useful; both count (XEP-0198 §4).
    await a.send(xml("message", { type: "error", to: "b@localhost/desk" }));
    await a.send(xml("r", { xmlns: SM }));
    const ack = await a.next((el) => el.name === "a" && el.xmlns === SM);
    assert.equal(ack.attrs.h, "3");
  } finally {
    await t.close();
  }
});

Deno.test("the server asks for acks and ends a stream whose h counts too many", async () => {
  const t = await testServer({ users: ["a@localhost", "b@localhost"] });
  try {
    const a = await t.connect("a@localhost/phone");
    const b = await t.connect("b@localhost/desk");
    await enable(a);
    for (let i = 1; i <= 5; i++) await b.send(chat("a@localhost/phone", `m${i}`));
    // After five unacknowledged stanzas the server writes <r/>, after the fifth.
    await a.next((el) => el.name === "r" && el.xmlns === SM);
    const written = elementsAfter(a.peer, "<enabled").map((el) =>
      el.name === "message" ? el.attrs.id : el.name
    );
    assert.deepEqual(written, ["enabled", "m1", "m2", "m3", "m4", "m5", "r"]);
    const sent = stanzasAfter(a.peer, "<enabled").length;
    assert.equal(sent, 5);
    await a.send(xml("a", { xmlns: SM, h: String(sent) }));
    await a.send(xml("a", { xmlns: SM, h: String(sent + 1) }));
    await a.peer.closed;
    assert.equal(streamError(a.peer), "undefined-condition");
  } finally {
    await t.close();
  }
});

Deno.test("the server's idle ping is a stanza the client counts", async () => {
  const t = await testServer({ users: ["a@localhost"], limits: { idleTimeoutMs: 50 } });
  try {
    const a = await t.connect("a@localhost/phone");
    await enable(a);
    const ping = await a.next((el) => el.name === "iq" && !!child(el, "ping", NS.PING));
    await a.send(xml("iq", { type: "result", id: ping.attrs.id, to: "localhost" }));
    const h = stanzasAfter(a.peer, "<enabled").length;
    assert.ok(h >= 1);
    await a.send(xml("a", { xmlns: SM, h: String(h) }));
    await a.send(xml("r", { xmlns: SM }));
    const ack = await a.next((el) => el.name === "a" && el.xmlns === SM);
    assert.equal(ack.attrs.h, "1");
    assert.equal(streamError(a.peer), undefined);
  } finally {
    await t.close();
  }
});

Deno.test("a lost session resumes with exactly the stanzas the client did not handle", async () => {
  const t = await testServer({ users: ["a@localhost", "b@localhost"] });
  try {
    const a = await t.connect("a@localhost/phone");
    const b = await t.connect("b@localhost/desk");
    const { attrs: { id } } = await enable(a);
    await a.send(chat("b@localhost/desk", "up1"));
    await b.next(isMessage("up1"));
    for (const m of ["m1", "m2", "m3"]) await b.send(chat("a@localhost/phone", m));
    await a.next(isMessage("m3"));
    // The client handled m1 only when its connection was lost.
    await a.peer.drop();
    await hibernated(t, "a@localhost/phone");
    await b.send(chat("a@localhost/phone", "m4"));
    // Bare JID: the hibernated session is still available and takes it.
    await b.send(chat("a@localhost", "m5"));

    const again = await t.connect("a@localhost", { bind: false });
    await again.send(xml("resume", { xmlns: SM, previd: id, h: "1" }));
    const resumed = await again.next((el) => el.name === "resumed" || el.name === "failed");
    assert.equal(resumed.name, "resumed");
    assert.equal(resumed.xmlns, SM);
    assert.deepEqual(resumed.attrs, { previd: id, h: "1" });
    await again.next(isMessage("m5"));
    const after = stanzasAfter(again.peer, "<resumed").map((s) => s.attrs.id);
    assert.deepEqual(after, ["m2", "m3", "m4", "m5"], "each once, in order, m1 not again");
    assert.equal((await local(t, "a@localhost/phone")).state, "active");

    // The resumed session works both ways and keeps counting: h = 4 + 1 stanza handled.
    await again.send(chat("b@localhost/desk", "up2"));
    assert.equal((await b.next(isMessage("up2"))).attrs.from, "a@localhost/phone");
    await again.send(xml("a", { xmlns: SM, h: "5" }));
    await again.send(xml("r", { xmlns: SM }));
    assert.equal((await again.next((el) => el.name === "a")).attrs.h, "2");

    // A second loss and resumption: only what came after h = 5.
    await again.peer.drop();
    await hibernated(t, "a@localhost/phone");
    await b.send(chat("a@localhost/phone", "m6"));
    const third = await t.connect("a@localhost", { bind: false });
    await third.send(xml("resume", { xmlns: SM, previd: id, h: "5" }));
    await third.next(isMessage("m6"));
    assert.deepEqual(stanzasAfter(third.peer, "<resumed").map((s) => s.attrs.id), ["m6"]);
  } finally {
    await t.close();
  }
});

Deno.test("a session resumes on a new connection before the server noticed the old one died", async () => {
  const t = await testServer({ users: ["a@localhost", "b@localhost"] });
  try {
    const a = await t.connect("a@localhost/phone");
    const b = await t.connect("b@localhost/desk");
    const { attrs: { id } } = await enable(a);
    await b.send(chat("a@localhost/phone", "m1"));
    await a.next(isMessage("m1"));
    const again = await t.connect("a@localhost", { bind: false });
    await again.send(xml("resume", { xmlns: SM, previd: id, h: "0" }));
    await again.next(isMessage("m1"));
    // XEP-0198 §5: the old connection is closed.
    await a.peer.closed;
    await b.send(chat("a@localhost/phone", "m2"));
    await again.next(isMessage("m2"));
    assert.ok(!a.peer.elements.some(isMessage("m2")));
  } finally {
    await t.close();
  }
});

Deno.test("resumption fails with item-not-found for an unknown, foreign or ended session", async () => {
  const { t } = await withSm(["a@localhost", "b@localhost"], { resumptionTimeoutMs: 1000 });
  try {
    const a = await t.connect("a@localhost/phone");
    const b = await t.connect("b@localhost/desk");
    const { attrs: { id: aId } } = await enable(a);
    const { attrs: { id: bId } } = await enable(b);
    await a.send(chat("b@localhost/desk", "x"));
    await b.next(isMessage("x"));
    await b.peer.drop();
    await hibernated(t, "b@localhost/desk");

    const cases: [string, string | undefined][] = [["nope", undefined], [bId, undefined]];
    for (const [previd] of cases) {
      const c = await t.connect("a@localhost", { bind: false });
      await c.send(xml("resume", { xmlns: SM, previd, h: "0" }));
      const failed = await c.next((el) => el.name === "failed" || el.name === "resumed");
      assert.equal(failed.name, "failed", previd);
      assert.equal(condition(failed), "item-not-found");
      assert.equal(failed.attrs.h, undefined, "nothing about another account's session");
      // The client may go on and bind.
      await c.send(
        xml("iq", { type: "set", id: "bind" }, xml("bind", { xmlns: NS.BIND })),
      );
      assert.equal((await c.next((el) => el.attrs.id === "bind")).attrs.type, "result");
    }
    assert.equal((await local(t, "b@localhost/desk")).state, "hibernated", "b's is untouched");

    // An expired session: failed, with the h the server had handled (XEP-0198 §5).
    await until("b's session to expire", async () =>
      !await t.server.router.session(
        "b@localhost/desk" as FullJid,
      ));
    const late = await t.connect("b@localhost", { bind: false });
    await late.send(xml("resume", { xmlns: SM, previd: bId, h: "1" }));
    const failed = await late.next((el) => el.name === "failed");
    assert.equal(condition(failed), "item-not-found");
    assert.equal(failed.attrs.h, "0");
    assert.ok(aId);
  } finally {
    await t.close();
  }
});

Deno.test("an h above what was sent in <resume/> ends that stream; the session stays", async () => {
  const t = await testServer({ users: ["a@localhost", "b@localhost"] });
  try {
    const a = await t.connect("a@localhost/phone");
    const b = await t.connect("b@localhost/desk");
    const { attrs: { id } } = await enable(a);
    await b.send(chat("a@localhost/phone", "m1"));
    await a.next(isMessage("m1"));
    await a.peer.drop();
    await hibernated(t, "a@localhost/phone");
    const bad = await t.connect("a@localhost", { bind: false });
    await bad.send(xml("resume", { xmlns: SM, previd: id, h: "2" }));
    await bad.peer.closed;
    assert.equal(streamError(bad.peer), "undefined-condition");
    assert.equal((await local(t, "a@localhost/phone")).state, "hibernated");
    const good = await t.connect("a@localhost", { bind: false });
    await good.send(xml("resume", { xmlns: SM, previd: id, h: "0" }));
    await good.next(isMessage("m1"));
  } finally {
    await t.close();
  }
});

Deno.test("an expired session's unacked messages go offline, its unacked iqs get errors", async () => {
  const { t, storage } = await withSm(["a@localhost", "b@localhost"], {
    resumptionTimeoutMs: 100,
  });
  try {
    const a = await t.connect("a@localhost/phone");
    const b = await t.connect("b@localhost/desk");
    await enable(a);
    await b.send(chat("a@localhost/phone", "m1"));
    await b.send(
      xml("iq", { type: "get", id: "q1", to: "a@localhost/phone" }, xml("query", { xmlns: "x" })),
    );
    await a.next((el) => el.attrs.id === "q1");
    await a.peer.drop();
    await hibernated(t, "a@localhost/phone");
    await b.send(chat("a@localhost/phone", "m2"));
    // XEP-0198 §5: undeliverable; RFC 6120 §10.5.3.1 for the iq.
    const error = await b.next((el) => el.attrs.id === "q1");
    assert.equal(error.attrs.type, "error");
    assert.equal(error.attrs.from, "a@localhost/phone");
    assert.ok(child(child(error, "error")!, "service-unavailable", NS.STANZAS));
    await until(
      "offline storage",
      async () => await storage.offline.count("a@localhost" as BareJid) === 2,
    );

    const back = await t.connect("a@localhost/laptop");
    const m1 = await back.next(isMessage("m1"));
    const m2 = await back.next(isMessage("m2"));
    for (const m of [m1, m2]) {
      const delays = m.children.filter((c): c is Element =>
        typeof c !== "string" && c.name === "delay" && c.xmlns === NS.DELAY
      );
      assert.equal(delays.length, 1, "one delay from the server, stamped when it was first sent");
      assert.equal(delays[0].attrs.from, "localhost");
      assert.equal(m.attrs.from, "b@localhost/desk");
    }
    assert.ok(!back.peer.elements.some((el) => el.attrs.id === "q1"));
  } finally {
    await t.close();
  }
});

Deno.test("too many unacknowledged stanzas end the session; nothing is lost", async () => {
  const { t, storage } = await withSm(["a@localhost", "b@localhost"], { maxUnackedStanzas: 10 });
  try {
    const a = await t.connect("a@localhost/phone");
    const b = await t.connect("b@localhost/desk");
    await enable(a);
    for (let i = 1; i <= 12; i++) await b.send(chat("a@localhost/phone", `m${i}`));
    await a.peer.closed;
    assert.equal(streamError(a.peer), "policy-violation");
    await until(
      "offline storage",
      async () => await storage.offline.count("a@localhost" as BareJid) === 12,
    );
    assert.equal(await t.server.router.session("a@localhost/phone" as FullJid), undefined);
  } finally {
    await t.close();
  }
});

Deno.test("a session without resumption ends with its connection; unacked goes offline", async () => {
  const { t, storage } = await withSm(["a@localhost", "b@localhost"]);
  try {
    const a = await t.connect("a@localhost/phone");
    const b = await t.connect("b@localhost/desk");
    await enable(a, {});
    await b.send(chat("a@localhost/phone", "m1"));
    await a.next(isMessage("m1"));
    await a.send(xml("a", { xmlns: SM, h: "1" }));
    await b.send(chat("a@localhost/phone", "m2"));
    await a.next(isMessage("m2"));
    await a.send(xml("r", { xmlns: SM }));
    await a.next((el) => el.name === "a");
    await a.peer.drop();
    await until(
      "offline storage",
      async () => await storage.offline.count("a@localhost" as BareJid) === 1,
    );
    const [stored] = await storage.offline.list("a@localhost" as BareJid);
    assert.match(stored.stanza, /m2/);
  } finally {
    await t.close();
  }
});

Deno.test("server shutdown hands every hibernated session's unacked messages to offline storage", async () => {
  const storage = memoryStorage();
  const spy: string[] = [];
  const watch: XmppModule = {
    name: "watch",
    setup(api) {
      api.hook("message/offline", ({ stanza }) => void spy.push(stanza.attrs.id!), {
        priority: 10,
      });
    },
  };
  const t = await testServer({ users: ["a@localhost", "b@localhost"], storage, modules: [watch] });
  const a = await t.connect("a@localhost/phone");
  const b = await t.connect("b@localhost/desk");
  await enable(a);
  await b.send(chat("a@localhost/phone", "m1"));
  await a.next(isMessage("m1"));
  await a.peer.drop();
  await hibernated(t, "a@localhost/phone");
  await b.send(chat("a@localhost/phone", "m2"));
  // Routed (b's stanzas are handled in order) before the server stops.
  await b.iq(xml("iq", { type: "get", to: "localhost" }, xml("ping", { xmlns: NS.PING })));
  await t.close();
  assert.deepEqual(spy, ["m1", "m2"]);
  assert.equal(await storage.offline.count("a@localhost" as BareJid), 2);
});

Deno.test("unloading the module ends the sessions waiting for resumption, nothing lost", async () => {
  const { t, storage } = await withSm(["a@localhost", "b@localhost"]);
  try {
    const a = await t.connect("a@localhost/phone");
    const b = await t.connect("b@localhost/desk");
    await enable(a);
    await b.send(chat("a@localhost/phone", "m1"));
    await a.next(isMessage("m1"));
    await a.peer.drop();
    await hibernated(t, "a@localhost/phone");
    await t.server.unload("stream-management");
    assert.equal(await t.server.router.session("a@localhost/phone" as FullJid), undefined);
    assert.equal(await storage.offline.count("a@localhost" as BareJid), 1);
  } finally {
    await t.close();
  }
});

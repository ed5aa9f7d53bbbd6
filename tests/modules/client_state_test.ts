// XEP-0352 client state indication over in-memory connections: what an inactive client's
// session holds, deduplicates and releases, in order, and how that agrees with XEP-0198.
import assert from "node:assert/strict";
import {
  type BareJid,
  child,
  clientState,
  type Element,
  holding,
  markUrgent,
  NS,
  streamManagement,
  xml,
  type XmppModule,
} from "../../mod.ts";
import { CLIENT_HEADER, type MemoryPeer, testServer } from "../../src/testing/mod.ts";
import { StreamParser } from "../../src/xml/stream_parser.ts";

const CSI = "urn:xmpp:csi:0";
const SM = "urn:xmpp:sm:3";
const STATES = "http://jabber.org/protocol/chatstates";

function written(peer: MemoryPeer, marker: string): Element[] {
  const out = peer.output();
  const at = out.lastIndexOf(marker);
  assert.notEqual(at, -1, `${marker} was written`);
  const parser = new StreamParser({ maxStanzaBytes: 1 << 24, maxDepth: 64 });
  const events = [...parser.push(new TextEncoder().encode(CLIENT_HEADER + out.slice(at)))];
  return events.flatMap((e) => e.kind === "element" ? [e.element] : []);
}

/** A short name for what a client got: "presence away", "message m1", "iq q". */
function label(el: Element): string {
  if (el.name === "presence") {
    return `presence ${child(el, "show")?.children[0] ?? el.attrs.type ?? "available"}`;
  }
  return el.name === "message" || el.name === "iq" ? `${el.name} ${el.attrs.id}` : el.name;
}

async function friends(t: Awaited<ReturnType<typeof testServer>>) {
  const item = { groups: [], subscription: "both", ask: false, approved: false } as const;
  await t.server.storage.roster.setItem(
    "a@localhost" as BareJid,
    { ...item, jid: "b@localhost" as BareJid },
  );
  await t.server.storage.roster.setItem(
    "b@localhost" as BareJid,
    { ...item, jid: "a@localhost" as BareJid },
  );
}

const show = (s: string) => xml("presence", {}, xml("show", null, s));
const state = (to: string, s: string, id: string) =>
  xml("message", { to, id, type: "chat" }, xml(s, { xmlns: STATES }));

Deno.test("holding() tells what can wait for an inactive client", () => {
  const body = xml("body", null, "hi");
  const receipt = xml("received", { xmlns: "urn:xmpp:receipts", id: "x" });
  const carbon = (m: Element) =>
    xml(
      "message",
      { type: "chat" },
      xml("sent", { xmlns: NS.CARBONS }, xml("forwarded", { xmlns: NS.FORWARD }, m)),
    );
  const cases: [string, Element, string][] = [
    ["available presence", xml("presence", {}), "presence"],
    ["unavailable presence", xml("presence", { type: "unavailable" }), "presence"],
    ["subscription request", xml("presence", { type: "subscribe" }), "release"],
    ["message with a body", xml("message", {}, body), "release"],
    ["chat state", state("a", "composing", "c"), "hold"],
    ["receipt", xml("message", {}, receipt), "hold"],
    ["marker", xml("message", {}, xml("displayed", { xmlns: NS.CHAT_MARKERS, id: "1" })), "hold"],
    [
      "PEP event",
      xml("message", { type: "headline" }, xml("event", { xmlns: NS.PUBSUB_EVENT })),
      "hold",
    ],
    ["empty message", xml("message", {}), "release"],
    ["unknown payload", xml("message", {}, xml("x", { xmlns: "jabber:x:conference" })), "release"],
    ["error message", xml("message", { type: "error" }, xml("error", {})), "release"],
    ["iq", xml("iq", { type: "get" }), "release"],
    ["carbon of a chat state", carbon(state("b", "paused", "p")), "hold"],
    ["carbon of a body", carbon(xml("message", { type: "chat" }, body)), "release"],
  ];
  for (const [name, stanza, expected] of cases) assert.equal(holding(stanza), expected, name);
});

Deno.test("csi: presence waits (latest per contact), chat states wait, a body releases all in order", async () => {
  const t = await testServer({ users: ["a@localhost", "b@localhost"] });
  // Acks asked for 10 ms after a stanza, unless the client is inactive.
  await t.server.unload("stream-management");
  await t.server.use(streamManagement({ ackRequestDelayMs: 10 }));
  try {
    await friends(t);
    const a = await t.connect("a@localhost/phone");
    assert.match(a.peer.output(), /<csi xmlns="urn:xmpp:csi:0"\/>/, "the stream feature");
    const b = await t.connect("b@localhost/desk", { presence: false });
    await a.send(xml("enable", { xmlns: SM, resume: "true" }));
    const { attrs: { id: previd } } = await a.next((el) => el.name === "enabled");
    await a.send(xml("inactive", { xmlns: CSI }));
    await b.send(xml("presence", {}));
    await b.send(show("away"));
    await b.send(state("a@localhost/phone", "composing", "c1"));
    await b.send(show("xa"));
    await b.send(show("dnd"));
    await b.send(state("a@localhost/phone", "paused", "c2"));
    // The server answers b's iq at once; nothing of it reaches a. Everything so far waits,
    // and XEP-0198 does not wake the phone with an <r/> for it.
    await b.iq(xml("iq", { type: "get", to: "localhost" }, xml("ping", { xmlns: NS.PING })));
    await new Promise((r) => setTimeout(r, 60));
    assert.deepEqual(written(a.peer, "<enabled").map(label), ["enabled"]);

    await b.send(
      xml("message", { to: "a@localhost/phone", id: "m1", type: "chat" }, xml("body", null, "!")),
    );
    await a.next((el) => el.attrs.id === "m1");
    assert.deepEqual(written(a.peer, "<enabled").map(label), [
      "enabled",
      "message c1",
      "presence dnd",
      "message c2",
      "message m1",
      // XEP-0198 asks for an ack once the phone is awake, not while stanzas wait.
      "r",
    ]);

    // XEP-0198 agrees: the superseded presences were never sent, so h = 4 is all of it, and
    // a resumption after h = 4 resends nothing.
    await a.send(xml("a", { xmlns: SM, h: "4" }));
    await a.peer.drop();
    const ref = (await t.server.router.session("a@localhost/phone" as never))!;
    for (let i = 0; t.server.router.local(ref)?.state !== "hibernated"; i++) {
      assert.ok(i < 300, "hibernated");
      await new Promise((r) => setTimeout(r, 10));
    }
    const again = await t.connect("a@localhost", { bind: false });
    await again.send(xml("resume", { xmlns: SM, previd, h: "4" }));
    await again.next((el) => el.name === "resumed");
    await b.send(
      xml("message", { to: "a@localhost/phone", id: "m2", type: "chat" }, xml("body", null, "?")),
    );
    await again.next((el) => el.attrs.id === "m2");
    assert.deepEqual(written(again.peer, "<resumed").map(label), ["resumed", "message m2"]);
  } finally {
    await t.close();
  }
});

Deno.test("csi: <active/>, an iq, a marked stanza and a full queue release what waits", async () => {
  const urgent: XmppModule = {
    name: "urgent",
    setup(api) {
      api.hook("stanza/out", ({ stanza }) => {
        if (child(stanza, "attention", "urn:xmpp:attention:0")) markUrgent(stanza);
      });
    },
  };
  const t = await testServer({ users: ["a@localhost", "b@localhost"], modules: [urgent] });
  await t.server.unload("client-state");
  await t.server.use(clientState({ maxHeld: 3 }));
  try {
    await friends(t);
    const a = await t.connect("a@localhost/phone");
    const b = await t.connect("b@localhost/desk");
    await a.next((el) => el.name === "presence" && el.attrs.from === "b@localhost/desk");
    const to = "a@localhost/phone";
    const settle = async () => {
      await b.iq(xml("iq", { type: "get", to: "localhost" }, xml("ping", { xmlns: NS.PING })));
    };

    await a.send(xml("inactive", { xmlns: CSI }));
    await b.send(state(to, "composing", "c1"));
    await settle();
    assert.ok(!a.peer.elements.some((el) => el.attrs.id === "c1"), "held");
    await a.send(xml("active", { xmlns: CSI }));
    await a.next((el) => el.attrs.id === "c1");

    await a.send(xml("inactive", { xmlns: CSI }));
    await b.send(state(to, "composing", "c2"));
    await b.send(xml("iq", { type: "get", to, id: "q1" }, xml("query", { xmlns: "urn:x" })));
    await a.next((el) => el.attrs.id === "q1");
    await a.next((el) => el.attrs.id === "c2");
    const out = a.peer.output();
    assert.ok(out.indexOf('id="c2"') < out.indexOf('id="q1"'), "what waited goes first");

    await b.send(state(to, "paused", "c3"));
    await b.send(
      xml(
        "message",
        { to, id: "att", type: "chat" },
        xml("attention", {
          xmlns: "urn:xmpp:attention:0",
        }),
      ),
    );
    await a.next((el) => el.attrs.id === "c3");
    await a.next((el) => el.attrs.id === "att");

    // maxHeld = 3: the third held stanza releases all three.
    await b.send(state(to, "composing", "c4"));
    await b.send(state(to, "paused", "c5"));
    await settle();
    assert.ok(!a.peer.elements.some((el) => el.attrs.id === "c4"), "held");
    await b.send(state(to, "active", "c6"));
    for (const id of ["c4", "c5", "c6"]) await a.next((el) => el.attrs.id === id);
  } finally {
    await t.close();
  }
});

Deno.test("csi: a session resumed after a loss starts active and gets what was held once", async () => {
  const t = await testServer({ users: ["a@localhost", "b@localhost"] });
  try {
    const a = await t.connect("a@localhost/phone");
    const b = await t.connect("b@localhost/desk");
    await a.send(xml("enable", { xmlns: SM, resume: "true" }));
    const { attrs: { id } } = await a.next((el) => el.name === "enabled");
    await a.send(xml("inactive", { xmlns: CSI }));
    await b.send(state("a@localhost/phone", "composing", "c1"));
    await b.send(state("a@localhost/phone", "paused", "c2"));
    await b.iq(xml("iq", { type: "get", to: "localhost" }, xml("ping", { xmlns: NS.PING })));
    await a.peer.drop();
    const ref = (await t.server.router.session("a@localhost/phone" as never))!;
    for (let i = 0; t.server.router.local(ref)?.state !== "hibernated"; i++) {
      assert.ok(i < 300, "hibernated");
      await new Promise((r) => setTimeout(r, 10));
    }
    await b.send(state("a@localhost/phone", "active", "c3"));
    const again = await t.connect("a@localhost", { bind: false });
    await again.send(xml("resume", { xmlns: SM, previd: id, h: "0" }));
    await again.next((el) => el.attrs.id === "c3");
    // Active again (XEP-0352 §5.2): a chat state now goes out at once.
    await b.send(state("a@localhost/phone", "gone", "c4"));
    await again.next((el) => el.attrs.id === "c4");
    const ids = written(again.peer, "<resumed").filter((el) => el.name === "message").map((el) =>
      el.attrs.id
    );
    assert.deepEqual(ids, ["c1", "c2", "c3", "c4"]);
  } finally {
    await t.close();
  }
});

// Federation of the local features (issue #14 item 5): MUC occupants from another server,
// MAM of conversations with remote contacts, PEP +notify across servers, and blocking of a
// remote sender. Two Parley servers (a.localhost, b.localhost) on loopback, xmpp.js users.
import assert from "node:assert/strict";
import { xml } from "@xmpp/client";
import { connect, type LtxElement, type TestClient } from "./_harness.ts";
import { getRoster, nextPresence } from "./_im.ts";
import { condition, iq } from "./_iq.ts";
import { type FedServer, startPair, stopAll } from "./_s2s.ts";
import { CutProxy } from "./_cut_proxy.ts";
import { createInstantRoom, MUC, MUC_USER, statusCodes as codes } from "./_muc.ts";
import type { BareJid } from "../../mod.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };
const STANZAS = "urn:ietf:params:xml:ns:xmpp-stanzas";
const MAM = "urn:xmpp:mam:2";
const RSM = "http://jabber.org/protocol/rsm";
const SID = "urn:xmpp:sid:0";
const FORWARD = "urn:xmpp:forward:0";
const DI = "http://jabber.org/protocol/disco#info";
const CAPS = "http://jabber.org/protocol/caps";
const PUBSUB = "http://jabber.org/protocol/pubsub";
const EVENT = "http://jabber.org/protocol/pubsub#event";
const NICK = "http://jabber.org/protocol/nick";
const CLIENT_NODE = "https://parley.example/test-client";
const ROOM = "room@conference.a.localhost";

async function online(port: number, user: string, domain: string): Promise<TestClient> {
  const c = await connect(port, user, `${user}-pw`, { resource: "r", domain });
  await getRoster(c);
  await c.xmpp.send(xml("presence", {}));
  await nextPresence(c, `${user}@${domain}/r`, undefined, `${user}@${domain}'s own presence`);
  return c;
}

/** Two servers; b.localhost also reaches a.localhost's conference service over s2s. */
async function pair(): Promise<[FedServer, FedServer]> {
  const [a, b] = await startPair();
  b.routes["conference.a.localhost"] = `127.0.0.1:${a.s2sPort}`;
  return [a, b];
}

Deno.test({
  name: "federation(): a remote user joins a MUC room, gets presence and history, and chats",
  ...opts,
  async fn() {
    const [a, b] = await pair();
    const clients: TestClient[] = [];
    try {
      const alice = await online(a.port, "alice", "a.localhost");
      const bob = await online(b.port, "bob", "b.localhost");
      clients.push(alice, bob);
      await createInstantRoom(alice, ROOM, "Alice");
      await alice.xmpp.send(
        xml("message", { to: ROOM, type: "groupchat", id: "h1" }, xml("body", {}, "before bob")),
      );
      await alice.next((s) => s.is("message") && s.attrs.id === "h1", "alice's echo");

      // Bob joins from b.localhost (XEP-0045 §7.2): occupant presence, self-presence, history.
      await bob.xmpp.send(xml("presence", { to: `${ROOM}/Bob` }, xml("x", { xmlns: MUC })));
      const occupant = await bob.next(
        (s) => s.is("presence") && s.attrs.from === `${ROOM}/Alice`,
        "Alice's occupant presence at bob",
      );
      assert.equal(occupant.getChild("x", MUC_USER)?.getChild("item")?.attrs.affiliation, "owner");
      const self = await bob.next(
        (s) => s.is("presence") && s.attrs.from === `${ROOM}/Bob` && codes(s).includes("110"),
        "Bob's self-presence",
      );
      assert.equal(self.attrs.to, "bob@b.localhost/r");
      const history = await bob.next(
        (s) => s.is("message") && s.getChildText("body") === "before bob",
        "the history",
      );
      assert.equal(history.attrs.from, `${ROOM}/Alice`);
      assert.equal(history.attrs.type, "groupchat");
      assert.ok(history.getChild("delay", "urn:xmpp:delay"));
      await bob.next((s) => s.is("message") && !!s.getChild("subject"), "the subject");
      const joined = await alice.next(
        (s) => s.is("presence") && s.attrs.from === `${ROOM}/Bob`,
        "Bob's presence at alice",
      );
      assert.equal(joined.attrs.type, undefined);

      // Bob chats: both occupants get it from room/Bob, with the room's stanza-id.
      await bob.xmpp.send(
        xml("message", { to: ROOM, type: "groupchat", id: "g1" }, xml("body", {}, "hello room")),
      );
      for (const [who, c] of [["alice", alice], ["bob", bob]] as const) {
        const m = await c.next((s) => s.is("message") && s.attrs.id === "g1", `${who} gets g1`);
        assert.equal(m.attrs.from, `${ROOM}/Bob`);
        assert.equal(m.getChildText("body"), "hello room");
        assert.equal(m.getChild("stanza-id", "urn:xmpp:sid:0")?.attrs.by, ROOM);
      }
      await alice.xmpp.send(
        xml("message", { to: ROOM, type: "groupchat", id: "g2" }, xml("body", {}, "hi bob")),
      );
      const g2 = await bob.next((s) => s.is("message") && s.attrs.id === "g2", "bob gets g2");
      assert.equal(g2.attrs.from, `${ROOM}/Alice`);

      // b.localhost goes away: Bob leaves the room (XEP-0045 §7.14, RFC 6121 §4.5.2).
      await b.close();
      const left = await alice.next(
        (s) => s.is("presence") && s.attrs.from === `${ROOM}/Bob` && s.attrs.type === "unavailable",
        "Bob's unavailable in the room",
      );
      assert.ok(left.getChild("x", MUC_USER));
    } finally {
      for (const c of clients) await c.stop().catch(() => {});
      await a.close();
      await b.close().catch(() => {});
    }
  },
});

/** One MAM page (XEP-0313 §4): the forwarded messages and the <fin/>. */
async function mamPage(
  c: TestClient,
  withJid: string,
  set: Record<string, string>,
): Promise<{ results: LtxElement[]; fin: LtxElement }> {
  const queryid = `q${Math.random().toString(36).slice(2)}`;
  const results: LtxElement[] = [];
  const collect = (s: LtxElement) => {
    if (s.is("message") && s.getChild("result", MAM)?.attrs.queryid === queryid) results.push(s);
  };
  c.xmpp.on("stanza", collect);
  try {
    const form = xml(
      "x",
      { xmlns: "jabber:x:data", type: "submit" },
      xml("field", { var: "FORM_TYPE", type: "hidden" }, xml("value", {}, MAM)),
      xml("field", { var: "with" }, xml("value", {}, withJid)),
    );
    const rsm = xml("set", { xmlns: RSM }, ...Object.entries(set).map(([k, v]) => xml(k, {}, v)));
    const reply = await iq(c, "set", xml("query", { xmlns: MAM, queryid }, form, rsm));
    assert.equal(reply.attrs.type, "result", reply.toString());
    return { results, fin: reply.getChild("fin", MAM)! };
  } finally {
    c.xmpp.removeListener("stanza", collect);
  }
}

function forwarded(result: LtxElement): LtxElement {
  return result.getChild("result", MAM)!.getChild("forwarded", FORWARD)!.getChild("message")!;
}

Deno.test({
  name: "federation(): MAM archives a conversation with a remote contact, with stanza-ids, paged",
  ...opts,
  async fn() {
    const [a, b] = await pair();
    const clients: TestClient[] = [];
    try {
      const alice = await online(a.port, "alice", "a.localhost");
      const bob = await online(b.port, "bob", "b.localhost");
      clients.push(alice, bob);
      // Bob writes to Alice; he also claims a stanza-id by her account, which a.localhost
      // strips (XEP-0359 §5): the one she gets is her archive's.
      const live: string[] = [];
      for (let i = 1; i <= 3; i++) {
        await bob.xmpp.send(
          xml(
            "message",
            { to: "alice@a.localhost/r", type: "chat", id: `in${i}` },
            xml("body", {}, `from bob ${i}`),
            xml("stanza-id", { xmlns: SID, by: "alice@a.localhost", id: "forged" }),
          ),
        );
        const m = await alice.next((s) => s.attrs.id === `in${i}`, `alice gets in${i}`);
        const ids = m.getChildren("stanza-id", SID);
        assert.equal(ids.length, 1, m.toString());
        assert.equal(ids[0].attrs.by, "alice@a.localhost");
        assert.notEqual(ids[0].attrs.id, "forged");
        live.push(ids[0].attrs.id);
        // Alice answers each.
        await alice.xmpp.send(
          xml(
            "message",
            { to: "bob@b.localhost/r", type: "chat", id: `out${i}` },
            xml("body", {}, `from alice ${i}`),
          ),
        );
        // Bob's own server gives his copy its stanza-id by his account.
        const got = await bob.next((s) => s.attrs.id === `out${i}`, `bob gets out${i}`);
        assert.equal(got.getChild("stanza-id", SID)?.attrs.by, "bob@b.localhost");
      }

      // Alice's archive has all six, in order, two per page (XEP-0313 §5.1, XEP-0059).
      const bodies: string[] = [];
      const ids: string[] = [];
      let after: string | undefined;
      for (let page = 0; page < 3; page++) {
        const { results, fin } = await mamPage(
          alice,
          "bob@b.localhost",
          after ? { max: "2", after } : { max: "2" },
        );
        assert.equal(results.length, 2);
        for (const r of results) {
          const m = forwarded(r);
          bodies.push(m.getChildText("body")!);
          ids.push(r.getChild("result", MAM)!.attrs.id);
          assert.ok(r.getChild("result", MAM)!.getChild("forwarded", FORWARD)!.getChild("delay"));
        }
        assert.equal(fin.attrs.complete === "true", page === 2);
        after = fin.getChild("set", RSM)!.getChildText("last")!;
      }
      assert.deepEqual(bodies, [1, 2, 3].flatMap((i) => [`from bob ${i}`, `from alice ${i}`]));
      // The ids she saw live are the archive's ids of Bob's messages.
      assert.deepEqual([ids[0], ids[2], ids[4]], live);
      const first = await mamPage(alice, "bob@b.localhost", { max: "1" });
      assert.equal(forwarded(first.results[0]).attrs.from, "bob@b.localhost/r");

      // Bob's archive on b.localhost has the same conversation, from his side.
      const his = await mamPage(bob, "alice@a.localhost", { max: "10" });
      assert.equal(his.results.length, 6);
      assert.equal(his.fin.attrs.complete, "true");
    } finally {
      await stopAll(clients, a, b);
    }
  },
});

/** Alice and Bob are subscribed to each other (RFC 6121 "both"). */
async function friends(a: FedServer, b: FedServer): Promise<void> {
  const item = { groups: [], subscription: "both", ask: false, approved: false } as const;
  await a.server.storage.roster.setItem(
    "alice@a.localhost" as BareJid,
    { ...item, jid: "bob@b.localhost" as BareJid },
  );
  await b.server.storage.roster.setItem(
    "bob@b.localhost" as BareJid,
    { ...item, jid: "alice@a.localhost" as BareJid },
  );
}

// A client's disco#info and its XEP-0115 §5.1 string S, written out by hand.
const FEATURES = [CAPS, DI, `${NICK}+notify`];
const S = `client/pc//Parley test<${CAPS}<${DI}<${NICK}+notify<`;

async function sha1Base64(s: string): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-1", new TextEncoder().encode(s)));
  return btoa(String.fromCharCode(...digest));
}

/** Makes a client answer disco#info like a real one; returns the queries it got. */
function answerDisco(c: TestClient, ver: string): LtxElement[] {
  const queries: LtxElement[] = [];
  c.xmpp.iqCallee.get(DI, "query", (ctx: { stanza: LtxElement }) => {
    queries.push(ctx.stanza);
    return xml(
      "query",
      { xmlns: DI, node: `${CLIENT_NODE}#${ver}` },
      xml("identity", { category: "client", type: "pc", name: "Parley test" }),
      FEATURES.map((f) => xml("feature", { var: f })),
    );
  });
  return queries;
}

const publishNick = (id: string, nick: string, access?: string) =>
  xml(
    "pubsub",
    { xmlns: PUBSUB },
    xml("publish", { node: NICK }, xml("item", { id }, xml("nick", { xmlns: NICK }, nick))),
    access &&
      xml(
        "publish-options",
        {},
        xml(
          "x",
          { xmlns: "jabber:x:data", type: "submit" },
          xml(
            "field",
            { var: "FORM_TYPE", type: "hidden" },
            xml("value", {}, `${PUBSUB}#publish-options`),
          ),
          xml("field", { var: "pubsub#access_model" }, xml("value", {}, access)),
        ),
      ),
  );
const nickEvent = (s: LtxElement) =>
  s.is("message") && s.getChild("event", EVENT)?.getChild("items")?.attrs.node === NICK;

Deno.test({
  name: "federation(): PEP +notify reaches a remote contact whose caps came in his presence",
  ...opts,
  async fn() {
    const [a, b] = await pair();
    await friends(a, b);
    const clients: TestClient[] = [];
    try {
      const ver = await sha1Base64(S);
      const alice = await online(a.port, "alice", "a.localhost");
      clients.push(alice);
      // A nick published before Bob comes online, to an open node: he gets it as the last item
      // (XEP-0163 §6.2).
      const first = await iq(alice, "set", publishNick("n1", "Alice", "open"));
      assert.equal(first.attrs.type, "result", first.toString());

      const bob = await connect(b.port, "bob", "bob-pw", { resource: "r", domain: "b.localhost" });
      clients.push(bob);
      const queries = answerDisco(bob, ver);
      await getRoster(bob);
      const last = bob.next(nickEvent, "the last nick at bob");
      await bob.xmpp.send(
        xml("presence", {}, xml("c", { xmlns: CAPS, hash: "sha-1", node: CLIENT_NODE, ver })),
      );
      // Alice's PEP service (her bare JID, XEP-0163 §6.1) asks Bob's client for node#ver.
      const n1 = await last;
      assert.equal(n1.attrs.from, "alice@a.localhost");
      assert.equal(n1.attrs.to, "bob@b.localhost/r");
      const item = n1.getChild("event", EVENT)!.getChild("items")!.getChild("item")!;
      assert.equal(item.attrs.id, "n1");
      assert.equal(item.getChild("nick", NICK)?.text(), "Alice");
      const fromAlice = queries.filter((q) => q.attrs.from === "alice@a.localhost");
      assert.equal(fromAlice.length, 1);
      assert.equal(fromAlice[0].getChild("query", DI)!.attrs.node, `${CLIENT_NODE}#${ver}`);

      // A stranger on b.localhost with the same caps sends Alice directed presence: she is not
      // subscribed to Alice, so no last item and no notification, though the node is open
      // (XEP-0163 §4.3.1: contacts with a presence subscription, as for local users).
      const stranger = await connect(b.port, "alice", "alice-pw", {
        resource: "s",
        domain: "b.localhost",
      });
      clients.push(stranger);
      answerDisco(stranger, ver);
      await stranger.xmpp.send(
        xml(
          "presence",
          { to: "alice@a.localhost" },
          xml("c", { xmlns: CAPS, hash: "sha-1", node: CLIENT_NODE, ver }),
        ),
      );
      await assert.rejects(stranger.next(nickEvent, "no last item for a stranger", 500));

      // A new publication is pushed to Bob's resource on b.localhost.
      const next = bob.next((s) =>
        nickEvent(s) && s.getChild("event", EVENT)!.getChild("items")!
            .getChild("item")?.attrs.id === "n2", "the new nick at bob");
      const second = await iq(alice, "set", publishNick("n2", "Alice A."));
      assert.equal(second.attrs.type, "result", second.toString());
      const n2 = await next;
      await assert.rejects(stranger.next(nickEvent, "no notification for a stranger", 300));
      assert.equal(n2.attrs.type, "headline");
      assert.equal(
        n2.getChild("event", EVENT)!.getChild("items")!.getChild("item")!
          .getChild("nick", NICK)?.text(),
        "Alice A.",
      );

      // Bob goes unavailable: the next publication is not sent to his resource.
      await bob.xmpp.send(xml("presence", { type: "unavailable" }));
      await nextPresence(alice, "bob@b.localhost/r", "unavailable", "bob's unavailable");
      await iq(alice, "set", publishNick("n3", "Alice B."));
      await assert.rejects(bob.next(nickEvent, "no nick after unavailable", 500));
    } finally {
      await stopAll(clients, a, b);
    }
  },
});

Deno.test({
  name: "federation(): a blocked remote contact's message and iq get service-unavailable over s2s",
  ...opts,
  async fn() {
    const [a, b] = await pair();
    await friends(a, b);
    const clients: TestClient[] = [];
    try {
      const alice = await online(a.port, "alice", "a.localhost");
      const bob = await online(b.port, "bob", "b.localhost");
      clients.push(alice, bob);
      await nextPresence(bob, "alice@a.localhost/r", undefined, "alice's presence at bob");
      const blocked = await iq(
        alice,
        "set",
        xml("block", { xmlns: "urn:xmpp:blocking" }, xml("item", { jid: "bob@b.localhost" })),
      );
      assert.equal(blocked.attrs.type, "result");
      // XEP-0191 §3.3: blocking sends the contact her unavailable presence... over s2s too.
      await nextPresence(bob, "alice@a.localhost/r", "unavailable", "alice unavailable at bob");

      // XEP-0191 §3.4: his message and his iq request come back with <service-unavailable/>
      // from the address he wrote to; nothing reaches Alice.
      await bob.xmpp.send(
        xml("message", { to: "alice@a.localhost/r", type: "chat", id: "x1" }, xml("body", {}, "?")),
      );
      const refused = await bob.next((s) => s.attrs.id === "x1", "the message's error");
      assert.equal(refused.name, "message");
      assert.equal(refused.attrs.type, "error");
      assert.equal(refused.attrs.from, "alice@a.localhost/r");
      assert.equal(refused.getChild("error")?.attrs.type, "cancel");
      assert.ok(refused.getChild("error")?.getChild("service-unavailable", STANZAS));
      const ping = await iq(
        bob,
        "get",
        xml("ping", { xmlns: "urn:xmpp:ping" }),
        "alice@a.localhost/r",
      );
      assert.equal(ping.attrs.type, "error");
      assert.equal(condition(ping), "service-unavailable");
      await assert.rejects(alice.next((s) => s.attrs.id === "x1", "the blocked message", 300));
      // Presence is dropped without an answer; an error is never answered (RFC 6120 §8.3.1).
      await bob.xmpp.send(xml("presence", { to: "alice@a.localhost", id: "x2" }));
      await bob.xmpp.send(
        xml(
          "message",
          { to: "alice@a.localhost/r", type: "error", id: "x3" },
          xml("error", { type: "cancel" }, xml("item-not-found", { xmlns: STANZAS })),
        ),
      );
      await assert.rejects(
        bob.next((s) => s.attrs.id === "x2" || s.attrs.id === "x3", "no answer", 500),
      );

      // Unblocked, his messages reach her again.
      await iq(
        alice,
        "set",
        xml("unblock", { xmlns: "urn:xmpp:blocking" }, xml("item", { jid: "bob@b.localhost" })),
      );
      // XEP-0191 §3.5: he gets her current presence again.
      await nextPresence(bob, "alice@a.localhost/r", undefined, "alice available again at bob");
      await bob.xmpp.send(
        xml("message", { to: "alice@a.localhost/r", type: "chat", id: "x4" }, xml("body", {}, "!")),
      );
      await alice.next((s) => s.attrs.id === "x4", "alice gets x4 after unblocking");

      // Blocking the whole domain (XEP-0191 §3.4, XEP-0016 §2.1 matching) refuses him too.
      await iq(
        alice,
        "set",
        xml("block", { xmlns: "urn:xmpp:blocking" }, xml("item", { jid: "b.localhost" })),
      );
      await bob.xmpp.send(
        xml("message", { to: "alice@a.localhost", type: "chat", id: "x5" }, xml("body", {}, "?")),
      );
      const domain = await bob.next((s) => s.attrs.id === "x5", "the domain block's error");
      assert.equal(domain.attrs.type, "error");
      assert.equal(domain.attrs.from, "alice@a.localhost");
      assert.equal(condition(domain), "service-unavailable");
    } finally {
      await stopAll(clients, a, b);
    }
  },
});

/** Alice opens an instant room and Bob joins it from b.localhost. */
async function openRoomWithBob(alice: TestClient, bob: TestClient): Promise<void> {
  await createInstantRoom(alice, ROOM, "Alice");
  await bob.xmpp.send(xml("presence", { to: `${ROOM}/Bob` }, xml("x", { xmlns: MUC })));
  await bob.next(
    (s) => s.is("presence") && s.attrs.from === `${ROOM}/Bob` && codes(s).includes("110"),
    "Bob's self-presence",
  );
  await alice.next((s) => s.is("presence") && s.attrs.from === `${ROOM}/Bob`, "Bob joined");
}

Deno.test({
  name: "federation(): a remote occupant pages the room's archive, whispers, and leaves",
  ...opts,
  async fn() {
    const [a, b] = await pair();
    const clients: TestClient[] = [];
    try {
      const alice = await online(a.port, "alice", "a.localhost");
      const bob = await online(b.port, "bob", "b.localhost");
      clients.push(alice, bob);
      await openRoomWithBob(alice, bob);
      for (let i = 1; i <= 3; i++) {
        await alice.xmpp.send(
          xml("message", { to: ROOM, type: "groupchat", id: `r${i}` }, xml("body", {}, `m${i}`)),
        );
        await bob.next((s) => s.attrs.id === `r${i}`, `bob gets r${i}`);
      }

      // The room's disco#info answers a remote user (XEP-0045 §6.4).
      const info = await iq(bob, "get", xml("query", { xmlns: DI }), ROOM);
      assert.equal(info.attrs.type, "result");
      const features = info.getChild("query", DI)!.getChildren("feature").map((f) => f.attrs.var);
      assert.ok(features.includes(MUC));
      assert.ok(features.includes(MAM));

      // XEP-0313 §4 on the room from b.localhost: the room's messages, two per page.
      const queryid = "room-q";
      const results: LtxElement[] = [];
      const collect = (s: LtxElement) => {
        if (s.getChild("result", MAM)?.attrs.queryid === queryid) results.push(s);
      };
      bob.xmpp.on("stanza", collect);
      const reply = await iq(
        bob,
        "set",
        xml("query", { xmlns: MAM, queryid }, xml("set", { xmlns: RSM }, xml("max", {}, "2"))),
        ROOM,
      );
      bob.xmpp.removeListener("stanza", collect);
      assert.equal(reply.attrs.type, "result", reply.toString());
      assert.equal(results.length, 2);
      for (const r of results) {
        assert.equal(r.attrs.from, ROOM);
        assert.equal(r.attrs.to, "bob@b.localhost/r");
        assert.equal(forwarded(r).attrs.type, "groupchat");
      }
      const fin = reply.getChild("fin", MAM)!;
      assert.notEqual(fin.attrs.complete, "true");

      // A private message between occupants crosses servers (XEP-0045 §7.5).
      await alice.xmpp.send(
        xml("message", { to: `${ROOM}/Bob`, type: "chat", id: "pm1" }, xml("body", {}, "psst")),
      );
      const pm = await bob.next((s) => s.attrs.id === "pm1", "bob gets the private message");
      assert.equal(pm.attrs.from, `${ROOM}/Alice`);
      assert.equal(pm.attrs.to, "bob@b.localhost/r");
      assert.ok(pm.getChild("x", MUC_USER));
      await bob.xmpp.send(
        xml("message", { to: `${ROOM}/Alice`, type: "chat", id: "pm2" }, xml("body", {}, "yes")),
      );
      const back = await alice.next((s) => s.attrs.id === "pm2", "alice gets the reply");
      assert.equal(back.attrs.from, `${ROOM}/Bob`);

      // Bob leaves (XEP-0045 §7.14): his self-presence with 110, Alice sees him go.
      await bob.xmpp.send(xml("presence", { to: `${ROOM}/Bob`, type: "unavailable" }));
      const gone = await bob.next(
        (s) => s.attrs.from === `${ROOM}/Bob` && s.attrs.type === "unavailable",
        "bob's own unavailable",
      );
      assert.ok(codes(gone).includes("110"));
      await alice.next(
        (s) => s.attrs.from === `${ROOM}/Bob` && s.attrs.type === "unavailable",
        "bob left, at alice",
      );
      // Not an occupant any more: his groupchat message is refused (XEP-0045 §7.4).
      await bob.xmpp.send(
        xml("message", { to: ROOM, type: "groupchat", id: "r9" }, xml("body", {}, "late")),
      );
      const refused = await bob.next((s) => s.attrs.id === "r9", "the refusal");
      assert.equal(refused.attrs.type, "error");
      assert.equal(condition(refused), "not-acceptable");
    } finally {
      await stopAll(clients, a, b);
    }
  },
});

Deno.test({
  name: "federation(): a remote occupant whose server's stream breaks leaves the room",
  ...opts,
  async fn() {
    const [a, b] = await pair();
    // b.localhost reaches a.localhost through a relay that can cut its connections.
    const proxy = CutProxy.start(a.s2sPort);
    b.routes["a.localhost"] = `127.0.0.1:${proxy.port}`;
    b.routes["conference.a.localhost"] = `127.0.0.1:${proxy.port}`;
    const clients: TestClient[] = [];
    try {
      const alice = await online(a.port, "alice", "a.localhost");
      const bob = await online(b.port, "bob", "b.localhost");
      clients.push(alice, bob);
      await openRoomWithBob(alice, bob);
      // The streams break without Bob's server saying anything (no unavailable presence):
      // a.localhost tells the room he is gone (RFC 6121 §4.5.2 in spirit, XEP-0045 §7.14).
      proxy.cut();
      const left = await alice.next(
        (s) => s.is("presence") && s.attrs.from === `${ROOM}/Bob` && s.attrs.type === "unavailable",
        "Bob's unavailable in the room",
        8000,
      );
      assert.ok(left.getChild("x", MUC_USER));
    } finally {
      await stopAll(clients, proxy, a, b);
    }
  },
});

Deno.test({
  name:
    "federation(): directed presence to a remote stranger ends with unavailable when the session does",
  ...opts,
  async fn() {
    const [a, b] = await pair();
    const clients: TestClient[] = [];
    try {
      const alice = await online(a.port, "alice", "a.localhost");
      const bob = await online(b.port, "bob", "b.localhost");
      clients.push(alice, bob);
      // A probe from a stranger is not answered with her presence (RFC 6121 §4.3.2).
      const stranger = await online(b.port, "alice", "b.localhost");
      clients.push(stranger);
      await stranger.xmpp.send(xml("presence", { to: "alice@a.localhost", type: "probe" }));
      await assert.rejects(
        stranger.next((s) => s.is("presence") && s.attrs.from?.startsWith("alice@a."), "?", 500),
      );
      // RFC 6121 §4.6: directed presence to a full JID with no subscription.
      await alice.xmpp.send(
        xml("presence", { to: "bob@b.localhost/r" }, xml("status", {}, "here")),
      );
      const directed = await nextPresence(bob, "alice@a.localhost/r", undefined, "directed");
      assert.equal(directed.getChildText("status"), "here");
      // Her session ends without unavailable presence: the server sends it (§4.6.3, §4.5.2).
      await alice.xmpp.stop();
      await nextPresence(bob, "alice@a.localhost/r", "unavailable", "unavailable at bob");
    } finally {
      await stopAll(clients, a, b);
    }
  },
});

Deno.test({
  name: "federation(): a remote user is invited to a room, enters, is self-pinged and kicked",
  ...opts,
  async fn() {
    const [a, b] = await pair();
    const clients: TestClient[] = [];
    try {
      const alice = await online(a.port, "alice", "a.localhost");
      const bob = await online(b.port, "bob", "b.localhost");
      clients.push(alice, bob);
      await createInstantRoom(alice, ROOM, "Alice");
      // XEP-0045 §7.8.2: a mediated invitation, sent on by the room to b.localhost.
      await alice.xmpp.send(
        xml(
          "message",
          { to: ROOM },
          xml(
            "x",
            { xmlns: MUC_USER },
            xml("invite", { to: "bob@b.localhost" }, xml("reason", {}, "come")),
          ),
        ),
      );
      const invitation = await bob.next(
        (s) => s.is("message") && !!s.getChild("x", MUC_USER)?.getChild("invite"),
        "the invitation",
      );
      assert.equal(invitation.attrs.from, ROOM);
      const invite = invitation.getChild("x", MUC_USER)!.getChild("invite")!;
      assert.equal(invite.attrs.from, "alice@a.localhost/r");
      assert.equal(invite.getChildText("reason"), "come");

      await bob.xmpp.send(xml("presence", { to: `${ROOM}/Bob` }, xml("x", { xmlns: MUC })));
      await bob.next(
        (s) => s.is("presence") && s.attrs.from === `${ROOM}/Bob` && codes(s).includes("110"),
        "Bob's self-presence",
      );
      // XEP-0410 §3.2: Bob's client pings itself through the room: the room answers.
      const ping = await iq(bob, "get", xml("ping", { xmlns: "urn:xmpp:ping" }), `${ROOM}/Bob`);
      assert.equal(ping.attrs.type, "result", ping.toString());

      // XEP-0045 §8.2: the owner kicks him; he hears it with status 307 over s2s.
      const kick = await iq(
        alice,
        "set",
        xml(
          "query",
          { xmlns: "http://jabber.org/protocol/muc#admin" },
          xml("item", { nick: "Bob", role: "none" }, xml("reason", {}, "bye")),
        ),
        ROOM,
      );
      assert.equal(kick.attrs.type, "result", kick.toString());
      const kicked = await bob.next(
        (s) => s.attrs.from === `${ROOM}/Bob` && s.attrs.type === "unavailable",
        "bob kicked",
      );
      assert.ok(codes(kicked).includes("307"));
      assert.ok(codes(kicked).includes("110"));
      // No longer joined: the self-ping says so with <not-acceptable/> (XEP-0410 §3.2).
      const again = await iq(bob, "get", xml("ping", { xmlns: "urn:xmpp:ping" }), `${ROOM}/Bob`);
      assert.equal(again.attrs.type, "error");
      assert.equal(condition(again), "not-acceptable");
    } finally {
      await stopAll(clients, a, b);
    }
  },
});

Deno.test({
  name:
    "federation(): a remote occupant meets a nick conflict, and his vCard is asked through the room",
  ...opts,
  async fn() {
    const [a, b] = await pair();
    const clients: TestClient[] = [];
    try {
      const alice = await online(a.port, "alice", "a.localhost");
      const bob = await online(b.port, "bob", "b.localhost");
      clients.push(alice, bob);
      // Bob has a vCard on b.localhost.
      const stored = await iq(
        bob,
        "set",
        xml("vCard", { xmlns: "vcard-temp" }, xml("FN", {}, "Bob of B")),
      );
      assert.equal(stored.attrs.type, "result");
      await openRoomWithBob(alice, bob);
      // The nick Alice holds: <conflict/> from the occupant JID, over s2s (XEP-0045 §7.2.9).
      const other = await connect(b.port, "bob", "bob-pw", {
        resource: "o",
        domain: "b.localhost",
      });
      clients.push(other);
      await other.xmpp.send(xml("presence", { to: `${ROOM}/Alice` }, xml("x", { xmlns: MUC })));
      const conflict = await other.next(
        (s) => s.is("presence") && s.attrs.type === "error",
        "the nick conflict",
      );
      assert.equal(conflict.attrs.from, `${ROOM}/Alice`);
      assert.equal(condition(conflict), "conflict");

      // XEP-0045 §17.3 (XEP-0054): a vCard request to an occupant JID goes to his bare JID,
      // whose server answers; the answer comes back from the occupant JID.
      const card = await iq(alice, "get", xml("vCard", { xmlns: "vcard-temp" }), `${ROOM}/Bob`);
      assert.equal(card.attrs.type, "result", card.toString());
      assert.equal(card.attrs.from, `${ROOM}/Bob`);
      assert.equal(card.getChild("vCard", "vcard-temp")?.getChildText("FN"), "Bob of B");
    } finally {
      await stopAll(clients, a, b);
    }
  },
});

Deno.test({
  name:
    "federation(): a remote contact's message to an offline user is archived and delivered with its stanza-id",
  ...opts,
  async fn() {
    const [a, b] = await pair();
    const clients: TestClient[] = [];
    try {
      const bob = await online(b.port, "bob", "b.localhost");
      clients.push(bob);
      await bob.xmpp.send(
        xml(
          "message",
          { to: "alice@a.localhost", type: "chat", id: "o1" },
          xml("body", {}, "later"),
        ),
      );
      // Wait until it is stored: a.localhost's archive has it.
      const t0 = Date.now();
      while (
        (await a.server.storage.archive.query("alice@a.localhost" as BareJid, { max: 5 })).messages
          .length === 0
      ) {
        if (Date.now() - t0 > 5000) throw new Error("not archived");
        await new Promise((r) => setTimeout(r, 50));
      }
      // XEP-0160: delivered at her login with <delay/> from the server, and the archive's id.
      const alice = await connect(a.port, "alice", "alice-pw", {
        resource: "r",
        domain: "a.localhost",
      });
      clients.push(alice);
      await alice.xmpp.send(xml("presence"));
      const m = await alice.next((s) => s.attrs.id === "o1", "the offline message");
      assert.equal(m.attrs.from, "bob@b.localhost/r");
      assert.equal(m.getChild("delay", "urn:xmpp:delay")?.attrs.from, "a.localhost");
      const sid = m.getChild("stanza-id", SID);
      assert.equal(sid?.attrs.by, "alice@a.localhost");
      const { results } = await mamPage(alice, "bob@b.localhost", { max: "5" });
      assert.equal(results.length, 1);
      assert.equal(results[0].getChild("result", MAM)!.attrs.id, sid?.attrs.id);
    } finally {
      await stopAll(clients, a, b);
    }
  },
});

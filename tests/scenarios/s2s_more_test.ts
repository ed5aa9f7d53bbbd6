// Federation of the local features (issue #14 item 5): MUC occupants from another server,
// MAM of conversations with remote contacts, PEP +notify across servers, and blocking of a
// remote sender. Two Parley servers (a.localhost, b.localhost) on loopback, xmpp.js users.
import assert from "node:assert/strict";
import { xml } from "@xmpp/client";
import { connect, type LtxElement, type TestClient } from "./_harness.ts";
import { getRoster, nextPresence } from "./_im.ts";
import { type FedServer, startPair } from "./_s2s.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };
const MUC = "http://jabber.org/protocol/muc";
const MUC_USER = "http://jabber.org/protocol/muc#user";
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

function codes(s: LtxElement): string[] {
  return (s.getChild("x", MUC_USER)?.getChildren("status") ?? []).map((c) => c.attrs.code);
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
      // Alice creates the room (instant room, XEP-0045 §10.1.2) and says something.
      await alice.xmpp.send(xml("presence", { to: `${ROOM}/Alice` }, xml("x", { xmlns: MUC })));
      await alice.next(
        (s) => s.is("presence") && s.attrs.from === `${ROOM}/Alice` && codes(s).includes("110"),
        "Alice's self-presence",
      );
      await alice.xmpp.iqCaller.set(
        xml(
          "query",
          { xmlns: "http://jabber.org/protocol/muc#owner" },
          xml("x", { xmlns: "jabber:x:data", type: "submit" }),
        ),
        ROOM,
      );
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

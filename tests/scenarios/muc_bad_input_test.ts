// Bad input to the group chat service over real sockets with xmpp.js (issue #13, "Bad input"):
// each gets the XEP's error, and the room is unchanged afterwards.
import assert from "node:assert/strict";
import { xml } from "@xmpp/client";
import { connect, type LtxElement, startServer, type TestClient } from "./_harness.ts";

const ROOM = "tea@conference.localhost";
const MUC = "http://jabber.org/protocol/muc";
const MUC_ADMIN = "http://jabber.org/protocol/muc#admin";
const MUC_OWNER = "http://jabber.org/protocol/muc#owner";
const STANZAS = "urn:ietf:params:xml:ns:xmpp-stanzas";

function condition(s: LtxElement): string {
  // An error stanza, or (xmpp.js's StanzaError.element) its <error/> child.
  const error = s.name === "error" ? s : s.getChild("error");
  const c = error?.children.find((n: LtxElement | string) =>
    typeof n !== "string" && n.attrs.xmlns === STANZAS
  ) as LtxElement | undefined;
  return `${error?.attrs.type}/${c?.name}`;
}

async function iqError(client: TestClient, type: string, to: string, payload: unknown) {
  try {
    await client.xmpp.iqCaller.request(xml("iq", { type, to }, payload));
  } catch (e) {
    return condition((e as { element: LtxElement }).element);
  }
  return "result";
}

async function joinError(client: TestClient, to: string, id: string): Promise<string> {
  await client.xmpp.send(xml("presence", { to, id }, xml("x", { xmlns: MUC })));
  const error = await client.next((s) => s.is("presence") && s.attrs.id === id, `error ${id}`);
  assert.equal(error.attrs.type, "error");
  return condition(error);
}

function field(v: string, value: string) {
  return xml("field", { var: v }, xml("value", {}, value));
}

function submit(...fields: unknown[]) {
  return xml(
    "query",
    { xmlns: MUC_OWNER },
    xml("x", { xmlns: "jabber:x:data", type: "submit" }, ...fields),
  );
}

Deno.test({
  name: "muc bad input: nicks, foreign rooms, bad forms, the last owner, bans and visitors",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const t = await startServer();
    const clients: TestClient[] = [];
    try {
      const alice = await connect(t.port, "alice", "alice-pw", { resource: "r" });
      const bob = await connect(t.port, "bob", "bob-pw", { resource: "r" });
      const carol = await connect(t.port, "carol", "carol-pw", { resource: "r" });
      clients.push(alice, bob, carol);
      await alice.xmpp.send(xml("presence", { to: `${ROOM}/Alice` }, xml("x", { xmlns: MUC })));
      await alice.next((s) => s.is("presence") && s.attrs.from === `${ROOM}/Alice`, "room created");
      assert.equal(await iqError(alice, "set", ROOM, submit()), "result");
      await bob.xmpp.send(xml("presence", { to: `${ROOM}/Bob` }, xml("x", { xmlns: MUC })));
      await bob.next((s) => s.is("presence") && s.attrs.from === `${ROOM}/Bob`, "Bob joined");

      // Nicknames: none, only spaces, too long for the room, too long for a JID, a bidi override.
      assert.equal(await joinError(carol, ROOM, "n1"), "modify/jid-malformed");
      assert.equal(await joinError(carol, `${ROOM}/   `, "n2"), "modify/jid-malformed");
      assert.equal(
        await joinError(carol, `${ROOM}/${"c".repeat(65)}`, "n3"),
        "modify/not-acceptable",
      );
      assert.equal(
        await joinError(carol, `${ROOM}/${"c".repeat(1100)}`, "n4"),
        "modify/jid-malformed",
      );
      assert.equal(await joinError(carol, `${ROOM}/\u202eloraC`, "n5"), "modify/jid-malformed");
      // A room of a domain that is not ours gets no room; one of ours is never remote.
      await carol.xmpp.send(
        xml(
          "message",
          { to: "tea@conference.example.org", type: "groupchat", id: "r1" },
          xml("body", {}, "x"),
        ),
      );
      const remote = await carol.next((s) => s.attrs.id === "r1", "remote error");
      assert.equal(condition(remote), "cancel/remote-server-not-found");
      await carol.xmpp.send(
        xml(
          "message",
          { to: "nope@conference.localhost", type: "groupchat", id: "r2" },
          xml("body", {}, "x"),
        ),
      );
      assert.equal(
        condition(await carol.next((s) => s.attrs.id === "r2", "local error")),
        "cancel/item-not-found",
      );

      // Configuration forms with an unknown field, a wrongly typed value; non-owners.
      assert.equal(
        await iqError(alice, "set", ROOM, submit(field("muc#roomconfig_nonsense", "1"))),
        "modify/bad-request",
      );
      assert.equal(
        await iqError(
          alice,
          "set",
          ROOM,
          submit(
            field("muc#roomconfig_moderatedroom", "1"),
            field("muc#roomconfig_maxusers", "many"),
          ),
        ),
        "modify/bad-request",
      );
      assert.equal(
        await iqError(bob, "set", ROOM, submit(field("muc#roomconfig_moderatedroom", "1"))),
        "auth/forbidden",
      );
      // The last owner cannot leave the owner list.
      assert.equal(
        await iqError(
          alice,
          "set",
          ROOM,
          xml(
            "query",
            { xmlns: MUC_ADMIN },
            xml("item", { jid: "alice@localhost", affiliation: "member" }),
          ),
        ),
        "cancel/conflict",
      );
      // A banned user cannot come back.
      assert.equal(
        await iqError(
          alice,
          "set",
          ROOM,
          xml(
            "query",
            { xmlns: MUC_ADMIN },
            xml("item", { jid: "carol@localhost", affiliation: "outcast" }),
          ),
        ),
        "result",
      );
      assert.equal(await joinError(carol, `${ROOM}/Carol`, "b1"), "auth/forbidden");
      // A visitor in a moderated room cannot speak.
      assert.equal(
        await iqError(alice, "set", ROOM, submit(field("muc#roomconfig_moderatedroom", "1"))),
        "result",
      );
      assert.equal(
        await iqError(
          alice,
          "set",
          ROOM,
          xml("query", { xmlns: MUC_ADMIN }, xml("item", { nick: "Bob", role: "visitor" })),
        ),
        "result",
      );
      await bob.xmpp.send(
        xml("message", { to: ROOM, type: "groupchat", id: "v1" }, xml("body", {}, "hi")),
      );
      assert.equal(
        condition(await bob.next((s) => s.attrs.id === "v1", "visitor error")),
        "auth/forbidden",
      );

      // Unchanged: Alice owner, Bob a visitor, two occupants, the room moderated and open.
      const owners = await alice.xmpp.iqCaller.request(
        xml(
          "iq",
          { type: "get", to: ROOM },
          xml("query", { xmlns: MUC_ADMIN }, xml("item", { affiliation: "owner" })),
        ),
      );
      assert.deepEqual(
        owners.getChild("query").getChildren("item").map((i: LtxElement) => i.attrs.jid),
        ["alice@localhost"],
      );
      const info = await alice.xmpp.iqCaller.request(
        xml(
          "iq",
          { type: "get", to: ROOM },
          xml("query", { xmlns: "http://jabber.org/protocol/disco#info" }),
        ),
      );
      const vars = info.getChild("query").getChildren("feature").map((f: LtxElement) =>
        f.attrs.var
      );
      assert.ok(
        vars.includes("muc_moderated") && vars.includes("muc_open") &&
          vars.includes("muc_temporary"),
      );
      const occupants = info.getChild("query").getChild("x").getChildren("field")
        .find((f: LtxElement) => f.attrs.var === "muc#roominfo_occupants");
      assert.equal(occupants.getChildText("value"), "2");
      assert.ok(!bob.errors.length && !alice.errors.length && !carol.errors.length);
    } finally {
      for (const c of clients) await c.stop();
      await t.close();
    }
  },
});

import assert from "node:assert/strict";
import { type TestClient, testServer } from "../../../src/testing/mod.ts";
import { child, elements, text, xml } from "../../../src/xml/element.ts";
import { NS } from "../../../src/xml/ns.ts";
import {
  codes,
  condition,
  configure,
  createRoom,
  item,
  join,
  joinPresence,
  ROOM,
  unavailable,
} from "./_muc.ts";

const USERS = ["alice@localhost", "bob@localhost", "carol@localhost"];

async function setup() {
  const t = await testServer({ users: USERS });
  const alice = await t.connect("alice@localhost/phone");
  const bob = await t.connect("bob@localhost/laptop");
  const carol = await t.connect("carol@localhost/pc");
  await createRoom(alice);
  await join(bob, `${ROOM}/Bob`);
  await join(carol, `${ROOM}/Carol`);
  return { t, alice, bob, carol };
}

function admin(client: TestClient, type: "get" | "set", ...items: ReturnType<typeof xml>[]) {
  return client.iq(xml("iq", { type, to: ROOM }, xml("query", { xmlns: NS.MUC_ADMIN }, ...items)));
}

function reason(r: string) {
  return xml("reason", null, r);
}

Deno.test("muc admin: a moderator kicks with 307, actor and reason", async () => {
  const { t, alice, bob, carol } = await setup();
  try {
    await admin(alice, "set", xml("item", { nick: "Bob", role: "none" }, reason("spam")));
    for (const c of [alice, carol, bob]) {
      const gone = await unavailable(c, `${ROOM}/Bob`);
      assert.ok(codes(gone).includes(307));
      const it = child(child(gone, "x", NS.MUC_USER)!, "item")!;
      assert.equal(it.attrs.role, "none");
      assert.equal(text(child(it, "reason")), "spam");
      assert.equal(child(it, "actor")?.attrs.nick, "Alice");
    }
    // Carol, a participant, may not kick.
    await assert.rejects(
      admin(carol, "set", xml("item", { nick: "Alice", role: "none" })),
      /forbidden/,
    );
  } finally {
    await t.close();
  }
});

Deno.test("muc admin: a ban removes with 301, lists the outcast and keeps them out", async () => {
  const { t, alice, bob, carol } = await setup();
  try {
    await admin(
      alice,
      "set",
      xml("item", { jid: "bob@localhost", affiliation: "outcast" }, reason("rude")),
    );
    const gone = await unavailable(carol, `${ROOM}/Bob`);
    assert.ok(codes(gone).includes(301));
    assert.equal(item(gone).affiliation, "outcast");
    const self = await unavailable(bob, `${ROOM}/Bob`);
    assert.deepEqual(codes(self).sort(), [110, 301]);
    const list = await admin(alice, "get", xml("item", { affiliation: "outcast" }));
    const items = elements(child(list, "query", NS.MUC_ADMIN)!, "item");
    assert.deepEqual(items.map((i) => i.attrs), [{ affiliation: "outcast", jid: "bob@localhost" }]);
    await bob.send(joinPresence(`${ROOM}/Bob`));
    assert.equal(condition(await bob.next((e) => e.attrs.type === "error")), "auth/forbidden");
    // A participant may not read the list.
    await assert.rejects(admin(carol, "get", xml("item", { affiliation: "outcast" })), /forbidden/);
  } finally {
    await t.close();
  }
});

Deno.test("muc admin: member, admin and owner lists with notifications; the last owner stays", async () => {
  const { t, alice, bob, carol } = await setup();
  try {
    await admin(alice, "set", xml("item", { jid: "bob@localhost", affiliation: "admin" }));
    const promoted = await carol.next((e) =>
      e.attrs.from === `${ROOM}/Bob` && item(e).affiliation === "admin"
    );
    assert.equal(item(promoted).role, "moderator");
    await admin(alice, "set", xml("item", { jid: "carol@localhost", affiliation: "member" }));
    const member = await bob.next((e) =>
      e.attrs.from === `${ROOM}/Carol` && item(e).affiliation === "member"
    );
    assert.equal(item(member).jid, "carol@localhost/pc"); // Bob is a moderator now
    // An admin may not touch owners, nor make admins.
    await assert.rejects(
      admin(bob, "set", xml("item", { jid: "alice@localhost", affiliation: "outcast" })),
      /not-allowed/,
    );
    await assert.rejects(
      admin(bob, "set", xml("item", { jid: "carol@localhost", affiliation: "admin" })),
      /forbidden/,
    );
    // §10.6: the last owner cannot go, and nothing of the request is applied.
    await assert.rejects(
      admin(
        alice,
        "set",
        xml("item", { jid: "carol@localhost", affiliation: "none" }),
        xml("item", { jid: "alice@localhost", affiliation: "admin" }),
      ),
      /conflict/,
    );
    const members = await admin(alice, "get", xml("item", { affiliation: "member" }));
    assert.deepEqual(
      elements(child(members, "query", NS.MUC_ADMIN)!, "item").map((i) => i.attrs.jid),
      ["carol@localhost"],
    );
    const owners = await admin(alice, "get", xml("item", { affiliation: "owner" }));
    assert.deepEqual(
      elements(child(owners, "query", NS.MUC_ADMIN)!, "item").map((i) => i.attrs.jid),
      ["alice@localhost"],
    );
    const moderators = await admin(bob, "get", xml("item", { role: "moderator" }));
    assert.deepEqual(
      elements(child(moderators, "query", NS.MUC_ADMIN)!, "item").map((i) => i.attrs.nick).sort(),
      ["Alice", "Bob"],
    );
  } finally {
    await t.close();
  }
});

Deno.test("muc admin: in a moderated room a visitor gets forbidden until given voice", async () => {
  const { t, alice, bob, carol } = await setup();
  try {
    await configure(alice, { "muc#roomconfig_moderatedroom": "1" });
    await admin(alice, "set", xml("item", { nick: "Carol", role: "visitor" }));
    const demoted = await bob.next((e) =>
      e.attrs.from === `${ROOM}/Carol` && item(e).role === "visitor"
    );
    assert.equal(demoted.attrs.type, undefined);
    await carol.send(
      xml("message", { to: ROOM, type: "groupchat", id: "v" }, xml("body", null, "hi")),
    );
    assert.equal(condition(await carol.next((e) => e.attrs.id === "v")), "auth/forbidden");
    const voice = await admin(alice, "get", xml("item", { role: "visitor" }));
    assert.equal(elements(child(voice, "query", NS.MUC_ADMIN)!, "item")[0]?.attrs.nick, "Carol");
    // §7.13: Carol asks for voice; Alice, a moderator, approves.
    const field = (v: string, value: string) => xml("field", { var: v }, xml("value", null, value));
    await carol.send(xml(
      "message",
      { to: ROOM },
      xml(
        "x",
        { xmlns: NS.DATA_FORMS, type: "submit" },
        field("FORM_TYPE", NS.MUC_REQUEST),
        field("muc#role", "participant"),
      ),
    ));
    const request = await alice.next((e) =>
      e.name === "message" && e.attrs.from === ROOM && child(e, "x", NS.DATA_FORMS) !== undefined
    );
    const form = child(request, "x", NS.DATA_FORMS)!;
    assert.ok(elements(form, "field").some((f) => f.attrs.var === "muc#roomnick"));
    await alice.send(xml(
      "message",
      { to: ROOM },
      xml(
        "x",
        { xmlns: NS.DATA_FORMS, type: "submit" },
        field("FORM_TYPE", NS.MUC_REQUEST),
        field("muc#roomnick", "Carol"),
        field("muc#request_allow", "true"),
      ),
    ));
    await bob.next((e) => e.attrs.from === `${ROOM}/Carol` && item(e).role === "participant");
    await carol.send(
      xml("message", { to: ROOM, type: "groupchat", id: "v2" }, xml("body", null, "hi")),
    );
    const said = await bob.next((e) => e.attrs.id === "v2");
    assert.equal(said.attrs.type, "groupchat");
    // Bob, a participant, cannot take anyone's voice.
    await assert.rejects(
      admin(bob, "set", xml("item", { nick: "Carol", role: "visitor" })),
      /forbidden/,
    );
    // Nobody can take the owner's voice.
    await assert.rejects(
      admin(alice, "set", xml("item", { nick: "Alice", role: "visitor" })),
      /not-allowed/,
    );
  } finally {
    await t.close();
  }
});

Deno.test("muc admin: a configuration form with unknown or badly typed fields changes nothing", async () => {
  const { t, alice } = await setup();
  try {
    await assert.rejects(configure(alice, { "muc#roomconfig_bogus": "1" }), /bad-request/);
    await assert.rejects(
      configure(alice, {
        "muc#roomconfig_moderatedroom": "1",
        "muc#roomconfig_publicroom": "maybe",
      }),
      /bad-request/,
    );
    await assert.rejects(configure(alice, { "muc#roomconfig_maxusers": "-3" }), /bad-request/);
    const got = await alice.iq(
      xml("iq", { type: "get", to: ROOM }, xml("query", { xmlns: NS.MUC_OWNER })),
    );
    const form = child(child(got, "query", NS.MUC_OWNER)!, "x", NS.DATA_FORMS)!;
    const value = (v: string) =>
      text(child(elements(form, "field").find((f) => f.attrs.var === v)!, "value"));
    assert.equal(value("muc#roomconfig_moderatedroom"), "0");
    assert.equal(value("muc#roomconfig_publicroom"), "1");
  } finally {
    await t.close();
  }
});

Deno.test("muc status codes: 100 in a non-anonymous room, 321 for a revoked member, 333 on an error", async () => {
  const { t, alice, bob, carol } = await setup();
  try {
    await configure(alice, { "muc#roomconfig_whois": "anyone" });
    // §7.2.3: self-presence in a non-anonymous room says so (100); everyone sees real JIDs.
    const dave = await t.connect("bob@localhost/tablet");
    await dave.send(joinPresence(`${ROOM}/Bobby`));
    const self = await dave.next((e) => e.attrs.from === `${ROOM}/Bobby` && codes(e).includes(110));
    assert.ok(codes(self).includes(100));
    const seen = await carol.next((e) => e.attrs.from === `${ROOM}/Bobby`);
    assert.equal(item(seen).jid, "bob@localhost/tablet");
    // §9.4: a member removed from a members-only room's list leaves with 321.
    await admin(
      alice,
      "set",
      xml("item", { jid: "carol@localhost", affiliation: "member" }),
      xml("item", { jid: "bob@localhost", affiliation: "member" }),
    );
    await configure(alice, { "muc#roomconfig_membersonly": "1" });
    await admin(alice, "set", xml("item", { jid: "carol@localhost", affiliation: "none" }));
    const revoked = await unavailable(carol, `${ROOM}/Carol`);
    assert.deepEqual(codes(revoked).sort(), [110, 321]);
    // An error presence from an occupant's session removes it (333).
    await bob.send(xml("presence", { to: `${ROOM}/Bob`, type: "error" }));
    const errored = await unavailable(alice, `${ROOM}/Bob`);
    assert.deepEqual(codes(errored), [333]);
  } finally {
    await t.close();
  }
});

Deno.test("XEP-0249 direct invitations pass between users untouched", async () => {
  const { t, alice, bob } = await setup();
  try {
    await alice.send(xml(
      "message",
      { to: "bob@localhost/laptop", id: "dinv" },
      xml("x", { xmlns: "jabber:x:conference", jid: ROOM, reason: "Tea?" }),
    ));
    const got = await bob.next((e) => e.attrs.id === "dinv");
    assert.equal(child(got, "x", "jabber:x:conference")?.attrs.jid, ROOM);
  } finally {
    await t.close();
  }
});

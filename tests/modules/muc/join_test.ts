import assert from "node:assert/strict";
import { testServer } from "../../../src/testing/mod.ts";
import { child, type Element, text, xml } from "../../../src/xml/element.ts";
import { NS } from "../../../src/xml/ns.ts";
import {
  codes,
  condition,
  configure,
  createRoom,
  from,
  instant,
  item,
  join,
  joinPresence,
  ROOM,
  say,
  unavailable,
} from "./_muc.ts";

const USERS = ["alice@localhost", "bob@localhost", "carol@localhost"];

async function setup() {
  const t = await testServer({ users: USERS });
  const alice = await t.connect("alice@localhost/phone");
  const bob = await t.connect("bob@localhost/laptop");
  const carol = await t.connect("carol@localhost/pc");
  return { t, alice, bob, carol };
}

Deno.test("muc: a new room is locked with 201 and its creator as owner until configured", async () => {
  const { t, alice, bob } = await setup();
  try {
    const self = await join(alice, `${ROOM}/Alice`);
    assert.deepEqual(codes(self).sort(), [110, 170, 201]);
    assert.deepEqual(item(self), {
      affiliation: "owner",
      role: "moderator",
      jid: "alice@localhost/phone",
    });
    assert.equal(child(self, "occupant-id", NS.OCCUPANT_ID)?.attrs.id?.toString().length, 24);
    // §7.2.16: the subject (empty) comes after self-presence.
    const subject = await from(alice, "message", ROOM);
    assert.equal(text(child(subject, "subject")), "");
    // §10.1.1: others find no room while it is locked.
    await bob.send(joinPresence(`${ROOM}/Bob`));
    const refused = await from(bob, "presence", `${ROOM}/Bob`);
    assert.equal(refused.attrs.type, "error");
    assert.equal(condition(refused), "cancel/item-not-found");
    assert.ok(child(refused, "x", NS.MUC));
    await instant(alice);
    const bobSelf = await join(bob, `${ROOM}/Bob`);
    assert.deepEqual(codes(bobSelf), [110, 170]);
    assert.deepEqual(item(bobSelf), {
      affiliation: "none",
      role: "participant",
      jid: "bob@localhost/laptop",
    });
  } finally {
    await t.close();
  }
});

Deno.test("muc: joining sends occupants, the newcomer to all, self last, history, then subject", async () => {
  const { t, alice, bob } = await setup();
  try {
    await createRoom(alice);
    await alice.send(xml("message", { to: ROOM, type: "groupchat" }, xml("subject", null, "Tea")));
    await say(alice, "first");
    await say(alice, "second");
    await alice.next((m) => text(child(m, "body")) === "second");
    await bob.send(joinPresence(`${ROOM}/Bob`));
    const seen: Element[] = [];
    for (let i = 0; i < 5; i++) {
      seen.push(await bob.next((el) => el.attrs.from?.startsWith(ROOM) ?? false));
    }
    assert.deepEqual(seen.map((el) => `${el.name} ${el.attrs.from}`), [
      `presence ${ROOM}/Alice`,
      `presence ${ROOM}/Bob`,
      `message ${ROOM}/Alice`,
      `message ${ROOM}/Alice`,
      `message ${ROOM}/Alice`,
    ]);
    // Semi-anonymous: Bob, not a moderator, does not see Alice's JID.
    assert.deepEqual(item(seen[0]), { affiliation: "owner", role: "moderator" });
    assert.deepEqual(codes(seen[1]), [110, 170]);
    assert.equal(text(child(seen[2], "body")), "first");
    const delay = child(seen[2], "delay", NS.DELAY);
    assert.equal(delay?.attrs.from, ROOM);
    assert.ok(delay?.attrs.stamp);
    assert.equal(text(child(seen[4], "subject")), "Tea");
    // Alice, a moderator, sees Bob's real JID.
    const bobForAlice = await from(alice, "presence", `${ROOM}/Bob`);
    assert.equal(item(bobForAlice).jid, "bob@localhost/laptop");
  } finally {
    await t.close();
  }
});

Deno.test("muc: history on join honours maxstanzas and maxchars", async () => {
  const { t, alice, bob, carol } = await setup();
  try {
    await createRoom(alice);
    for (const b of ["one", "two", "three"]) await say(alice, b);
    await alice.next((m) => text(child(m, "body")) === "three");
    await join(bob, `${ROOM}/Bob`, xml("history", { maxstanzas: "2" }));
    const history: string[] = [];
    for (;;) {
      const m = await bob.next((el) => el.name === "message");
      if (child(m, "subject")) break;
      history.push(text(child(m, "body")));
    }
    assert.deepEqual(history, ["two", "three"]);
    await join(carol, `${ROOM}/Carol`, xml("history", { maxchars: "0" }));
    const next = await carol.next((m) => m.name === "message");
    assert.ok(child(next, "subject"), "no history before the subject");
  } finally {
    await t.close();
  }
});

Deno.test("muc: groupchat reaches every occupant; a stranger gets not-acceptable", async () => {
  const { t, alice, bob, carol } = await setup();
  try {
    await createRoom(alice);
    await join(bob, `${ROOM}/Bob`);
    await bob.send(
      xml(
        "message",
        { to: ROOM, type: "groupchat", id: "m1" },
        xml("body", null, "hello"),
        xml("occupant-id", { xmlns: NS.OCCUPANT_ID, id: "forged" }),
      ),
    );
    for (const c of [alice, bob]) {
      const m = await c.next((el) => el.name === "message" && el.attrs.id === "m1");
      assert.equal(m.attrs.from, `${ROOM}/Bob`);
      assert.equal(m.attrs.type, "groupchat");
      assert.notEqual(child(m, "occupant-id", NS.OCCUPANT_ID)?.attrs.id, "forged");
    }
    await carol.send(
      xml("message", { to: ROOM, type: "groupchat", id: "m2" }, xml("body", null, "x")),
    );
    const error = await carol.next((el) => el.attrs.id === "m2");
    assert.equal(error.attrs.type, "error");
    assert.equal(condition(error), "modify/not-acceptable");
  } finally {
    await t.close();
  }
});

Deno.test("muc: subject changes by moderators; participants get forbidden unless allowed", async () => {
  const { t, alice, bob } = await setup();
  try {
    await createRoom(alice);
    await join(bob, `${ROOM}/Bob`);
    await bob.send(
      xml("message", { to: ROOM, type: "groupchat", id: "s1" }, xml("subject", null, "Bob's")),
    );
    const refused = await bob.next((el) => el.attrs.id === "s1");
    assert.equal(condition(refused), "auth/forbidden");
    await configure(alice, { "muc#roomconfig_changesubject": "1" });
    await bob.send(
      xml("message", { to: ROOM, type: "groupchat", id: "s2" }, xml("subject", null, "Bob's")),
    );
    const changed = await alice.next((el) => el.attrs.id === "s2");
    assert.equal(changed.attrs.from, `${ROOM}/Bob`);
    assert.equal(text(child(changed, "subject")), "Bob's");
  } finally {
    await t.close();
  }
});

Deno.test("muc: nick change sends 303 then the new nick; a taken nick is a conflict", async () => {
  const { t, alice, bob } = await setup();
  try {
    await createRoom(alice);
    await join(bob, `${ROOM}/Bob`);
    await bob.send(xml("presence", { to: `${ROOM}/Alice` }));
    const conflict = await bob.next((el) => el.attrs.type === "error");
    assert.equal(conflict.attrs.from, `${ROOM}/Alice`);
    assert.equal(condition(conflict), "cancel/conflict");
    await bob.send(xml("presence", { to: `${ROOM}/Robert` }));
    const gone = await unavailable(alice, `${ROOM}/Bob`);
    assert.equal(gone.attrs.type, "unavailable");
    assert.deepEqual(codes(gone), [303]);
    assert.equal(item(gone).nick, "Robert");
    const back = await from(alice, "presence", `${ROOM}/Robert`);
    assert.equal(back.attrs.type, undefined);
    const selfGone = await unavailable(bob, `${ROOM}/Bob`);
    assert.deepEqual(codes(selfGone).sort(), [110, 303]);
    const selfBack = await from(bob, "presence", `${ROOM}/Robert`);
    assert.deepEqual(codes(selfBack), [110]);
  } finally {
    await t.close();
  }
});

Deno.test("muc: leaving is broadcast; a temporary room goes with its last occupant", async () => {
  const { t, alice, bob } = await setup();
  try {
    await createRoom(alice);
    await join(bob, `${ROOM}/Bob`);
    await bob.send(xml("presence", { to: `${ROOM}/Bob`, type: "unavailable" }));
    const left = await unavailable(alice, `${ROOM}/Bob`);
    assert.equal(left.attrs.type, "unavailable");
    assert.equal(item(left).role, "none");
    const self = await unavailable(bob, `${ROOM}/Bob`);
    assert.deepEqual(codes(self), [110]);
    await alice.send(xml("presence", { to: `${ROOM}/Alice`, type: "unavailable" }));
    await unavailable(alice, `${ROOM}/Alice`);
    // The room is gone: Bob creates it anew.
    const again = await join(bob, `${ROOM}/Bob`);
    assert.ok(codes(again).includes(201));
  } finally {
    await t.close();
  }
});

Deno.test("muc: private messages go to the occupant from the sender's occupant JID", async () => {
  const { t, alice, bob } = await setup();
  try {
    await createRoom(alice);
    await join(bob, `${ROOM}/Bob`);
    await bob.send(
      xml("message", { to: `${ROOM}/Alice`, type: "chat", id: "pm" }, xml("body", null, "psst")),
    );
    const pm = await alice.next((el) => el.attrs.id === "pm");
    assert.equal(pm.attrs.from, `${ROOM}/Bob`);
    assert.equal(pm.attrs.type, "chat");
    assert.ok(child(pm, "x", NS.MUC_USER));
    await bob.send(
      xml("message", { to: `${ROOM}/Nobody`, type: "chat", id: "pm2" }, xml("body", null, "?")),
    );
    assert.equal(condition(await bob.next((el) => el.attrs.id === "pm2")), "cancel/item-not-found");
    await bob.send(
      xml("message", { to: `${ROOM}/Alice`, type: "groupchat", id: "pm3" }, xml("body", null, "?")),
    );
    assert.equal(condition(await bob.next((el) => el.attrs.id === "pm3")), "modify/bad-request");
  } finally {
    await t.close();
  }
});

Deno.test("muc: password, members-only, ban and bad nicks get the XEP's errors", async () => {
  const { t, alice, bob, carol } = await setup();
  const refusal = async (to: string, ...children: Element[]) => {
    await bob.send(joinPresence(to, ...children));
    const el = await bob.next((e) => e.name === "presence" && e.attrs.type === "error");
    return condition(el);
  };
  try {
    await createRoom(alice);
    await configure(alice, {
      "muc#roomconfig_passwordprotectedroom": "1",
      "muc#roomconfig_roomsecret": "s3cret",
    });
    assert.equal(await refusal(`${ROOM}/Bob`), "auth/not-authorized");
    assert.equal(
      await refusal(`${ROOM}/Bob`, xml("password", null, "wrong")),
      "auth/not-authorized",
    );
    await join(bob, `${ROOM}/Bob`, xml("password", null, "s3cret"));
    await configure(alice, { "muc#roomconfig_passwordprotectedroom": "0" });
    await configure(alice, { "muc#roomconfig_membersonly": "1" });
    // §9.4: Bob, not a member, is removed with 322.
    const removed = await from(bob, "presence", `${ROOM}/Bob`);
    assert.ok(codes(removed).includes(322));
    assert.equal(await refusal(`${ROOM}/Bob`), "auth/registration-required");
    await configure(alice, { "muc#roomconfig_membersonly": "0" });
    await alice.iq(xml(
      "iq",
      { type: "set", to: ROOM },
      xml(
        "query",
        { xmlns: NS.MUC_ADMIN },
        xml("item", { affiliation: "outcast", jid: "bob@localhost" }),
      ),
    ));
    assert.equal(await refusal(`${ROOM}/Bob`), "auth/forbidden");
    // Bad nicknames: prohibited characters, only spaces, too long.
    assert.equal(await refusal(`${ROOM}/bad\u202enick`), "modify/jid-malformed");
    await carol.send(joinPresence(`${ROOM}/   `));
    assert.equal(
      condition(await carol.next((e) => e.attrs.type === "error")),
      "modify/jid-malformed",
    );
    await carol.send(joinPresence(`${ROOM}/${"n".repeat(65)}`));
    assert.equal(
      condition(await carol.next((e) => e.attrs.type === "error")),
      "modify/not-acceptable",
    );
    await carol.send(joinPresence(ROOM));
    assert.equal(
      condition(await carol.next((e) => e.attrs.type === "error")),
      "modify/jid-malformed",
    );
    // Nothing changed: Alice is alone in the room.
    const info = await alice.iq(
      xml("iq", { type: "get", to: ROOM }, xml("query", { xmlns: NS.DISCO_INFO })),
    );
    assert.match(JSON.stringify(info), /"muc#roominfo_occupants"[^\]]*"1"/);
  } finally {
    await t.close();
  }
});

Deno.test("muc: a message to a missing room gets item-not-found, not remote-server-not-found", async () => {
  const { t, alice } = await setup();
  try {
    await alice.send(
      xml(
        "message",
        { to: "nowhere@conference.localhost", type: "groupchat", id: "x" },
        xml("body", null, "?"),
      ),
    );
    assert.equal(condition(await alice.next((el) => el.attrs.id === "x")), "cancel/item-not-found");
    await assert.rejects(
      alice.iq(
        xml(
          "iq",
          { type: "get", to: "nowhere@conference.localhost" },
          xml("query", { xmlns: NS.DISCO_INFO }),
        ),
      ),
      /item-not-found/,
    );
  } finally {
    await t.close();
  }
});

Deno.test("muc: a nickname with spaces to trim is changed, with 210", async () => {
  const { t, alice } = await setup();
  try {
    await alice.send(joinPresence(`${ROOM}/ Alice  Smith `));
    const self = await alice.next((el) => el.name === "presence" && codes(el).includes(110));
    assert.equal(self.attrs.from, `${ROOM}/Alice Smith`);
    assert.deepEqual(codes(self).sort(), [110, 170, 201, 210]);
  } finally {
    await t.close();
  }
});

Deno.test("muc: rooms beyond maxRooms get resource-constraint and are not created", async () => {
  const t = await testServer({ users: USERS, muc: { maxRooms: 1 } });
  try {
    const alice = await t.connect("alice@localhost/phone");
    await createRoom(alice);
    await alice.send(joinPresence("second@conference.localhost/Alice"));
    const refused = await alice.next((e) => e.attrs.type === "error");
    assert.equal(condition(refused), "wait/resource-constraint");
    await assert.rejects(
      alice.iq(
        xml(
          "iq",
          { type: "get", to: "second@conference.localhost" },
          xml("query", { xmlns: NS.DISCO_INFO }),
        ),
      ),
      /item-not-found/,
    );
  } finally {
    await t.close();
  }
});

Deno.test("muc: joining again from the same session sends the whole join again", async () => {
  const { t, alice, bob } = await setup();
  try {
    await createRoom(alice);
    await join(bob, `${ROOM}/Bob`);
    await bob.next((e) => e.name === "message" && child(e, "subject") !== undefined);
    // A client that believes it left (e.g. after a failed self-ping) joins again.
    const self = await join(bob, `${ROOM}/Bob`);
    assert.deepEqual(codes(self), [110, 170]);
    await bob.next((e) => e.name === "message" && child(e, "subject") !== undefined);
    await from(bob, "presence", `${ROOM}/Alice`);
    const update = await alice.next((e) =>
      e.attrs.from === `${ROOM}/Bob` && e.name === "presence" && e.attrs.type === undefined
    );
    assert.equal(item(update).role, "participant");
  } finally {
    await t.close();
  }
});

Deno.test("muc: a full room refuses newcomers with service-unavailable, not an occupant's second session", async () => {
  const t = await testServer({ users: USERS, muc: { maxUsers: 2 } });
  try {
    const alice = await t.connect("alice@localhost/phone");
    const bob = await t.connect("bob@localhost/laptop");
    const carol = await t.connect("carol@localhost/pc");
    await createRoom(alice);
    await join(bob, `${ROOM}/Bob`);
    await carol.send(joinPresence(`${ROOM}/Carol`));
    assert.equal(
      condition(await carol.next((e) => e.attrs.type === "error")),
      "wait/service-unavailable",
    );
    // The owner's second session still gets in (an occupant's own nickname).
    const laptop = await t.connect("alice@localhost/laptop");
    await join(laptop, `${ROOM}/Alice`);
  } finally {
    await t.close();
  }
});

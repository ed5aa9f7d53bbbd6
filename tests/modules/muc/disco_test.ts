import assert from "node:assert/strict";
import { testServer } from "../../../src/testing/mod.ts";
import { resolveConfig } from "../../../src/server/config.ts";
import { child, type Element, elements, text, xml } from "../../../src/xml/element.ts";
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
  say,
  unavailable,
} from "./_muc.ts";

const USERS = ["alice@localhost", "bob@localhost", "carol@localhost"];

async function setup() {
  const t = await testServer({ users: USERS });
  const alice = await t.connect("alice@localhost/phone");
  const bob = await t.connect("bob@localhost/laptop");
  return { t, alice, bob };
}

function features(query: Element): string[] {
  return elements(query, "feature").map((f) => String(f.attrs.var));
}

function formValue(query: Element, v: string): string | undefined {
  const form = child(query, "x", NS.DATA_FORMS);
  const field = form && elements(form, "field").find((f) => f.attrs.var === v);
  return field && text(child(field, "value"));
}

Deno.test("muc disco: the service is conference/text, listed by the domain, with public rooms", async () => {
  const { t, alice } = await setup();
  try {
    const items = await alice.iq(
      xml("iq", { type: "get", to: "localhost" }, xml("query", { xmlns: NS.DISCO_ITEMS })),
    );
    const jids = elements(child(items, "query", NS.DISCO_ITEMS)!, "item").map((i) => i.attrs.jid);
    assert.ok(jids.includes("conference.localhost"));
    const info = await alice.iq(
      xml(
        "iq",
        { type: "get", to: "conference.localhost" },
        xml("query", { xmlns: NS.DISCO_INFO }),
      ),
    );
    const q = child(info, "query", NS.DISCO_INFO)!;
    assert.deepEqual(child(q, "identity")?.attrs, {
      category: "conference",
      type: "text",
      name: "Chatrooms",
    });
    assert.ok(features(q).includes(NS.MUC));
    await createRoom(alice);
    await configure(alice, { "muc#roomconfig_roomname": "Tea time" });
    await join(alice, "hidden@conference.localhost/Alice");
    await configure(alice, { "muc#roomconfig_publicroom": "0" }, "hidden@conference.localhost");
    const rooms = await alice.iq(
      xml(
        "iq",
        { type: "get", to: "conference.localhost" },
        xml("query", { xmlns: NS.DISCO_ITEMS }),
      ),
    );
    assert.deepEqual(
      elements(child(rooms, "query", NS.DISCO_ITEMS)!, "item").map((i) => i.attrs),
      [{ jid: ROOM, name: "Tea time" }],
    );
  } finally {
    await t.close();
  }
});

Deno.test("muc disco: a room's features follow its configuration, with the roominfo form", async () => {
  const { t, alice } = await setup();
  const info = async () =>
    child(
      await alice.iq(xml("iq", { type: "get", to: ROOM }, xml("query", { xmlns: NS.DISCO_INFO }))),
      "query",
      NS.DISCO_INFO,
    )!;
  try {
    await createRoom(alice);
    const before = await info();
    assert.deepEqual(child(before, "identity")?.attrs, {
      category: "conference",
      type: "text",
      name: "tea",
    });
    for (
      const f of [
        "muc_temporary",
        "muc_open",
        "muc_unsecured",
        "muc_public",
        "muc_unmoderated",
        "muc_semianonymous",
        NS.MUC,
        NS.OCCUPANT_ID,
      ]
    ) {
      assert.ok(features(before).includes(f), f);
    }
    assert.equal(formValue(before, "FORM_TYPE"), NS.MUC_ROOMINFO);
    assert.equal(formValue(before, "muc#roominfo_occupants"), "1");
    await configure(alice, {
      "muc#roomconfig_persistentroom": "1",
      "muc#roomconfig_membersonly": "1",
      "muc#roomconfig_passwordprotectedroom": "1",
      "muc#roomconfig_roomsecret": "pw",
      "muc#roomconfig_publicroom": "0",
      "muc#roomconfig_moderatedroom": "1",
      "muc#roomconfig_whois": "anyone",
      "muc#roomconfig_roomdesc": "For tea",
    });
    const after = await info();
    for (
      const f of [
        "muc_persistent",
        "muc_membersonly",
        "muc_passwordprotected",
        "muc_hidden",
        "muc_moderated",
        "muc_nonanonymous",
      ]
    ) {
      assert.ok(features(after).includes(f), f);
    }
    assert.equal(formValue(after, "muc#roominfo_description"), "For tea");
    // §10.2.1: occupants learn of the change, 172 for a room now non-anonymous.
    const notice = await alice.next((e) => e.name === "message" && codes(e).includes(172));
    assert.deepEqual(codes(notice).sort(), [104, 172]);
  } finally {
    await t.close();
  }
});

Deno.test("muc owner: destroying a room tells occupants the alternate venue and reason", async () => {
  const { t, alice, bob } = await setup();
  try {
    await createRoom(alice);
    await join(bob, `${ROOM}/Bob`);
    await assert.rejects(
      bob.iq(
        xml(
          "iq",
          { type: "set", to: ROOM },
          xml("query", { xmlns: NS.MUC_OWNER }, xml("destroy", null)),
        ),
      ),
      /forbidden/,
    );
    await alice.iq(xml(
      "iq",
      { type: "set", to: ROOM },
      xml(
        "query",
        { xmlns: NS.MUC_OWNER },
        xml("destroy", { jid: "coffee@conference.localhost" }, xml("reason", null, "Moved")),
      ),
    ));
    const gone = await unavailable(bob, `${ROOM}/Bob`);
    assert.deepEqual(item(gone), {
      affiliation: "none",
      role: "none",
      jid: "bob@localhost/laptop",
    });
    const destroy = child(child(gone, "x", NS.MUC_USER)!, "destroy")!;
    assert.equal(destroy.attrs.jid, "coffee@conference.localhost");
    assert.equal(text(child(destroy, "reason")), "Moved");
    await unavailable(alice, `${ROOM}/Alice`);
    await assert.rejects(
      alice.iq(xml("iq", { type: "get", to: ROOM }, xml("query", { xmlns: NS.DISCO_INFO }))),
      /item-not-found/,
    );
  } finally {
    await t.close();
  }
});

Deno.test("muc: mediated invitations reach the invitee from the room, and declines the inviter", async () => {
  const { t, alice, bob } = await setup();
  try {
    await createRoom(alice);
    await configure(alice, { "muc#roomconfig_membersonly": "1" });
    await alice.send(xml(
      "message",
      { to: ROOM },
      xml(
        "x",
        { xmlns: NS.MUC_USER },
        xml("invite", { to: "bob@localhost" }, xml("reason", null, "Tea?")),
      ),
    ));
    const invitation = await bob.next((e) => e.name === "message" && e.attrs.from === ROOM);
    const invite = child(child(invitation, "x", NS.MUC_USER)!, "invite")!;
    assert.equal(invite.attrs.from, "alice@localhost/phone");
    assert.equal(text(child(invite, "reason")), "Tea?");
    // §7.8.2: the invitee of a members-only room becomes a member and may enter.
    await join(bob, `${ROOM}/Bob`);
    await bob.send(xml(
      "message",
      { to: ROOM },
      xml(
        "x",
        { xmlns: NS.MUC_USER },
        xml("decline", { to: "alice@localhost/phone" }, xml("reason", null, "No")),
      ),
    ));
    const declined = await alice.next((e) =>
      e.name === "message" && child(child(e, "x", NS.MUC_USER) ?? e, "decline") !== undefined
    );
    assert.equal(declined.attrs.from, ROOM);
    assert.equal(child(child(declined, "x", NS.MUC_USER)!, "decline")?.attrs.from, "bob@localhost");
  } finally {
    await t.close();
  }
});

Deno.test("muc: self-ping answers joined occupants only (XEP-0410)", async () => {
  const { t, alice, bob } = await setup();
  const ping = (to: string) => xml("iq", { type: "get", to }, xml("ping", { xmlns: NS.PING }));
  try {
    await createRoom(alice);
    const pong = await alice.iq(ping(`${ROOM}/Alice`));
    assert.equal(pong.attrs.type, "result");
    await assert.rejects(bob.iq(ping(`${ROOM}/Bob`)), /not-acceptable/);
  } finally {
    await t.close();
  }
});

Deno.test("muc: occupant ids are stable per user and room, the same for every session", async () => {
  const { t, alice, bob } = await setup();
  try {
    await createRoom(alice);
    const first = await join(bob, `${ROOM}/Bob`);
    const id = child(first, "occupant-id", NS.OCCUPANT_ID)?.attrs.id;
    await bob.send(xml("presence", { to: `${ROOM}/Bob`, type: "unavailable" }));
    await unavailable(bob, `${ROOM}/Bob`);
    const again = await join(bob, `${ROOM}/Robert`);
    assert.equal(child(again, "occupant-id", NS.OCCUPANT_ID)?.attrs.id, id);
    await say(bob, "hi");
    const said = await alice.next((e) => e.name === "message" && e.attrs.from === `${ROOM}/Robert`);
    assert.equal(child(said, "occupant-id", NS.OCCUPANT_ID)?.attrs.id, id);
  } finally {
    await t.close();
  }
});

Deno.test("muc: an occupant whose session ends leaves the room", async () => {
  const { t, alice, bob } = await setup();
  try {
    await createRoom(alice);
    await join(bob, `${ROOM}/Bob`);
    await bob.peer.drop();
    const gone = await unavailable(alice, `${ROOM}/Bob`);
    assert.equal(item(gone).role, "none");
  } finally {
    await t.close();
  }
});

Deno.test("muc: a second session of the same user shares the nickname", async () => {
  const t = await testServer({ users: USERS });
  try {
    const alice = await t.connect("alice@localhost/phone");
    const laptop = await t.connect("alice@localhost/laptop");
    const bob = await t.connect("bob@localhost/laptop");
    await createRoom(alice);
    await join(bob, `${ROOM}/Bob`);
    const self = await join(laptop, `${ROOM}/Alice`);
    assert.deepEqual(codes(self), [110, 170]);
    await say(bob, "both");
    for (const c of [alice, laptop]) await c.next((e) => text(child(e, "body")) === "both");
    // Another user cannot take it.
    await bob.send(joinPresence(`${ROOM}/Alice`));
    assert.equal(condition(await bob.next((e) => e.attrs.type === "error")), "cancel/conflict");
  } finally {
    await t.close();
  }
});

Deno.test("muc: the service's domain is configurable, and `muc: false` turns it off", async () => {
  const items = async (t: Awaited<ReturnType<typeof testServer>>) => {
    const c = await t.connect("alice@localhost/r");
    const got = await c.iq(
      xml("iq", { type: "get", to: "localhost" }, xml("query", { xmlns: NS.DISCO_ITEMS })),
    );
    return elements(child(got, "query", NS.DISCO_ITEMS)!, "item").map((i) => i.attrs.jid);
  };
  const renamed = await testServer({ users: USERS, muc: { domain: "Chat.Localhost" } });
  try {
    assert.ok((await items(renamed)).includes("chat.localhost"));
  } finally {
    await renamed.close();
  }
  const off = await testServer({ users: USERS, muc: false });
  try {
    assert.ok(!(await items(off)).includes("conference.localhost"));
  } finally {
    await off.close();
  }
  assert.throws(() => resolveConfig({ muc: "yes" as never }), TypeError);
});

Deno.test("muc: unloading the service removes occupants with 332 and the component", async () => {
  const { t, alice, bob } = await setup();
  try {
    await createRoom(alice);
    await join(bob, `${ROOM}/Bob`);
    assert.equal(await t.server.unload("muc"), true);
    const gone = await unavailable(bob, `${ROOM}/Bob`);
    assert.deepEqual(codes(gone).sort(), [110, 332]);
    const other = await unavailable(bob, `${ROOM}/Alice`);
    assert.deepEqual(codes(other), [332]);
    await assert.rejects(
      alice.iq(xml("iq", { type: "get", to: ROOM }, xml("query", { xmlns: NS.DISCO_INFO }))),
      /remote-server-not-found|service-unavailable/,
    );
  } finally {
    await t.close();
  }
});

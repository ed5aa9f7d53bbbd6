// #15 item 2: a RosterProvider's contacts are read-only roster items with subscription `both`,
// presence flows without a subscription handshake, and `rosterChanged` pushes the changes.
import assert from "node:assert/strict";
import { child, type Element, elements, type RosterProvider, text, xml } from "../../mod.ts";
import { testServer } from "../../src/testing/mod.ts";

const ROSTER = "jabber:iq:roster";
const STANZAS = "urn:ietf:params:xml:ns:xmpp-stanzas";

/** A team whose members all see each other; `members` may change during a test. */
function team(members: string[]): RosterProvider {
  return {
    contacts: (user) =>
      members.includes(user)
        ? members.filter((m) => m !== user).map((jid) => ({
          jid,
          name: jid.split("@")[0].toUpperCase(),
          groups: ["Team"],
        }))
        : [],
  };
}

function rosterGet(): Element {
  return xml("iq", { type: "get" }, xml("query", { xmlns: ROSTER }));
}

function items(result: Element): Element[] {
  return elements(child(result, "query", ROSTER)!, "item");
}

const isPresence = (from: string, type?: string) => (el: Element) =>
  el.name === "presence" && el.attrs.from === from && el.attrs.type === type;

Deno.test("provided roster: a roster get lists the app's contacts with subscription both", async () => {
  const t = await testServer({
    users: ["a@localhost", "b@localhost", "c@localhost"],
    rosterProvider: team(["a@localhost", "b@localhost", "c@localhost"]),
  });
  try {
    const a = await t.connect("a@localhost/r", { presence: false });
    // A contact of the user's own, stored as usual, next to the provided ones.
    await a.iq(
      xml("iq", { type: "set" }, xml("query", { xmlns: ROSTER }, xml("item", { jid: "d@x.org" }))),
    );
    const result = await a.iq(rosterGet());
    assert.equal(result.attrs.type, "result");
    const got = items(result).sort((x, y) => x.attrs.jid.localeCompare(y.attrs.jid));
    assert.deepEqual(got.map((i) => i.attrs.jid), ["b@localhost", "c@localhost", "d@x.org"]);
    for (const item of got.slice(0, 2)) {
      assert.equal(item.attrs.subscription, "both");
      assert.equal(item.attrs.ask, undefined);
      assert.deepEqual(elements(item, "group").map((g) => text(g)), ["Team"]);
    }
    assert.equal(got[0].attrs.name, "B");
    assert.equal(got[2].attrs.subscription, "none");
    assert.equal(typeof child(result, "query", ROSTER)!.attrs.ver, "string");
  } finally {
    await t.close();
  }
});

Deno.test("provided roster: changing or removing a provided item is not-allowed and changes nothing", async () => {
  const t = await testServer({
    users: ["a@localhost", "b@localhost"],
    rosterProvider: team(["a@localhost", "b@localhost"]),
  });
  try {
    const a = await t.connect("a@localhost/r", { presence: false });
    const edit = xml("item", { jid: "b@localhost", name: "Robert" }, xml("group", null, "Mine"));
    const remove = xml("item", { jid: "b@localhost", subscription: "remove" });
    for (const item of [edit, remove]) {
      const id = `set-${item.attrs.subscription ?? "edit"}`;
      await a.send(xml("iq", { type: "set", id }, xml("query", { xmlns: ROSTER }, item)));
      const reply = await a.next((el) => el.attrs.id === id);
      assert.equal(reply.attrs.type, "error");
      const error = child(reply, "error")!;
      assert.equal(error.attrs.type, "cancel");
      assert.ok(child(error, "not-allowed", STANZAS), "a <not-allowed/> condition");
    }
    const [b] = items(await a.iq(rosterGet()));
    assert.equal(b.attrs.name, "B");
    assert.equal(b.attrs.subscription, "both");
    assert.equal(await t.server.storage.roster.count("a@localhost" as never), 0);
  } finally {
    await t.close();
  }
});

Deno.test("provided roster: presence flows between app contacts with no subscription handshake", async () => {
  const t = await testServer({
    users: ["a@localhost", "b@localhost", "z@localhost"],
    rosterProvider: team(["a@localhost", "b@localhost"]),
  });
  try {
    const a = await t.connect("a@localhost/r");
    const b = await t.connect("b@localhost/r");
    // b's initial presence: broadcast to a (§4.2.2); b's probe is answered with a's presence.
    await a.next(isPresence("b@localhost/r"));
    await b.next(isPresence("a@localhost/r"));
    const z = await t.connect("z@localhost/r");
    await b.send(xml("presence", null, xml("show", null, "away")));
    const away = await a.next(isPresence("b@localhost/r"));
    assert.equal(text(child(away, "show")), "away");
    // Not on the team: z gets nothing, and its probe of a reveals nothing.
    await z.send(xml("presence", { to: "a@localhost", type: "probe" }));
    await assert.rejects(
      z.next(
        (el) =>
          el.name === "presence" && el.attrs.from !== undefined && el.attrs.from.startsWith("a@"),
        300,
      ),
    );
    await b.close();
    await a.next(isPresence("b@localhost/r", "unavailable"));
  } finally {
    await t.close();
  }
});

Deno.test("provided roster: rosterChanged pushes added and removed contacts and exchanges presence", async () => {
  const members = ["a@localhost", "b@localhost"];
  const t = await testServer({
    users: ["a@localhost", "b@localhost", "c@localhost"],
    rosterProvider: team(members),
  });
  try {
    const a = await t.connect("a@localhost/r");
    await a.iq(rosterGet()); // an interested resource (RFC 6121 §2.1.6)
    const c = await t.connect("c@localhost/r");
    await c.iq(rosterGet());
    members.push("c@localhost");
    await t.server.rosterChanged("a@localhost");
    await t.server.rosterChanged("c@localhost");
    const push = await a.next((el) => el.name === "iq" && el.attrs.type === "set");
    const query = child(push, "query", ROSTER)!;
    assert.equal(typeof query.attrs.ver, "string");
    const [item] = elements(query, "item");
    assert.equal(item.attrs.jid, "c@localhost");
    assert.equal(item.attrs.subscription, "both");
    await a.next(isPresence("c@localhost/r"));
    await c.next(isPresence("a@localhost/r"));
    // No change: no push.
    await t.server.rosterChanged("a@localhost");
    members.splice(members.indexOf("c@localhost"), 1);
    await t.server.rosterChanged("a@localhost");
    const removal = await a.next((el) => el.name === "iq" && el.attrs.type === "set");
    const [gone] = elements(child(removal, "query", ROSTER)!, "item");
    assert.equal(gone.attrs.jid, "c@localhost");
    assert.equal(gone.attrs.subscription, "remove");
    await c.next(isPresence("a@localhost/r", "unavailable"));
    assert.equal(a.peer.elements.filter((el) => el.name === "iq").length, 0, "one push each");
  } finally {
    await t.close();
  }
});

Deno.test("provided roster: a subscription request to a provided contact changes nothing stored", async () => {
  const t = await testServer({
    users: ["a@localhost", "b@localhost"],
    rosterProvider: team(["a@localhost", "b@localhost"]),
  });
  try {
    const a = await t.connect("a@localhost/r");
    const b = await t.connect("b@localhost/r");
    await a.iq(rosterGet());
    await a.send(xml("presence", { to: "b@localhost", type: "subscribe" }));
    // §3.1.3: answered as an existing subscription, on b's behalf; b is not asked.
    await a.next((el) =>
      el.name === "presence" && el.attrs.type === "subscribed" && el.attrs.from === "b@localhost"
    );
    await b.send(xml("presence", { to: "a@localhost", type: "unsubscribe" }));
    await b.send(xml("presence", { to: "a@localhost", type: "unsubscribed" }));
    // Still mutual: the app owns these subscriptions; no unavailable presence was sent.
    await b.send(xml("presence", null, xml("status", null, "still here")));
    const seen = await a.next((el) =>
      el.name === "presence" && el.attrs.from === "b@localhost/r" &&
      child(el, "status") !== undefined
    );
    assert.equal(text(child(seen, "status")), "still here");
    assert.ok(
      !a.peer.elements.some((el) =>
        el.attrs.type === "unavailable" && el.attrs.from === "b@localhost/r"
      ),
      "b's resource was not made unavailable to a",
    );
    assert.ok(!b.peer.elements.some((el) => el.attrs.type === "subscribe"), "b is not asked");
    const [item] = items(await a.iq(rosterGet()));
    assert.equal(item.attrs.subscription, "both");
    const stored = t.server.storage.roster;
    assert.equal(await stored.count("a@localhost" as never), 0);
    assert.equal(await stored.count("b@localhost" as never), 0);
    assert.equal((await stored.listPending("b@localhost" as never)).length, 0);
  } finally {
    await t.close();
  }
});

import assert from "node:assert/strict";
import { testServer } from "../../../src/testing/mod.ts";
import { child, elements, xml } from "../../../src/xml/element.ts";
import { NS } from "../../../src/xml/ns.ts";
import { condition, configure, createRoom, joinPresence, ROOM } from "./_muc.ts";

const USERS = ["alice@localhost", "bob@localhost", "carol@localhost"];

function registration(nick: string) {
  return xml(
    "iq",
    { type: "set", to: ROOM },
    xml(
      "query",
      { xmlns: NS.REGISTER },
      xml(
        "x",
        { xmlns: NS.DATA_FORMS, type: "submit" },
        xml(
          "field",
          { var: "FORM_TYPE" },
          xml("value", null, "http://jabber.org/protocol/muc#register"),
        ),
        xml("field", { var: "muc#register_roomnick" }, xml("value", null, nick)),
      ),
    ),
  );
}

Deno.test("muc registration: a registered nickname makes a member and is kept for its owner (§7.10)", async () => {
  const t = await testServer({ users: USERS });
  try {
    const alice = await t.connect("alice@localhost/phone");
    const bob = await t.connect("bob@localhost/laptop");
    const carol = await t.connect("carol@localhost/pc");
    await createRoom(alice);
    await configure(alice, { "muc#roomconfig_membersonly": "1" });
    const form = await bob.iq(
      xml("iq", { type: "get", to: ROOM }, xml("query", { xmlns: NS.REGISTER })),
    );
    const fields = elements(
      child(child(form, "query", NS.REGISTER)!, "x", NS.DATA_FORMS)!,
      "field",
    );
    assert.deepEqual(fields.map((f) => f.attrs.var), ["FORM_TYPE", "muc#register_roomnick"]);
    await bob.iq(registration("Bobby"));
    await assert.rejects(carol.iq(registration("Bobby")), /conflict/);
    await assert.rejects(carol.iq(registration("\u202e")), /jid-malformed/);
    // §7.12: Bob finds his nickname again.
    const found = await bob.iq(
      xml(
        "iq",
        { type: "get", to: ROOM },
        xml("query", { xmlns: NS.DISCO_INFO, node: "x-roomuser-item" }),
      ),
    );
    assert.equal(child(child(found, "query", NS.DISCO_INFO)!, "identity")?.attrs.name, "Bobby");
    const again = await bob.iq(
      xml("iq", { type: "get", to: ROOM }, xml("query", { xmlns: NS.REGISTER })),
    );
    assert.ok(child(child(again, "query", NS.REGISTER)!, "registered"));
    // Bob is a member now; nobody else may use his nickname.
    const members = await alice.iq(
      xml(
        "iq",
        { type: "get", to: ROOM },
        xml("query", { xmlns: NS.MUC_ADMIN }, xml("item", { affiliation: "member" })),
      ),
    );
    assert.deepEqual(
      elements(child(members, "query", NS.MUC_ADMIN)!, "item").map((i) => i.attrs.jid),
      ["bob@localhost"],
    );
    await alice.send(xml("presence", { to: `${ROOM}/Bobby` }));
    assert.equal(condition(await alice.next((e) => e.attrs.type === "error")), "cancel/conflict");
    await bob.send(joinPresence(`${ROOM}/Bobby`));
    await bob.next((e) =>
      e.name === "presence" && e.attrs.from === `${ROOM}/Bobby` && e.attrs.type === undefined
    );
    // Cancelling frees the nickname.
    await bob.iq(
      xml(
        "iq",
        { type: "set", to: ROOM },
        xml("query", { xmlns: NS.REGISTER }, xml("remove", null)),
      ),
    );
    const gone = await bob.iq(
      xml("iq", { type: "get", to: ROOM }, xml("query", { xmlns: NS.REGISTER })),
    );
    assert.equal(child(child(gone, "query", NS.REGISTER)!, "registered"), undefined);
  } finally {
    await t.close();
  }
});

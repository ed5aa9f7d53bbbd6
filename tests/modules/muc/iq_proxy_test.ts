import assert from "node:assert/strict";
import { testServer } from "../../../src/testing/mod.ts";
import { child, xml } from "../../../src/xml/element.ts";
import { NS } from "../../../src/xml/ns.ts";
import { createRoom, join, ROOM } from "./_muc.ts";

const USERS = ["alice@localhost", "bob@localhost", "carol@localhost"];

Deno.test("muc: an iq to an occupant goes to it from the requester's occupant JID, and back", async () => {
  const t = await testServer({ users: USERS });
  try {
    const alice = await t.connect("alice@localhost/phone");
    const bob = await t.connect("bob@localhost/laptop");
    const carol = await t.connect("carol@localhost/pc");
    await createRoom(alice);
    await join(bob, `${ROOM}/Bob`);
    // A ping to another occupant reaches its client, which answers.
    await bob.send(
      xml("iq", { type: "get", to: `${ROOM}/Alice`, id: "p1" }, xml("ping", { xmlns: NS.PING })),
    );
    const asked = await alice.next((e) => e.name === "iq" && e.attrs.type === "get");
    assert.equal(asked.attrs.from, `${ROOM}/Bob`);
    assert.notEqual(asked.attrs.id, "p1");
    await alice.send(xml("iq", { type: "result", to: asked.attrs.from, id: asked.attrs.id }));
    const answer = await bob.next((e) => e.attrs.id === "p1");
    assert.equal(answer.attrs.type, "result");
    assert.equal(answer.attrs.from, `${ROOM}/Alice`);
    // A vCard request is answered by the occupant's account.
    await alice.iq(
      xml("iq", { type: "set" }, xml("vCard", { xmlns: NS.VCARD }, xml("FN", null, "Alice A."))),
    );
    const vcard = await bob.iq(
      xml("iq", { type: "get", to: `${ROOM}/Alice` }, xml("vCard", { xmlns: NS.VCARD })),
    );
    assert.equal(vcard.attrs.from, `${ROOM}/Alice`);
    assert.equal(child(child(vcard, "vCard", NS.VCARD)!, "FN")?.children[0], "Alice A.");
    // Outsiders and missing occupants.
    await assert.rejects(
      carol.iq(xml("iq", { type: "get", to: `${ROOM}/Alice` }, xml("vCard", { xmlns: NS.VCARD }))),
      /not-acceptable/,
    );
    await assert.rejects(
      bob.iq(xml("iq", { type: "get", to: `${ROOM}/Nobody` }, xml("vCard", { xmlns: NS.VCARD }))),
      /item-not-found/,
    );
    // A forged answer from someone not asked is dropped: Bob's self-ping still works after.
    const pong = await bob.iq(
      xml("iq", { type: "get", to: `${ROOM}/Bob` }, xml("ping", { xmlns: NS.PING })),
    );
    assert.equal(pong.attrs.type, "result");
  } finally {
    await t.close();
  }
});

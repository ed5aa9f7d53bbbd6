// An occupant whose server or session bounces what the room sends is removed with status 333
// (issue #14 item 5: MUC occupants from other servers whose server went away).
import assert from "node:assert/strict";
import { testServer } from "../../../src/testing/mod.ts";
import { xml } from "../../../src/xml/element.ts";
import { NS } from "../../../src/xml/ns.ts";
import { codes, condition, instant, join, ROOM } from "./_muc.ts";

const USERS = ["alice@localhost", "bob@localhost"];

/** A message error from `from` to an occupant JID, as a server bounces a groupchat message. */
const bounce = (from: string, condition: string) =>
  xml(
    "message",
    { xmlns: NS.CLIENT, type: "error", from, to: `${ROOM}/Alice` },
    xml("error", { type: "cancel" }, xml(condition, { xmlns: NS.STANZAS })),
  );

Deno.test("muc: an occupant whose delivery bounces as unreachable is removed with 333", async () => {
  const t = await testServer({ users: USERS });
  try {
    const alice = await t.connect("alice@localhost/phone");
    const bob = await t.connect("bob@localhost/laptop");
    await join(alice, `${ROOM}/Alice`);
    await instant(alice);
    await join(bob, `${ROOM}/Bob`);
    // An error that does not say he is unreachable changes nothing.
    await t.server.router.route(bounce("bob@localhost/laptop", "not-acceptable"));
    // One from someone who is not an occupant neither.
    await t.server.router.route(bounce("alice@localhost/elsewhere", "remote-server-not-found"));
    await assert.rejects(
      alice.next((el) => el.attrs.from === `${ROOM}/Bob` && el.attrs.type === "unavailable", 100),
    );
    // remote-server-not-found (his server went away): he is removed, everyone hears 333.
    await t.server.router.route(bounce("bob@localhost/laptop", "remote-server-not-found"));
    const gone = await alice.next((el) =>
      el.name === "presence" && el.attrs.from === `${ROOM}/Bob` && el.attrs.type === "unavailable"
    );
    assert.deepEqual(codes(gone), [333]);
    // He is no longer an occupant: his groupchat is refused (§7.4).
    await bob.send(
      xml("message", { to: ROOM, type: "groupchat", id: "g" }, xml("body", null, "?")),
    );
    const refused = await bob.next((el) => el.attrs.id === "g" && el.attrs.type === "error");
    assert.equal(condition(refused), "modify/not-acceptable");
  } finally {
    await t.close();
  }
});

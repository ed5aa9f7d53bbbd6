import assert from "node:assert/strict";
import { testServer } from "../../../src/testing/mod.ts";
import { child, type Element, text, xml } from "../../../src/xml/element.ts";
import { NS } from "../../../src/xml/ns.ts";
import { createRoom, join, ROOM, say } from "./_muc.ts";
import { loadXml } from "../../../src/storage/stored_xml.ts";
import type { BareJid } from "../../../src/jid/jid.ts";

const USERS = ["alice@localhost", "bob@localhost", "carol@localhost"];

async function setup() {
  const t = await testServer({ users: USERS });
  const alice = await t.connect("alice@localhost/phone");
  const bob = await t.connect("bob@localhost/laptop");
  await createRoom(alice);
  await join(bob, `${ROOM}/Bob`);
  await say(bob, "spam");
  const said = await alice.next((e) => text(child(e, "body")) === "spam");
  const id = String(child(said, "stanza-id", NS.STANZA_ID)?.attrs.id);
  return { t, alice, bob, id };
}

Deno.test("muc moderation: a moderator retracts a message (XEP-0425 v1); the archive keeps a tombstone", async () => {
  const { t, alice, bob, id } = await setup();
  try {
    const request = (from: typeof alice) =>
      from.iq(xml(
        "iq",
        { type: "set", to: ROOM },
        xml(
          "moderate",
          { xmlns: NS.MODERATE, id },
          xml("retract", { xmlns: NS.RETRACT }),
          xml("reason", null, "Spam"),
        ),
      ));
    await assert.rejects(request(bob), /forbidden/);
    await request(alice);
    const notice = await bob.next((e) => child(e, "retract", NS.RETRACT) !== undefined);
    assert.equal(notice.attrs.from, ROOM);
    assert.equal(notice.attrs.type, "groupchat");
    const retract = child(notice, "retract", NS.RETRACT)!;
    assert.equal(retract.attrs.id, id);
    assert.equal(child(retract, "moderated", NS.MODERATE)?.attrs.by, `${ROOM}/Alice`);
    assert.equal(text(child(retract, "reason")), "Spam");
    const stored = await t.server.storage.archive.get(ROOM as BareJid, id);
    const tomb: Element | undefined = loadXml(stored!.stanza);
    assert.equal(child(tomb!, "body"), undefined);
    assert.ok(child(tomb!, "retracted", NS.RETRACT));
    await assert.rejects(
      alice.iq(xml(
        "iq",
        { type: "set", to: ROOM },
        xml(
          "moderate",
          { xmlns: NS.MODERATE, id: "unknown" },
          xml("retract", { xmlns: NS.RETRACT }),
        ),
      )),
      /item-not-found/,
    );
    // A newcomer's history no longer holds it.
    const carol = await t.connect("carol@localhost/pc");
    await join(carol, `${ROOM}/Carol`);
    const first = await carol.next((e) => e.name === "message");
    assert.ok(child(first, "subject"), "the subject comes first: no history");
  } finally {
    await t.close();
  }
});

Deno.test("muc moderation: version 0 with <apply-to/>, as slixmpp 1.8 sends it", async () => {
  const { t, alice, bob, id } = await setup();
  try {
    await alice.iq(xml(
      "iq",
      { type: "set", to: ROOM },
      xml(
        "apply-to",
        { xmlns: NS.FASTEN, id },
        xml("moderate", { xmlns: NS.MODERATE_0 }, xml("retract", { xmlns: NS.RETRACT_0 })),
      ),
    ));
    const notice = await bob.next((e) => child(e, "apply-to", NS.FASTEN) !== undefined);
    const moderated = child(child(notice, "apply-to", NS.FASTEN)!, "moderated", NS.MODERATE_0)!;
    assert.equal(moderated.attrs.by, `${ROOM}/Alice`);
    assert.ok(child(moderated, "retract", NS.RETRACT_0));
  } finally {
    await t.close();
  }
});

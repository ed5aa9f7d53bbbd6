import assert from "node:assert/strict";
import { testServer } from "../../../src/testing/mod.ts";
import { child, elements, text, xml } from "../../../src/xml/element.ts";
import { NS } from "../../../src/xml/ns.ts";
import { createRoom, join, ROOM } from "./_muc.ts";

const USERS = ["alice@localhost", "bob@localhost", "carol@localhost"];
const PNG = btoa("not really a png");

async function sha1(s: string): Promise<string> {
  const d = new Uint8Array(await crypto.subtle.digest("SHA-1", new TextEncoder().encode(s)));
  return [...d].map((b) => b.toString(16).padStart(2, "0")).join("");
}

Deno.test("muc avatar: owners set the room's vCard; occupants get its hash (XEP-0486)", async () => {
  const t = await testServer({ users: USERS });
  try {
    const alice = await t.connect("alice@localhost/phone");
    const bob = await t.connect("bob@localhost/laptop");
    await createRoom(alice);
    await join(bob, `${ROOM}/Bob`);
    const vcard = xml(
      "vCard",
      { xmlns: NS.VCARD },
      xml("PHOTO", null, xml("TYPE", null, "image/png"), xml("BINVAL", null, PNG)),
    );
    await assert.rejects(bob.iq(xml("iq", { type: "set", to: ROOM }, vcard)), /forbidden/);
    await alice.iq(xml("iq", { type: "set", to: ROOM }, vcard));
    const hash = await sha1("not really a png");
    const update = await bob.next((e) => e.name === "presence" && e.attrs.from === ROOM);
    assert.equal(text(child(child(update, "x", NS.VCARD_UPDATE)!, "photo")), hash);
    const got = await bob.iq(
      xml("iq", { type: "get", to: ROOM }, xml("vCard", { xmlns: NS.VCARD })),
    );
    assert.equal(text(child(child(child(got, "vCard", NS.VCARD)!, "PHOTO")!, "BINVAL")), PNG);
    const info = await bob.iq(
      xml("iq", { type: "get", to: ROOM }, xml("query", { xmlns: NS.DISCO_INFO })),
    );
    const form = child(child(info, "query", NS.DISCO_INFO)!, "x", NS.DATA_FORMS)!;
    const field = elements(form, "field").find((f) => f.attrs.var === "muc#roominfo_avatarhash");
    assert.equal(text(child(field!, "value")), hash);
    // A newcomer learns it on join.
    const carol = await t.connect("carol@localhost/pc");
    await join(carol, `${ROOM}/Carol`);
    const onJoin = await carol.next((e) => e.name === "presence" && e.attrs.from === ROOM);
    assert.equal(text(child(child(onJoin, "x", NS.VCARD_UPDATE)!, "photo")), hash);
    // Too large: refused, the old vCard stays.
    const huge = xml("vCard", { xmlns: NS.VCARD }, xml("DESC", null, "x".repeat(70_000)));
    await assert.rejects(alice.iq(xml("iq", { type: "set", to: ROOM }, huge)), /not-acceptable/);
    const still = await bob.iq(
      xml("iq", { type: "get", to: ROOM }, xml("vCard", { xmlns: NS.VCARD })),
    );
    assert.ok(child(child(still, "vCard", NS.VCARD)!, "PHOTO"));
  } finally {
    await t.close();
  }
});

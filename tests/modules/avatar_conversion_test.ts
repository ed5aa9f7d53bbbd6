// XEP-0398 (presence): a contact sees the PEP avatar's id as the vCard-based avatar hash in
// presence, following the account's publishes; no avatar, no change.
import assert from "node:assert/strict";
import { avatarConversion, type BareJid, child, type Element, NS, text, xml } from "../../mod.ts";
import { type TestClient, testServer } from "../../src/testing/mod.ts";

const META = "urn:xmpp:avatar:metadata";
const HASH = "111f4b3c50d7b0df729d299bc6f8e9ef9066971f";

const publishMetadata = (id: string, info: boolean) =>
  xml(
    "iq",
    { type: "set" },
    xml(
      "pubsub",
      { xmlns: NS.PUBSUB },
      xml(
        "publish",
        { node: META },
        xml(
          "item",
          { id },
          xml(
            "metadata",
            { xmlns: META },
            info
              ? xml("info", { bytes: "12345", id, height: "64", width: "64", type: "image/png" })
              : undefined,
          ),
        ),
      ),
    ),
  );

function photo(presence: Element): string | undefined {
  const x = child(presence, "x", "vcard-temp:x:update");
  return x ? text(child(x, "photo")) : undefined;
}

const presenceFrom = (c: TestClient, jid: string, marker: string) =>
  c.next((el) =>
    el.name === "presence" && el.attrs.from === jid &&
    text(child(el, "status")) === marker
  );

Deno.test("avatarConversion(): presence carries the PEP avatar id as the vcard-temp:x:update photo", async () => {
  const t = await testServer({ users: ["a@localhost", "b@localhost"] });
  try {
    const both = { groups: [], subscription: "both", ask: false, approved: false } as const;
    await t.server.storage.roster.setItem(
      "a@localhost" as BareJid,
      { ...both, jid: "b@localhost" as BareJid },
    );
    await t.server.storage.roster.setItem(
      "b@localhost" as BareJid,
      { ...both, jid: "a@localhost" as BareJid },
    );
    const b = await t.connect("b@localhost/r");
    const a = await t.connect("a@localhost/r", { presence: false });
    const info = await a.iq(
      xml("iq", { type: "get", to: "a@localhost" }, xml("query", { xmlns: NS.DISCO_INFO })),
    );
    assert.ok(JSON.stringify(info).includes("urn:xmpp:pep-vcard-conversion:0"));
    // No avatar: presence as sent.
    await a.send(xml("presence", null, xml("status", null, "p0")));
    assert.equal(photo(await presenceFrom(b, "a@localhost/r", "p0")), undefined);
    await a.iq(publishMetadata(HASH, true));
    // The client's own (stale) hash is replaced.
    await a.send(
      xml(
        "presence",
        null,
        xml("status", null, "p1"),
        xml("x", { xmlns: "vcard-temp:x:update" }, xml("photo", null, "stale")),
      ),
    );
    const p1 = await presenceFrom(b, "a@localhost/r", "p1");
    assert.equal(photo(p1), HASH);
    assert.equal(
      p1.children.filter((c) => typeof c !== "string" && c.name === "x").length,
      1,
      "one x:update",
    );
    // An empty <metadata/> disables the avatar.
    await a.iq(publishMetadata("none", false));
    await a.send(xml("presence", null, xml("status", null, "p2")));
    assert.equal(photo(await presenceFrom(b, "a@localhost/r", "p2")), undefined);
    // At the next login the stored avatar is read back.
    await a.iq(publishMetadata(HASH, true));
    await a.close();
    // A fresh module (as after a restart) knows nothing until the account logs in.
    await t.server.unload("avatar-conversion");
    await t.server.use(avatarConversion());
    const again = await t.connect("a@localhost/r2", { presence: false });
    await again.send(xml("presence", null, xml("status", null, "p3")));
    assert.equal(photo(await presenceFrom(b, "a@localhost/r2", "p3")), HASH);
  } finally {
    await t.close();
  }
});

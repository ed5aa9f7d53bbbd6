import assert from "node:assert/strict";
import { itemElement, loadXml, storeXml } from "../../src/modules/_roster_common.ts";
import type { BareJid } from "../../src/jid/jid.ts";
import { xml } from "../../src/xml/element.ts";

Deno.test("itemElement() writes ask, approved and groups as RFC 6121 §2.1.2 names them", () => {
  const el = itemElement({
    jid: "bob@localhost" as BareJid,
    name: "Bob",
    groups: ["A", "B"],
    subscription: "from",
    ask: true,
    approved: true,
  });
  assert.deepEqual(
    el,
    xml(
      "item",
      {
        jid: "bob@localhost",
        name: "Bob",
        subscription: "from",
        ask: "subscribe",
        approved: "true",
      },
      xml("group", null, "A"),
      xml("group", null, "B"),
    ),
  );
});

Deno.test("storeXml() and loadXml() round-trip a stanza with extensions", () => {
  const stanza = xml(
    "presence",
    { xmlns: "jabber:client", type: "subscribe", from: "a@localhost", to: "b@localhost" },
    xml("nick", { xmlns: "http://jabber.org/protocol/nick" }, "A & <B>"),
  );
  const back = loadXml(storeXml(stanza));
  assert.equal(back.name, "presence");
  assert.equal(back.xmlns, "jabber:client");
  assert.deepEqual(back.attrs, { type: "subscribe", from: "a@localhost", to: "b@localhost" });
  assert.equal(back.children.length, 1);
  assert.equal(storeXml(back), storeXml(stanza));
});

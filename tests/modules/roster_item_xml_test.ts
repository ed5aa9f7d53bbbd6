import assert from "node:assert/strict";
import { rosterItemElement, rosterItemFromElement } from "../../src/modules/roster_item_xml.ts";
import type { BareJid } from "../../src/jid/jid.ts";
import { elements, xml } from "../../src/xml/element.ts";
import { NS } from "../../src/xml/ns.ts";
import { loadXml, storeXml } from "../../src/storage/stored_xml.ts";

Deno.test("rosterItemElement() writes ask, approved and groups as RFC 6121 §2.1.2 names them", () => {
  const el = rosterItemElement({
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

Deno.test("rosterItemFromElement() reads back what rosterItemElement() writes, in jabber:iq:roster", () => {
  const item = {
    jid: "bob@localhost" as BareJid,
    name: "Bob",
    groups: ["A", "B"],
    subscription: "from" as const,
    ask: true,
    approved: true,
  };
  const query = loadXml(storeXml(xml("query", { xmlns: NS.ROSTER }, rosterItemElement(item))))!;
  assert.deepEqual(rosterItemFromElement(elements(query)[0]), item);
});

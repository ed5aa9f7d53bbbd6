import assert from "node:assert/strict";
import { itemElement } from "../../src/modules/_roster_common.ts";
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

// XEP-0157 contact addresses: the serverinfo form in the server's disco#info, from the
// configuration; bad configuration is refused.
import assert from "node:assert/strict";
import { child, contactAddresses, elements, NS, text, xml } from "../../mod.ts";
import { testServer } from "../../src/testing/mod.ts";

Deno.test("contactAddresses(): the server's disco#info carries the serverinfo form from contactInfo", async () => {
  const t = await testServer({
    users: ["a@localhost"],
    contactInfo: {
      abuse: ["mailto:abuse@localhost", "xmpp:abuse@localhost"],
      security: ["https://localhost/security"],
    },
  });
  try {
    const a = await t.connect("a@localhost/r");
    const info = await a.iq(
      xml("iq", { type: "get", to: "localhost" }, xml("query", { xmlns: NS.DISCO_INFO })),
    );
    const forms = elements(child(info, "query", NS.DISCO_INFO)!, "x", NS.DATA_FORMS);
    assert.equal(forms.length, 1);
    assert.equal(forms[0].attrs.type, "result");
    const fields = Object.fromEntries(
      elements(forms[0], "field", NS.DATA_FORMS).map((f) => [
        f.attrs.var,
        { type: f.attrs.type, values: elements(f, "value", NS.DATA_FORMS).map((v) => text(v)) },
      ]),
    );
    assert.deepEqual(fields, {
      FORM_TYPE: { type: "hidden", values: ["http://jabber.org/network/serverinfo"] },
      "abuse-addresses": {
        type: undefined,
        values: ["mailto:abuse@localhost", "xmpp:abuse@localhost"],
      },
      "security-addresses": { type: undefined, values: ["https://localhost/security"] },
    });
    // Not on accounts.
    const account = await a.iq(
      xml("iq", { type: "get", to: "a@localhost" }, xml("query", { xmlns: NS.DISCO_INFO })),
    );
    assert.equal(elements(child(account, "query")!, "x", NS.DATA_FORMS).length, 0);
  } finally {
    await t.close();
  }
});

Deno.test("contactAddresses() refuses unknown kinds and non-string addresses; none configured adds no form", async () => {
  assert.throws(() => contactAddresses({ spam: ["x"] } as never), TypeError);
  assert.throws(() => contactAddresses({ abuse: "mailto:x" } as never), TypeError);
  assert.throws(() => contactAddresses({ abuse: [""] }), TypeError);
  const t = await testServer({ users: ["a@localhost"] });
  try {
    const a = await t.connect("a@localhost/r");
    const info = await a.iq(
      xml("iq", { type: "get", to: "localhost" }, xml("query", { xmlns: NS.DISCO_INFO })),
    );
    assert.equal(elements(child(info, "query")!, "x", NS.DATA_FORMS).length, 0);
  } finally {
    await t.close();
  }
});

import assert from "node:assert/strict";
import { loadXml, storedXmlBytes, storeXml } from "../../src/storage/stored_xml.ts";
import { type Element, xml } from "../../src/xml/element.ts";
import { XmlSyntaxError } from "../../src/xml/errors.ts";

Deno.test("storeXml() and loadXml() round-trip a stanza with extensions", () => {
  const stanza = xml(
    "presence",
    { xmlns: "jabber:client", type: "subscribe", from: "a@localhost", to: "b@localhost" },
    xml("nick", { xmlns: "http://jabber.org/protocol/nick" }, "A & <B>"),
  );
  const back = loadXml(storeXml(stanza));
  assert.deepEqual(back, stanza);
  assert.equal(storeXml(back!), storeXml(stanza));
});

Deno.test("loadXml() reads back a stanza nested as deep as the configuration allows", () => {
  let inner: Element = xml("x", { xmlns: "urn:example:deep" });
  for (let i = 0; i < 1022; i++) inner = xml("x", { xmlns: "urn:example:deep" }, inner);
  const message = xml("message", { xmlns: "jabber:client", to: "a@localhost" }, inner);
  const stored = storeXml(message);
  const back = loadXml(stored);
  assert.equal(back?.name, "message");
  assert.equal(storeXml(back!), stored);
});

Deno.test("loadXml() returns undefined for empty text and throws on malformed XML", () => {
  assert.equal(loadXml(""), undefined);
  assert.throws(() => loadXml("<message xmlns='jabber:client'><body></message>"), XmlSyntaxError);
});

Deno.test("storedXmlBytes() counts UTF-8 bytes", () => {
  assert.equal(storedXmlBytes("<a xmlns='x'>é</a>"), 19);
});

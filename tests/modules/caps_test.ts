// XEP-0115 §5 verification strings, with the specification's own examples.
import assert from "node:assert/strict";
import { capsOf, capsString, capsVer } from "../../src/modules/caps.ts";
import { type Element, xml } from "../../src/xml/element.ts";
import { NS } from "../../src/xml/ns.ts";

const DI = NS.DISCO_INFO;
const FEATURES = [NS.CAPS, DI, NS.DISCO_ITEMS, "http://jabber.org/protocol/muc"];
const feature = (v: string) => xml("feature", { xmlns: DI, var: v });

function field(v: string, ...values: string[]): Element {
  return xml(
    "field",
    { xmlns: NS.DATA_FORMS, var: v },
    values.map((value) => xml("value", { xmlns: NS.DATA_FORMS }, value)),
  );
}

Deno.test("capsVer() computes the XEP-0115 §5.2 simple example", async () => {
  const query = xml(
    "query",
    { xmlns: DI },
    xml("identity", { xmlns: DI, category: "client", type: "pc", name: "Exodus 0.9.1" }),
    // Out of order on purpose: the algorithm sorts.
    [...FEATURES].reverse().map(feature),
  );
  assert.equal(
    capsString(query),
    "client/pc//Exodus 0.9.1<http://jabber.org/protocol/caps<http://jabber.org/protocol/disco#info<" +
      "http://jabber.org/protocol/disco#items<http://jabber.org/protocol/muc<",
  );
  assert.equal(await capsVer(query, "sha-1"), "QgayPKawpkPSDYmwT/WM94uAlu0=");
});

Deno.test("capsVer() computes the XEP-0115 §5.3 complex example with a data form", async () => {
  const query = xml(
    "query",
    { xmlns: DI },
    xml("identity", {
      xmlns: DI,
      "xml:lang": "en",
      category: "client",
      type: "pc",
      name: "Psi 0.11",
    }),
    xml("identity", {
      xmlns: DI,
      "xml:lang": "el",
      category: "client",
      type: "pc",
      name: "Ψ 0.11",
    }),
    FEATURES.map(feature),
    xml(
      "x",
      { xmlns: NS.DATA_FORMS, type: "result" },
      field("FORM_TYPE", "urn:xmpp:dataforms:softwareinfo"),
      field("ip_version", "ipv6", "ipv4"),
      field("os", "Mac"),
      field("os_version", "10.5.1"),
      field("software", "Psi"),
      field("software_version", "0.11"),
    ),
  );
  assert.equal(await capsVer(query, "sha-1"), "q07IKJEyjvHSyhy//CH0CxmKi8w=");
});

Deno.test("capsVer() rejects duplicates and unknown hashes (XEP-0115 §5.4)", async () => {
  const dup = xml("query", { xmlns: DI }, feature("a"), feature("a"));
  assert.equal(await capsVer(dup, "sha-1"), undefined);
  assert.equal(await capsVer(xml("query", { xmlns: DI }, feature("a")), "md5"), undefined);
  assert.ok(await capsVer(xml("query", { xmlns: DI }, feature("a")), "sha-256"));
});

Deno.test("capsOf() reads the <c/> element and ignores legacy caps", () => {
  const c = (attrs: Record<string, string>) =>
    xml("presence", { xmlns: NS.CLIENT }, xml("c", { xmlns: NS.CAPS, ...attrs }));
  assert.deepEqual(capsOf(c({ hash: "sha-1", node: "n", ver: "v" })), {
    hash: "sha-1",
    node: "n",
    ver: "v",
  });
  assert.equal(capsOf(c({ node: "n", ver: "v", ext: "x" })), undefined);
  assert.equal(capsOf(xml("presence", { xmlns: NS.CLIENT })), undefined);
});

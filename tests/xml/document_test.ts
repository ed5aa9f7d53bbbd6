import assert from "node:assert/strict";
import { type Element, xml } from "../../src/xml/element.ts";
import { parseXmlDocument } from "../../src/xml/document.ts";
import { RestrictedXmlError, XmlLimitError, XmlSyntaxError } from "../../src/xml/errors.ts";
import { NS } from "../../src/xml/ns.ts";
import { serialize } from "../../src/xml/serializer.ts";
import { StreamParser } from "../../src/xml/stream_parser.ts";
import { clientStream } from "../../bench/fixtures/client_stream.ts";
import { el } from "./_stream_helpers.ts";

const PIE = "urn:xmpp:pie:0";

const VALID: [string, string, Element][] = [
  [
    "comments before, inside and after the root",
    "<?xml version='1.0' encoding='UTF-8'?>\n<!-- exported 2026-01-01 -->\n" +
    "<server-data xmlns='urn:xmpp:pie:0'><!-- one host --><host jid='a'/></server-data>\n" +
    "<!-- end -->\n",
    el("server-data", PIE, {}, el("host", PIE, { jid: "a" })),
  ],
  [
    "a comment inside text, which joins the text around it",
    "<a>one <!-- hi --> two</a>",
    el("a", "", {}, "one  two"),
  ],
  [
    "processing instructions, skipped",
    "<?xml-stylesheet href='a.xsl'?><a><?php echo 'x>y' ?></a>",
    el("a", ""),
  ],
  [
    "a CDATA section, as text that is not decoded",
    "<body><![CDATA[a &amp; <b>]]> &amp; c</body>",
    el("body", "", {}, "a &amp; <b> & c"),
  ],
  [
    "references, line ends and attribute whitespace as the stream parser reads them",
    "<a v='x&#10;y\tz'>&lt;3 &#x1F600;\r\n</a>",
    el("a", "", { v: "x\ny z" }, "<3 😀\n"),
  ],
  [
    "a byte order mark and whitespace before the declaration",
    "\uFEFF\n<?xml version='1.0'?><a/>",
    el("a", ""),
  ],
  [
    "namespaces, with the declaration of a prefix used in an attribute on the element",
    "<s xmlns='urn:s' xmlns:x='urn:x'><x:e x:a='1' xml:lang='en'><c/></x:e></s>",
    el(
      "s",
      "urn:s",
      { "xmlns:x": "urn:x" },
      el("e", "urn:x", { "x:a": "1", "xml:lang": "en", "xmlns:x": "urn:x" }, el("c", "urn:s")),
    ),
  ],
  [
    "elements that HTML parsers treat specially, as ordinary XML",
    "<a><link href='x'>t</link><br></br><script><b>&amp;</b></script></a>",
    el(
      "a",
      "",
      {},
      el("link", "", { href: "x" }, "t"),
      el("br", ""),
      el("script", "", {}, el("b", "", {}, "&")),
    ),
  ],
];

for (const [what, text, expected] of VALID) {
  Deno.test(`parseXmlDocument() reads ${what}`, () => {
    assert.deepStrictEqual(parseXmlDocument(text), expected);
  });
}

Deno.test("parseXmlDocument() reads each recorded stanza as the stream parser does", () => {
  const { text } = clientStream();
  const parsed = [...new StreamParser().push(new TextEncoder().encode(text))];
  let n = 0;
  for (const event of parsed) {
    if (event.kind !== "element") continue;
    const stored = serialize(event.element, ""); // namespaces written, as stores keep them
    const framed = [...new StreamParser({ framed: true }).push(new TextEncoder().encode(stored))];
    assert.deepStrictEqual(parseXmlDocument(stored), (framed[0] as { element: Element }).element);
    n++;
  }
  assert.ok(n > 100);
});

const ERRORS: [string, string, typeof XmlSyntaxError | typeof XmlLimitError, RegExp][] = [
  [
    "a DTD",
    "<!DOCTYPE server-data><server-data xmlns='urn:xmpp:pie:0'/>",
    RestrictedXmlError,
    /document type declaration/,
  ],
  [
    "an external entity",
    "<?xml version='1.0'?><!DOCTYPE d [<!ENTITY xxe SYSTEM 'file:///etc/passwd'>]><d>&xxe;</d>",
    RestrictedXmlError,
    /document type declaration.*external/,
  ],
  [
    "an entity bomb",
    "<!DOCTYPE l [<!ENTITY a 'aa'><!ENTITY b '&a;&a;'>]><l>&b;</l>",
    RestrictedXmlError,
    /DOCTYPE/,
  ],
  ["an ENTITY declaration in content", "<a><!ENTITY a 'b'></a>", RestrictedXmlError, /ENTITY/],
  ["an undeclared entity", "<a>&nbsp;</a>", XmlSyntaxError, /Undeclared entity reference "&nbsp;"/],
  ["an unbound prefix", "<a><x:b/></a>", XmlSyntaxError, /Unbound namespace prefix in "x:b"/],
  ["an unbound attribute prefix", "<a x:b='1'/>", XmlSyntaxError, /Unbound namespace prefix/],
  ["a truncated file", "<a><b>text</b>", XmlSyntaxError, /Unclosed root element <a>/],
  ["a file cut inside a tag", "<a><b x='1", XmlSyntaxError, /Unclosed|Malformed/],
  ["a mismatched end tag", "<a><b></a>", XmlSyntaxError, /Malformed document/],
  ["two root elements", "<a/><b/>", XmlSyntaxError, /More than one root element/],
  ["no root element", "<!-- nothing -->", XmlSyntaxError, /No root element/],
  ["text outside the root", "<a/>x", XmlSyntaxError, /Text outside the root element/],
  ["an attribute without a value", "<a b/>", XmlSyntaxError, /Attribute "b" has no value/],
  ["an invalid character", "<a>\u0001</a>", XmlSyntaxError, /Invalid XML character/],
  ["an unterminated comment", "<a><!-- x</a>", XmlSyntaxError, /Unterminated comment/],
  [
    "a late XML declaration",
    "<a/><?xml version='1.0'?>",
    XmlSyntaxError,
    /only allowed at the start/,
  ],
  [
    "an encoding other than UTF-8",
    "<?xml version='1.0' encoding='ISO-8859-1'?><a/>",
    RestrictedXmlError,
    /Unsupported encoding/,
  ],
];

for (const [what, text, type, message] of ERRORS) {
  Deno.test(`parseXmlDocument() rejects ${what}`, () => {
    assert.throws(() => parseXmlDocument(text), (e: Error) => {
      assert.ok(e instanceof type, `${e.name}: ${e.message}`);
      assert.match(e.message, message);
      return true;
    });
  });
}

Deno.test("parseXmlDocument() stops at maxDepth", () => {
  const deep = "<a>".repeat(6) + "</a>".repeat(6);
  assert.equal(parseXmlDocument(deep, { maxDepth: 6 }).name, "a");
  assert.throws(() => parseXmlDocument(deep, { maxDepth: 5 }), XmlLimitError);
  const huge = "<a>".repeat(100_000) + "</a>".repeat(100_000);
  assert.throws(() => parseXmlDocument(huge), XmlLimitError);
});

Deno.test("parseXmlDocument() gives elements that serialize and read back as streams do", () => {
  const root = parseXmlDocument(
    "<!-- c --><s xmlns='urn:s' xmlns:x='urn:x'><m x:a='&lt;'><![CDATA[<&>]]></m></s>",
  );
  const m = root.children[0] as Element;
  const stored = serialize(m, "");
  assert.equal(stored, '<m xmlns="urn:s" x:a="&lt;" xmlns:x="urn:x">&lt;&amp;&gt;</m>');
  const [event] = [...new StreamParser({ framed: true }).push(new TextEncoder().encode(stored))];
  assert.deepStrictEqual(event, { kind: "element", element: m });
  assert.deepStrictEqual(
    parseXmlDocument("<iq xmlns='jabber:client' type='get'><ping xmlns='urn:xmpp:ping'/></iq>"),
    xml("iq", { xmlns: NS.CLIENT, type: "get" }, xml("ping", { xmlns: NS.PING })),
  );
});

import assert from "node:assert/strict";
import { type Element, xml } from "../../src/xml/element.ts";
import { NS } from "../../src/xml/ns.ts";
import {
  escapeAttr,
  escapeText,
  serialize,
  streamClose,
  streamOpen,
} from "../../src/xml/serializer.ts";
import { StreamParser } from "../../src/xml/stream_parser.ts";
import { clientStream } from "../../bench/fixtures/client_stream.ts";
import { unboundAttrPrefixes } from "../scenarios/_raw.ts";

const enc = new TextEncoder();

Deno.test("escapeText() escapes &, <, > and CR, and replaces characters XML forbids", () => {
  const cases: [string, string][] = [
    ["plain text", "plain text"],
    ["a < b & c > d", "a &lt; b &amp; c &gt; d"],
    ["]]>", "]]&gt;"],
    [`"quotes" 'stay'`, `"quotes" 'stay'`],
    ["tab\tand\nnewline", "tab\tand\nnewline"],
    ["cr\r\n", "cr&#13;\n"],
    ["bell\x07 nul\x00 fffe\uFFFE", "bell\uFFFD nul\uFFFD fffe\uFFFD"],
    ["Grüße 😀", "Grüße 😀"],
    ["", ""],
  ];
  for (const [input, expected] of cases) {
    assert.equal(escapeText(input), expected, JSON.stringify(input));
  }
});

Deno.test("escapeAttr() escapes markup, both quotes, and tab, LF and CR as references", () => {
  const cases: [string, string][] = [
    ["romeo@montague.lit/orchard", "romeo@montague.lit/orchard"],
    [`a&b<c>d"e'f`, "a&amp;b&lt;c&gt;d&quot;e&apos;f"],
    ["a\tb\nc\rd", "a&#9;b&#10;c&#13;d"],
    ["esc\x1B", "esc\uFFFD"],
    ["", ""],
  ];
  for (const [input, expected] of cases) {
    assert.equal(escapeAttr(input), expected, JSON.stringify(input));
  }
});

const SERIALIZE: [string, Element, string | undefined, string][] = [
  [
    "writes a stanza in the content namespace without xmlns",
    xml(
      "message",
      { xmlns: NS.CLIENT, to: "juliet@example.com", type: "chat" },
      xml("body", null, "Hi & bye"),
    ),
    undefined,
    '<message to="juliet@example.com" type="chat"><body>Hi &amp; bye</body></message>',
  ],
  [
    "writes xmlns where the namespace changes, not on children that share it",
    xml(
      "iq",
      { type: "result", id: "r1" },
      xml(
        "query",
        { xmlns: "jabber:iq:roster" },
        xml("item", { jid: "a@b" }, xml("group", null, "G")),
      ),
    ),
    undefined,
    '<iq type="result" id="r1"><query xmlns="jabber:iq:roster"><item jid="a@b"><group>G</group></item>' +
    "</query></iq>",
  ],
  [
    'writes an element whose xmlns is "" in its parent\'s namespace',
    {
      name: "presence",
      xmlns: "",
      attrs: {},
      children: [{ name: "show", xmlns: "", attrs: {}, children: ["away"] }],
    },
    undefined,
    "<presence><show>away</show></presence>",
  ],
  [
    "writes xmlns on a stanza of another content namespace",
    xml("message", { xmlns: NS.CLIENT, to: "a@b" }),
    NS.SERVER,
    '<message xmlns="jabber:client" to="a@b"/>',
  ],
  [
    "writes streams-namespace elements with the stream: prefix",
    xml(
      "features",
      { xmlns: NS.STREAM },
      xml("starttls", { xmlns: NS.TLS }, xml("required", null)),
      xml("bind", { xmlns: NS.BIND }),
    ),
    undefined,
    '<stream:features><starttls xmlns="urn:ietf:params:xml:ns:xmpp-tls"><required/></starttls>' +
    '<bind xmlns="urn:ietf:params:xml:ns:xmpp-bind"/></stream:features>',
  ],
  [
    "writes a child of a stream: element that is in the content namespace without xmlns",
    xml(
      "error",
      { xmlns: NS.STREAM },
      xml("x", { xmlns: NS.CLIENT }),
      xml("text", { xmlns: NS.STREAMS }, "bye"),
    ),
    undefined,
    '<stream:error><x/><text xmlns="urn:ietf:params:xml:ns:xmpp-streams">bye</text></stream:error>',
  ],
  [
    "escapes attribute values and keeps prefixed attributes",
    xml("message", { id: 'a"b\n', "xml:lang": "en", "xmlns:x": "urn:x", "x:y": "<>" }),
    undefined,
    '<message id="a&quot;b&#10;" xml:lang="en" xmlns:x="urn:x" x:y="&lt;&gt;"/>',
  ],
  [
    "ignores an xmlns key in attrs",
    { name: "a", xmlns: "urn:a", attrs: { xmlns: "urn:b" }, children: [] },
    undefined,
    '<a xmlns="urn:a"/>',
  ],
  [
    "writes mixed content in order",
    xml("body", null, "a", xml("b", null, "c"), "d"),
    undefined,
    "<body>a<b>c</b>d</body>",
  ],
  [
    "writes no xmlns for an element without namespace under no default namespace",
    xml("open", null),
    "",
    "<open/>",
  ],
];

for (const [what, el, parent, expected] of SERIALIZE) {
  Deno.test(`serialize() ${what}`, () => {
    assert.equal(parent === undefined ? serialize(el) : serialize(el, parent), expected);
  });
}

Deno.test("streamOpen() writes the declaration and a header that binds the stream prefix", () => {
  assert.equal(
    streamOpen({ from: "example.com", id: "s1", version: "1.0", "xml:lang": "en" }),
    "<?xml version='1.0'?><stream:stream xmlns='jabber:client' " +
      "xmlns:stream='http://etherx.jabber.org/streams' from='example.com' id='s1' version='1.0' xml:lang='en'>",
  );
});

Deno.test("streamOpen() lets attrs set the content namespace and escapes values", () => {
  assert.equal(
    streamOpen({ xmlns: NS.SERVER, to: "a'b&c" }),
    "<?xml version='1.0'?><stream:stream xmlns='jabber:server' " +
      "xmlns:stream='http://etherx.jabber.org/streams' to='a&apos;b&amp;c'>",
  );
});

Deno.test("streamClose() writes the end tag of the stream", () => {
  assert.equal(streamClose(), "</stream:stream>");
});

/** Parses `body` as the content of a stream that `streamOpen()` opened. */
function reparse(body: string): Element[] {
  const parser = new StreamParser();
  const events = [
    ...parser.push(enc.encode(streamOpen({ to: "example.com" }) + body + streamClose())),
  ];
  assert.equal(events[0].kind, "open");
  assert.equal(events.at(-1)?.kind, "close");
  return events.flatMap((e) => e.kind === "element" ? [e.element] : []);
}

Deno.test("serialize() declares attribute prefixes that the stream header declared", () => {
  // A client declares a prefix on its stream header and uses it in stanza attributes; the
  // stanza is relayed to a stream whose header does not declare it (#10 item 5).
  const parser = new StreamParser();
  const header =
    "<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'" +
    " xmlns:x='urn:example:x' to='localhost' version='1.0'>";
  const input = header + "<message to='bob@localhost' x:z='1'><body x:z='2' xml:lang='en'>Hi" +
    "</body></message>";
  const [, event] = [...parser.push(enc.encode(input))];
  assert.equal(event.kind, "element");
  const message = (event as { element: Element }).element;
  const out = serialize(message);
  assert.equal(
    out,
    '<message to="bob@localhost" x:z="1" xmlns:x="urn:example:x">' +
      '<body x:z="2" xml:lang="en" xmlns:x="urn:example:x">Hi</body></message>',
  );
  assert.deepEqual(unboundAttrPrefixes(out), []);
  // A child taken out of its stanza (a PEP payload, a forwarded body) stays well-formed.
  const body = serialize(message.children[0] as Element);
  assert.deepEqual(unboundAttrPrefixes(body), []);
  // Read back by a parser that knows nothing of the first stream's header.
  const stored = serialize(message, ""); // with xmlns="jabber:client", as stores write it
  const framed = [...new StreamParser({ framed: true }).push(enc.encode(stored))];
  assert.deepStrictEqual(framed, [{ kind: "element", element: message }]);
});

Deno.test("serialize() declares a prefix declared on an ancestor inside the stanza where it is used", () => {
  const parser = new StreamParser({ framed: true });
  const input = "<iq xmlns='jabber:client' xmlns:p='urn:p' type='set'><pubsub xmlns='urn:ps'>" +
    "<item p:a='1'><payload xmlns='urn:payload' p:b='2'/></item></pubsub></iq>";
  const [event] = [...parser.push(enc.encode(input))];
  const iq = (event as { element: Element }).element;
  const item = ((iq.children[0] as Element).children[0]) as Element;
  const out = serialize(item, "urn:ps");
  assert.equal(
    out,
    '<item p:a="1" xmlns:p="urn:p"><payload xmlns="urn:payload" p:b="2" xmlns:p="urn:p"/></item>',
  );
  assert.deepEqual(unboundAttrPrefixes(out), []);
});

Deno.test("serialize() round-trips every stanza of the recorded client stream", () => {
  const { text, stanzas } = clientStream();
  const original = [...new StreamParser().push(enc.encode(text))]
    .flatMap((e) => e.kind === "element" ? [e.element] : []);
  assert.equal(original.length, stanzas);
  assert.deepStrictEqual(reparse(original.map((el) => serialize(el)).join("")), original);
});

Deno.test("serialize() round-trips text and values with characters that need escaping", () => {
  const nasty = "a&b<c>d\"e'f\tg\nh\ri]]>j &amp; 😀 \u00A0";
  const el: Element = {
    name: "message",
    xmlns: NS.CLIENT,
    attrs: { id: nasty, "xml:lang": "en" },
    children: [
      { name: "body", xmlns: NS.CLIENT, attrs: {}, children: [nasty] },
      {
        name: "x",
        xmlns: "urn:x",
        attrs: { "xmlns:y": "urn:y", "y:z": nasty },
        children: [" ", "\n"],
      },
    ],
  };
  const expected: Element = {
    ...el,
    children: [el.children[0], { ...(el.children[1] as Element), children: [" \n"] }],
  };
  assert.deepStrictEqual(reparse(serialize(el)), [expected]);
  const features: Element = xml(
    "features",
    { xmlns: NS.STREAM },
    xml("mechanisms", { xmlns: NS.SASL }),
  );
  assert.deepStrictEqual(reparse(serialize(features)), [features]);
});

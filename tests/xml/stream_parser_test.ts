import assert from "node:assert/strict";
import type { Element } from "../../src/xml/element.ts";
import { XmlSyntaxError } from "../../src/xml/errors.ts";
import { NS } from "../../src/xml/ns.ts";
import { type StreamEvent, StreamParser } from "../../src/xml/stream_parser.ts";
import { clientStream } from "../../bench/fixtures/client_stream.ts";
import {
  C,
  concat,
  el,
  elementsOf,
  enc,
  HEADER,
  HEADER_EVENT,
  oneByte,
  parse,
  randomSizes,
} from "./_stream_helpers.ts";

// --- well-formed input ------------------------------------------------------------------

const VALID: [string, string, Element[]][] = [
  [
    "a message with a body",
    "<message to='juliet@example.com' type='chat'><body>Hi</body></message>",
    [el("message", C, { to: "juliet@example.com", type: "chat" }, el("body", C, {}, "Hi"))],
  ],
  [
    "predefined entities and character references",
    `<message id='a&amp;b&lt;&gt;&quot;&apos;'><body>&lt;3 &#65;&#x42;&#x1F600; &amp;amp;</body></message>`,
    [el("message", C, { id: "a&b<>\"'" }, el("body", C, {}, "<3 AB😀 &amp;"))],
  ],
  [
    "a CDATA section, as text",
    "<message><body>a<![CDATA[<b>&amp;]]]]>c</body></message>",
    [el("message", C, {}, el("body", C, {}, "a<b>&amp;]]c"))],
  ],
  [
    "a prefixed child element",
    "<message><x:foo xmlns:x='urn:x' x:a='1'><x:bar/><baz/></x:foo></message>",
    [el(
      "message",
      C,
      {},
      el("foo", "urn:x", { "xmlns:x": "urn:x", "x:a": "1" }, el("bar", "urn:x"), el("baz", C)),
    )],
  ],
  [
    "prefixes declared at several levels",
    "<message><a xmlns:p='urn:1'><p:b xmlns:q='urn:2' xmlns:p2='urn:1'><q:c p:x='1'/><p2:d/></p:b>" +
    "<p:e xmlns:p='urn:3'/></a></message>",
    [el(
      "message",
      C,
      {},
      el(
        "a",
        C,
        { "xmlns:p": "urn:1" },
        el(
          "b",
          "urn:1",
          { "xmlns:q": "urn:2", "xmlns:p2": "urn:1" },
          // The prefix of p:x was declared on <a>: <c> carries the declaration itself.
          el("c", "urn:2", { "p:x": "1", "xmlns:p": "urn:1" }),
          el("d", "urn:1"),
        ),
        el("e", "urn:3", { "xmlns:p": "urn:3" }),
      ),
    )],
  ],
  [
    "xml:lang",
    "<message xml:lang='de'><body xml:lang='fr'>Salut</body></message>",
    [el("message", C, { "xml:lang": "de" }, el("body", C, { "xml:lang": "fr" }, "Salut"))],
  ],
  [
    "stream:features and stream:error",
    "<stream:features><starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'><required/></starttls>" +
    "</stream:features><stream:error><host-unknown xmlns='urn:ietf:params:xml:ns:xmpp-streams'/>" +
    "</stream:error>",
    [
      el("features", NS.STREAM, {}, el("starttls", NS.TLS, {}, el("required", NS.TLS))),
      el("error", NS.STREAM, {}, el("host-unknown", NS.STREAMS)),
    ],
  ],
  [
    "a default namespace inherited by descendants",
    "<iq type='get' id='r1'><query xmlns='jabber:iq:roster'><item jid='a@b'><group>G</group></item>" +
    "</query></iq>",
    [el(
      "iq",
      C,
      { type: "get", id: "r1" },
      el(
        "query",
        "jabber:iq:roster",
        {},
        el("item", "jabber:iq:roster", { jid: "a@b" }, el("group", "jabber:iq:roster", {}, "G")),
      ),
    )],
  ],
  [
    "whitespace between top-level elements dropped, inside kept",
    " \n\t<message>\n  <body> hi </body>\n</message>\r\n <presence/>  ",
    [el("message", C, {}, "\n  ", el("body", C, {}, " hi "), "\n"), el("presence", C)],
  ],
  [
    "line ends and attribute whitespace normalised",
    "<message id='a\tb\r\nc\nd' x='&#10;&#9;&#13;'><body>a\r\nb\rc&#13;</body></message>",
    [el("message", C, { id: "a b c d", x: "\n\t\r" }, el("body", C, {}, "a\nb\nc\r"))],
  ],
  [
    "non-ASCII text and names",
    "<message to='renée@café.example'><body>Grüße 😀 日本語</body><café xmlns='urn:x'/></message>",
    [el(
      "message",
      C,
      { to: "renée@café.example" },
      el("body", C, {}, "Grüße 😀 日本語"),
      el("café", "urn:x"),
    )],
  ],
  [
    "'>' and the other quote inside attribute values",
    `<message id='a>b"c' type="it's"/>`,
    [el("message", C, { id: 'a>b"c', type: "it's" })],
  ],
  [
    "whitespace inside tags",
    "<message\n  to = 'a@b'\tid=\"1\" ><body >x</body\n></message >",
    [el("message", C, { to: "a@b", id: "1" }, el("body", C, {}, "x"))],
  ],
  [
    "a redundant declaration of the same default namespace",
    "<message xmlns='jabber:client'><body xmlns='jabber:client'>x</body></message>",
    [el("message", C, {}, el("body", C, {}, "x"))],
  ],
  [
    "an attribute named like an Object.prototype member",
    "<message constructor='a' __proto__='b' toString='c'/>",
    [JSON.parse(
      `{"name":"message","xmlns":"${C}","attrs":{"constructor":"a","__proto__":"b","toString":"c"},"children":[]}`,
    )],
  ],
];

for (const [what, body, expected] of VALID) {
  Deno.test(`StreamParser.push() parses ${what}`, () => {
    assert.deepStrictEqual(elementsOf(body), expected);
    const input = HEADER + body;
    const whole = parse(input);
    assert.deepStrictEqual(parse(input, {}, oneByte), whole);
    for (let seed = 1; seed <= 5; seed++) {
      assert.deepStrictEqual(parse(input, {}, randomSizes(seed, 16)), whole);
    }
  });
}

Deno.test("StreamParser.push() gives an attribute prefix declared on the stream header its declaration", () => {
  // Namespaces in XML 1.0 §5.3: x:z is in urn:example:x; the element carries xmlns:x so that
  // it serializes on its own. xml:lang needs no declaration.
  const header = HEADER.replace(">", " xmlns:x='urn:example:x'>");
  const body = "<message x:z='1'><body x:z='2' xml:lang='en'>Hi</body><x:y/></message>";
  const events = parse(header + body);
  assert.deepStrictEqual(events.slice(1), [{
    kind: "element",
    element: el(
      "message",
      C,
      { "x:z": "1", "xmlns:x": "urn:example:x" },
      el("body", C, { "x:z": "2", "xml:lang": "en", "xmlns:x": "urn:example:x" }, "Hi"),
      el("y", "urn:example:x"),
    ),
  }]);
  assert.deepStrictEqual(parse(header + body, {}, oneByte), events);
});

Deno.test("StreamParser.push() reports the stream header as an open event", () => {
  assert.deepStrictEqual(parse(HEADER), [HEADER_EVENT]);
});

Deno.test("StreamParser.push() accepts an XML declaration and a byte order mark at the start", () => {
  const decl = "<?xml version='1.0' encoding='UTF-8'?>\n";
  assert.deepStrictEqual(parse(decl + HEADER), [HEADER_EVENT]);
  assert.deepStrictEqual(
    parse(concat(new Uint8Array([0xEF, 0xBB, 0xBF]), decl, HEADER), {}, oneByte),
    [HEADER_EVENT],
  );
  assert.deepStrictEqual(parse("<?xml version=\"1.0\" standalone='yes' ?>" + HEADER), [
    HEADER_EVENT,
  ]);
});

// go-xmpp (mattn/go-xmpp, under Debian's go-sendxmpp) as it writes its PLAIN login and the
// stream restart: a newline after </auth>, and one after the XML declaration.
const GO_XMPP_HEADER =
  "<?xml version='1.0'?>\n<stream:stream to='localhost' xmlns='jabber:client'" +
  " xmlns:stream='http://etherx.jabber.org/streams' version='1.0'>\n";
const GO_XMPP_AUTH = "<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>" +
  "AGFsaWNlAGFsaWNlLXB3</auth>\n";
const GO_XMPP_OPEN: StreamEvent = {
  kind: "open",
  header: {
    name: "stream",
    xmlns: NS.STREAM,
    contentNs: NS.CLIENT,
    attrs: { to: "localhost", version: "1.0" },
  },
};

Deno.test("StreamParser.push() accepts whitespace before the XML declaration", () => {
  for (const ws of ["\n", " ", "\r\n\t  "]) {
    assert.deepStrictEqual(parse(ws + GO_XMPP_HEADER), [GO_XMPP_OPEN]);
    assert.deepStrictEqual(parse(ws + GO_XMPP_HEADER, {}, oneByte), [GO_XMPP_OPEN]);
  }
  // After a byte order mark too (XML 1.0 §4.3.3).
  assert.deepStrictEqual(parse(concat(new Uint8Array([0xEF, 0xBB, 0xBF]), "\n", GO_XMPP_HEADER)), [
    GO_XMPP_OPEN,
  ]);
});

Deno.test("StreamParser.rest() after go-xmpp's </auth>\\n starts a stream the next parser reads", () => {
  // RFC 6120 §6.4.6: after <success/> the bytes left over belong to the restarted stream.
  const first = enc.encode(GO_XMPP_HEADER + GO_XMPP_AUTH);
  for (let cut = GO_XMPP_HEADER.length; cut <= first.length; cut++) {
    const parser = new StreamParser();
    const seen: string[] = [];
    let rest: Uint8Array | undefined;
    for (const chunk of [first.subarray(0, cut), first.subarray(cut)]) {
      for (const event of parser.push(chunk)) {
        seen.push(event.kind === "element" ? event.element.name : event.kind);
        if (event.kind === "element") break; // the session restarts after <auth/> succeeds
      }
      if (seen.length === 2) {
        rest = parser.rest();
        break;
      }
    }
    assert.deepStrictEqual(seen, ["open", "auth"], `cut at ${cut}`);
    const restarted = new StreamParser();
    const events = [...restarted.push(rest!), ...restarted.push(enc.encode(GO_XMPP_HEADER))];
    assert.deepStrictEqual(events, [GO_XMPP_OPEN], `cut at ${cut}`);
  }
});

Deno.test("StreamParser.push() reports </stream:stream> as a close event", () => {
  assert.deepStrictEqual(parse(HEADER + "<presence/></stream:stream>\n").map((e) => e.kind), [
    "open",
    "element",
    "close",
  ]);
});

Deno.test("StreamParser.push() reports a self-closed stream header as open then close", () => {
  assert.deepStrictEqual(parse(HEADER.replace(/>$/, "/>")).map((e) => e.kind), ["open", "close"]);
});

Deno.test("StreamParser.push() resolves a stream header with another prefix", () => {
  const events = parse(
    "<s:stream xmlns:s='http://etherx.jabber.org/streams' xmlns='jabber:server'" +
      " xmlns:db='jabber:server:dialback'><db:result to='a' from='b'>key</db:result></s:stream>",
  );
  assert.deepStrictEqual(events, [
    { kind: "open", header: { name: "stream", xmlns: NS.STREAM, contentNs: NS.SERVER, attrs: {} } },
    {
      kind: "element",
      element: el("result", "jabber:server:dialback", { to: "a", from: "b" }, "key"),
    },
    { kind: "close" },
  ]);
});

Deno.test('StreamParser.push() reports a header without a default namespace with contentNs ""', () => {
  const events = parse("<stream:stream xmlns:stream='http://etherx.jabber.org/streams'><a/>");
  assert.deepStrictEqual(events, [
    { kind: "open", header: { name: "stream", xmlns: NS.STREAM, contentNs: "", attrs: {} } },
    { kind: "element", element: el("a", "") },
  ]);
});

// --- the recorded stream, split anywhere --------------------------------------------------

const fixture = clientStream();
const fixtureBytes = enc.encode(fixture.text);
const fixtureEvents = parse(fixtureBytes);

Deno.test("StreamParser.push() parses the recorded client stream", () => {
  assert.equal(fixtureEvents.length, fixture.stanzas + 2);
  assert.deepStrictEqual(fixtureEvents[0], {
    kind: "open",
    header: {
      name: "stream",
      xmlns: NS.STREAM,
      contentNs: NS.CLIENT,
      attrs: { to: "montague.lit", version: "1.0", "xml:lang": "en" },
    },
  });
  assert.deepStrictEqual(fixtureEvents.at(-1), { kind: "close" });
  for (const event of fixtureEvents.slice(1, -1)) {
    assert.equal(event.kind, "element");
    if (event.kind === "element") {
      assert.equal(event.element.xmlns === C || event.element.xmlns === "urn:xmpp:sm:3", true);
    }
  }
});

Deno.test("StreamParser.push() gives identical events for the recorded stream in 1-byte chunks", () => {
  assert.deepStrictEqual(parse(fixtureBytes, {}, oneByte), fixtureEvents);
});

Deno.test("StreamParser.push() takes a 200 KB stanza in 1-byte chunks in linear time", () => {
  const body = "é😀<>&".repeat(10000).replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(
    /&(?![lg]t;)/g,
    "&amp;",
  );
  const stanza = `<message id='${"x".repeat(1000)}'><body>${body}</body></message>`;
  const events = parse(HEADER + stanza, {}, oneByte);
  assert.deepStrictEqual(events.slice(1), [{
    kind: "element",
    element: el("message", C, { id: "x".repeat(1000) }, el("body", C, {}, "é😀<>&".repeat(10000))),
  }]);
});

Deno.test("StreamParser.push() gives identical events for the recorded stream split at random offsets", () => {
  for (let seed = 1; seed <= 40; seed++) {
    const max = [7, 64, 1500, 16384][seed % 4];
    assert.deepStrictEqual(
      parse(fixtureBytes, {}, randomSizes(seed, max)),
      fixtureEvents,
      `seed ${seed}`,
    );
  }
});

// --- restarts -------------------------------------------------------------------------------

/** Pushes `input` and stops right after the first element event that `stop` accepts. */
function pushUntil(
  parser: StreamParser,
  input: Uint8Array,
  stop: (e: Element) => boolean,
): StreamEvent[] {
  const events: StreamEvent[] = [];
  for (const event of parser.push(input)) {
    events.push(event);
    if (event.kind === "element" && stop(event.element)) break;
  }
  return events;
}

Deno.test("StreamParser.rest() returns the bytes after a SASL success restart point", () => {
  const newStream = HEADER +
    "<iq type='set' id='b'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'/></iq>";
  const input = enc.encode(
    HEADER + "<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>AGEAYg==</auth>" +
      newStream,
  );
  const parser = new StreamParser();
  const events = pushUntil(parser, input, (e) => e.name === "auth");
  assert.deepStrictEqual(events.map((e) => e.kind), ["open", "element"]);
  const rest = parser.rest();
  assert.deepStrictEqual(rest, enc.encode(newStream));
  const again = parse(rest);
  assert.deepStrictEqual(again.map((e) => e.kind), ["open", "element"]);
});

Deno.test("StreamParser.rest() returns TLS bytes after <starttls/> without parsing them", () => {
  const tls = new Uint8Array([0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xFC, 0xFF, 0xFE]);
  const input = concat(HEADER, "<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>", tls);
  const parser = new StreamParser();
  const events = pushUntil(parser, input, (e) => e.name === "starttls");
  assert.deepStrictEqual(events.at(-1), { kind: "element", element: el("starttls", NS.TLS) });
  assert.deepStrictEqual(parser.rest(), tls);
});

Deno.test("StreamParser.rest() keeps the bytes buffered from earlier chunks, undecoded", () => {
  const parser = new StreamParser({ framed: true });
  const text = enc.encode("<a/><b>é</b>");
  const split = text.length - 5; // inside "é"
  assert.deepStrictEqual([...parser.push(text.subarray(0, split))].length, 1);
  assert.deepStrictEqual(parser.rest(), text.subarray(4, split));
  const events = pushUntil(parser, text.slice(split), () => true);
  assert.deepStrictEqual(events, [{ kind: "element", element: el("b", "", {}, "é") }]);
  assert.equal(parser.rest().length, 0);
});

Deno.test("StreamParser.rest() includes chunks pushed but not iterated", () => {
  const parser = new StreamParser({ framed: true });
  const first = parser.push(enc.encode("<a/><b/>"));
  assert.equal(first.next().value?.kind, "element");
  parser.push(enc.encode("<c/>")); // not iterated
  assert.deepStrictEqual(parser.rest(), enc.encode("<b/><c/>"));
});

// --- framed mode (RFC 7395) -----------------------------------------------------------------

Deno.test("StreamParser.push() in framed mode reports every top-level element", () => {
  const input =
    "<open xmlns='urn:ietf:params:xml:ns:xmpp-framing' to='example.com' version='1.0'/>" +
    "<message xmlns='jabber:client' to='a@b'><body>x</body></message>" +
    "<stream:features xmlns:stream='http://etherx.jabber.org/streams'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'/></stream:features>" +
    "<iq type='get'/>" +
    "<close xmlns='urn:ietf:params:xml:ns:xmpp-framing'/>";
  const expected: StreamEvent[] = [
    { kind: "element", element: el("open", NS.FRAMING, { to: "example.com", version: "1.0" }) },
    { kind: "element", element: el("message", C, { to: "a@b" }, el("body", C, {}, "x")) },
    {
      kind: "element",
      element: el("features", NS.STREAM, { "xmlns:stream": NS.STREAM }, el("bind", NS.BIND)),
    },
    { kind: "element", element: el("iq", "", { type: "get" }) },
    { kind: "element", element: el("close", NS.FRAMING) },
  ];
  assert.deepStrictEqual(parse(input, { framed: true }), expected);
  assert.deepStrictEqual(parse(input, { framed: true }, oneByte), expected);
});

Deno.test("StreamParser.push() in framed mode accepts an XML declaration at the start only", () => {
  assert.equal(parse("<?xml version='1.0'?><open/>", { framed: true }).length, 1);
  assert.throws(() => parse("<open/><?xml version='1.0'?>", { framed: true }), XmlSyntaxError);
});

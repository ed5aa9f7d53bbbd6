import assert from "node:assert/strict";
import { RestrictedXmlError, XmlLimitError, XmlSyntaxError } from "../../src/xml/errors.ts";
import { StreamParser, type StreamParserOptions } from "../../src/xml/stream_parser.ts";
import {
  C,
  caught,
  concat,
  el,
  elementsOf,
  enc,
  HEADER,
  oneByte,
  parse,
} from "./_stream_helpers.ts";

// --- errors ---------------------------------------------------------------------------------

type ErrorClass = typeof XmlSyntaxError | typeof RestrictedXmlError | typeof XmlLimitError;

const BILLION_LAUGHS = `<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">` +
  `<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">` +
  `<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>` +
  HEADER + "<message><body>&lol3;</body></message>";

const ERRORS: [string, string | Uint8Array, ErrorClass, StreamParserOptions?][] = [
  // not well-formed
  ["a mismatched end tag", HEADER + "<message><body></message>", XmlSyntaxError],
  ["an end tag before the header", "</stream:stream>", XmlSyntaxError],
  ["a mismatched stream end tag", HEADER + "</stream:streams>", XmlSyntaxError],
  ["an unquoted attribute value", HEADER + "<message to=a/>", XmlSyntaxError],
  [
    "attributes without whitespace between them",
    HEADER + "<message to='a'from='b'/>",
    XmlSyntaxError,
  ],
  ["an attribute without a value", HEADER + "<message to/>", XmlSyntaxError],
  ["an attribute without a name", HEADER + "<message ='x'/>", XmlSyntaxError],
  ["a duplicate attribute", HEADER + "<message id='1' id='2'/>", XmlSyntaxError],
  ["a duplicate xmlns", HEADER + "<message xmlns='a' xmlns='b'/>", XmlSyntaxError],
  [
    "a duplicate attribute by expanded name",
    HEADER + "<message xmlns:a='urn:a' xmlns:b='urn:a' a:x='1' b:x='2'/>",
    XmlSyntaxError,
  ],
  ["an unbound element prefix", HEADER + "<message><x:foo/></message>", XmlSyntaxError],
  ["an unbound attribute prefix", HEADER + "<message y:a='1'/>", XmlSyntaxError],
  ["an unbound prefix on the header", "<stream:stream xmlns='jabber:client'>", XmlSyntaxError],
  ["a declaration of the xmlns prefix", HEADER + "<message xmlns:xmlns='urn:x'/>", XmlSyntaxError],
  ["a rebinding of the xml prefix", HEADER + "<message xmlns:xml='urn:x'/>", XmlSyntaxError],
  ["an empty prefix declaration", HEADER + "<message xmlns:x=''/>", XmlSyntaxError],
  [
    "invalid UTF-8",
    concat(HEADER, "<message><body>", new Uint8Array([0xC3, 0x28]), "</body></message>"),
    XmlSyntaxError,
  ],
  [
    "an overlong UTF-8 sequence",
    concat(HEADER, "<message id='", new Uint8Array([0xC0, 0xAF]), "'/>"),
    XmlSyntaxError,
  ],
  [
    "a UTF-8 encoded surrogate",
    concat(HEADER, "<message><body>", new Uint8Array([0xED, 0xA0, 0x80]), "</body></message>"),
    XmlSyntaxError,
  ],
  [
    "a truncated UTF-8 sequence",
    concat(HEADER, "<message><body>", new Uint8Array([0xE6, 0x97]), "</body></message>"),
    XmlSyntaxError,
  ],
  [
    "a control character in text",
    HEADER + "<message><body>a\x01b</body></message>",
    XmlSyntaxError,
  ],
  ["a control character in an attribute", HEADER + "<message id='\x1B'/>", XmlSyntaxError],
  ["U+FFFE in text", HEADER + "<message><body>\uFFFE</body></message>", XmlSyntaxError],
  ["a reference to NUL", HEADER + "<message><body>&#0;</body></message>", XmlSyntaxError],
  [
    "a reference to a surrogate",
    HEADER + "<message><body>&#xD800;</body></message>",
    XmlSyntaxError,
  ],
  [
    "a reference beyond U+10FFFF",
    HEADER + "<message><body>&#x110000;</body></message>",
    XmlSyntaxError,
  ],
  [
    "a malformed character reference",
    HEADER + "<message><body>&#x;</body></message>",
    XmlSyntaxError,
  ],
  [
    "an unterminated reference",
    HEADER + "<message><body>&amp and more</body></message>",
    XmlSyntaxError,
  ],
  ["a bare ampersand", HEADER + "<message><body>a & b</body></message>", XmlSyntaxError],
  ["'<' in an attribute value", HEADER + "<message id='a<b'/>", XmlSyntaxError],
  ["']]>' in text", HEADER + "<message><body>a]]>b</body></message>", XmlSyntaxError],
  ["text between stanzas", HEADER + "<presence/>hello<presence/>", XmlSyntaxError],
  ["a reference between stanzas", HEADER + "&amp;", XmlSyntaxError],
  [
    "TLS bytes in the XML stream",
    concat(HEADER, new Uint8Array([0x16, 0x03, 0x01, 0x00])),
    XmlSyntaxError,
  ],
  ["garbage before the header", "GET / HTTP/1.1\r\n", XmlSyntaxError],
  ["an invalid element name", HEADER + "<message><1abc/></message>", XmlSyntaxError],
  ["an invalid attribute name", HEADER + "<message 1a='x'/>", XmlSyntaxError],
  ["'<' followed by a space", HEADER + "< message/>", XmlSyntaxError],
  ["a quote in an element name", HEADER + "<mess'age/>", XmlSyntaxError],
  ["'/' not followed by '>'", HEADER + "<message/ ></message>", XmlSyntaxError],
  ["data after the end tag in an end tag", HEADER + "<message></message x>", XmlSyntaxError],
  ["a CDATA section between stanzas", HEADER + "<![CDATA[x]]>", XmlSyntaxError],
  ["'<!' followed by junk", HEADER + "<message><!x></message>", XmlSyntaxError],
  ["'<!-' not starting a comment", HEADER + "<message><!-x></message>", XmlSyntaxError],
  ["an XML declaration after text", "x<?xml version='1.0'?>" + HEADER, XmlSyntaxError],
  ["a second XML declaration", "<?xml version='1.0'?>\n<?xml version='1.0'?>", XmlSyntaxError],
  [
    "an XML declaration after a whitespace run and a header",
    " " + HEADER + "<?xml version='1.0'?>",
    XmlSyntaxError,
  ],
  ["an XML declaration after the header", HEADER + "<?xml version='1.0'?>", XmlSyntaxError],
  ["a malformed XML declaration", "<?xml version='2.0'?>" + HEADER, XmlSyntaxError],
  [
    "an element after the end of the stream",
    HEADER + "</stream:stream><presence/>",
    XmlSyntaxError,
  ],
  ["text after the end of the stream", HEADER + "</stream:stream>x", XmlSyntaxError],
  ["an end tag at the top level in framed mode", "<open/></open>", XmlSyntaxError, {
    framed: true,
  }],
  // restricted XML (RFC 6120 §11.1)
  ["a comment in a stanza", HEADER + "<message><!-- hi --></message>", RestrictedXmlError],
  ["a comment between stanzas", HEADER + "<presence/><!-- hi -->", RestrictedXmlError],
  ["a comment before the header", "<!-- hi -->" + HEADER, RestrictedXmlError],
  [
    "a comment before the XML declaration",
    "\n<!-- hi --><?xml version='1.0'?>",
    RestrictedXmlError,
  ],
  ["a processing instruction after leading whitespace", "\n<?go x?>" + HEADER, RestrictedXmlError],
  [
    "a processing instruction in a stanza",
    HEADER + "<message><?php echo 1 ?></message>",
    RestrictedXmlError,
  ],
  [
    "a processing instruction between stanzas",
    HEADER + "<?xml-stylesheet href='a'?>",
    RestrictedXmlError,
  ],
  ["a DTD", "<!DOCTYPE stream>" + HEADER, RestrictedXmlError],
  [
    "a DTD after the declaration",
    "<?xml version='1.0'?><!DOCTYPE stream [<!ENTITY a 'b'>]>" + HEADER,
    RestrictedXmlError,
  ],
  ["an entity bomb", BILLION_LAUGHS, RestrictedXmlError],
  [
    "an ENTITY declaration inside a stanza",
    HEADER + "<message><!ENTITY a 'b'></message>",
    RestrictedXmlError,
  ],
  [
    "an undeclared entity in text",
    HEADER + "<message><body>&nbsp;</body></message>",
    RestrictedXmlError,
  ],
  ["an undeclared entity in an attribute", HEADER + "<message id='&copy;'/>", RestrictedXmlError],
  [
    "an encoding other than UTF-8",
    "<?xml version='1.0' encoding='ISO-8859-1'?>" + HEADER,
    RestrictedXmlError,
  ],
  // limits
  [
    "a stanza over maxStanzaBytes",
    HEADER + `<message><body>${"x".repeat(200)}</body></message>`,
    XmlLimitError,
    {
      maxStanzaBytes: 150,
    },
  ],
  ["a stream header over maxStanzaBytes", HEADER, XmlLimitError, { maxStanzaBytes: 50 }],
  [
    "an attribute value over maxStanzaBytes",
    HEADER + `<message id='${"x".repeat(200)}'/>`,
    XmlLimitError,
    {
      maxStanzaBytes: 150,
    },
  ],
  [
    "a CDATA section over maxStanzaBytes",
    HEADER + `<message><![CDATA[${"]".repeat(200)}]]></message>`,
    XmlLimitError,
    {
      maxStanzaBytes: 150,
    },
  ],
  ["nesting deeper than maxDepth", HEADER + "<a><b><c><d/></c></b></a>", XmlLimitError, {
    maxDepth: 3,
  }],
  ["framed nesting deeper than maxDepth", "<a><b><c><d></d></c></b></a>", XmlLimitError, {
    maxDepth: 3,
    framed: true,
  }],
];

for (const [what, input, cls, options] of ERRORS) {
  Deno.test(`StreamParser.push() rejects ${what} with ${cls.name}`, () => {
    const whole = caught(() => parse(input, options));
    assert.equal((whole as Error).constructor, cls, String(whole));
    const split = caught(() => parse(input, options, oneByte));
    assert.equal((split as Error).constructor, cls, String(split));
    // The error, and where it was found, do not depend on how the input was split.
    assert.equal((split as XmlSyntaxError).position, (whole as XmlSyntaxError).position);
    assert.equal((split as Error).message, (whole as Error).message);
  });
}

Deno.test("StreamParser.push() accepts nesting up to maxDepth", () => {
  assert.deepStrictEqual(elementsOf("<a><b><c/></b></a>", { maxDepth: 3 }), [
    el("a", C, {}, el("b", C, {}, el("c", C))),
  ]);
});

Deno.test("StreamParser.push() accepts a stanza of exactly maxStanzaBytes", () => {
  const stanza = `<message><body>${"é".repeat(40)}</body></message>`;
  const size = enc.encode(stanza).length;
  assert.equal(parse(stanza, { framed: true, maxStanzaBytes: size }, oneByte).length, 1);
  assert.throws(() => parse(stanza, { framed: true, maxStanzaBytes: size - 1 }), XmlLimitError);
});

Deno.test("StreamParser.push() fails on an oversized stanza before buffering all of it", () => {
  const parser = new StreamParser();
  const chunk = enc.encode("x".repeat(65536));
  let pushed = 0;
  const error = caught(() => {
    for (const _ of parser.push(enc.encode(HEADER + "<message><body>")));
    for (let i = 0; i < 160; i++) { // 10 MiB
      pushed += chunk.length;
      for (const _ of parser.push(chunk));
    }
  });
  assert.ok(error instanceof XmlLimitError);
  assert.equal(error.limit, "stanza-size");
  assert.equal(error.condition, "policy-violation");
  assert.ok(pushed <= 262144 + chunk.length, `failed only after ${pushed} bytes`);
});

Deno.test("StreamParser.push() fails on an oversized stanza inside one 10 MiB chunk", () => {
  const parser = new StreamParser();
  for (const _ of parser.push(enc.encode(HEADER + "<message><body>")));
  const huge = new Uint8Array(10 * 1024 * 1024).fill(0x78);
  const error = caught(() => [...parser.push(huge)]);
  assert.ok(error instanceof XmlLimitError);
  assert.equal(error.limit, "stanza-size");
});

Deno.test("StreamParser.push() reports the byte offset of an error", () => {
  const input = HEADER + "<message><body>é</bodx></message>";
  const error = caught(() => parse(input));
  assert.ok(error instanceof XmlSyntaxError);
  assert.equal(error.position, enc.encode(HEADER + "<message><body>é").length);
  assert.equal(error.condition, "not-well-formed");
  const restricted = caught(() => parse(HEADER + "<a>é&foo;</a>"));
  assert.ok(restricted instanceof RestrictedXmlError);
  assert.equal(restricted.position, enc.encode(HEADER + "<a>é").length);
  assert.equal(restricted.condition, "restricted-xml");
});

Deno.test("StreamParser.push() fails an entity bomb at once, on its DTD", () => {
  const error = caught(() => parse(BILLION_LAUGHS));
  assert.ok(error instanceof RestrictedXmlError);
  assert.equal(error.position, '<?xml version="1.0"?>'.length);
});

Deno.test("StreamParser.push() parses lazily: errors surface while iterating", () => {
  const parser = new StreamParser();
  const events = parser.push(enc.encode("<!-- x -->"));
  assert.throws(() => events.next(), RestrictedXmlError);
});

Deno.test("StreamParser.push() keeps failing after an error", () => {
  const parser = new StreamParser();
  assert.throws(() => [...parser.push(enc.encode("junk"))], XmlSyntaxError);
  assert.throws(() => [...parser.push(enc.encode(HEADER))], XmlSyntaxError);
});

Deno.test("StreamParser constructor rejects invalid limits", () => {
  assert.throws(() => new StreamParser({ maxStanzaBytes: 0 }), RangeError);
  assert.throws(() => new StreamParser({ maxDepth: 1.5 }), RangeError);
  assert.throws(() => new StreamParser({ maxDepth: "3" as unknown as number }), TypeError);
});

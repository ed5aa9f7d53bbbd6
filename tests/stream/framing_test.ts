import assert from "node:assert/strict";
import { seeOtherUri, streamFraming, websocketFraming } from "../../src/stream/framing.ts";
import { xml } from "../../src/xml/element.ts";
import { NS } from "../../src/xml/ns.ts";
import { streamErrorElement } from "../../src/base/stream_error.ts";

Deno.test("websocketFraming writes RFC 7395 <open/>, <close/> and standalone elements", () => {
  assert.equal(websocketFraming.framed, true);
  assert.equal(websocketFraming.oneElementPerChunk, true);
  assert.equal(
    websocketFraming.open({ from: "localhost", id: "s1", version: "1.0", "xml:lang": "en" }),
    '<open xmlns="urn:ietf:params:xml:ns:xmpp-framing" from="localhost" id="s1" version="1.0" xml:lang="en"/>',
  );
  assert.equal(websocketFraming.close(), '<close xmlns="urn:ietf:params:xml:ns:xmpp-framing"/>');
  assert.equal(
    websocketFraming.element(xml("message", { xmlns: NS.CLIENT, to: "a@b" })),
    '<message xmlns="jabber:client" to="a@b"/>',
  );
  // stream: elements declare their prefix: each message is a document of its own.
  assert.match(
    websocketFraming.element(streamErrorElement("not-well-formed")),
    /^<stream:error xmlns:stream="http:\/\/etherx.jabber.org\/streams"><not-well-formed /,
  );
  assert.equal(streamFraming.oneElementPerChunk, undefined);
});

Deno.test("websocketFraming.decode maps <open/> to a header and <close/> to the stream end", () => {
  const open = websocketFraming.decode!(
    xml("open", { xmlns: NS.FRAMING, to: "localhost", version: "1.0" }),
  );
  assert.deepEqual(open, {
    kind: "open",
    header: {
      name: "open",
      xmlns: NS.FRAMING,
      contentNs: "",
      attrs: { to: "localhost", version: "1.0" },
    },
  });
  assert.deepEqual(websocketFraming.decode!(xml("close", { xmlns: NS.FRAMING })), {
    kind: "close",
  });
  const presence = xml("presence", { xmlns: NS.CLIENT });
  assert.deepEqual(websocketFraming.decode!(presence), { kind: "element", element: presence });
  assert.equal(
    seeOtherUri("wss://b.example/ws"),
    '<close xmlns="urn:ietf:params:xml:ns:xmpp-framing" see-other-uri="wss://b.example/ws"/>',
  );
});

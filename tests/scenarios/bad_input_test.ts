// Bad input on raw sockets: each gets its stream error (RFC 6120 §4.9.3, §11) and a closed
// connection, while two real clients keep chatting on the same server.
import assert from "node:assert/strict";
import { xml } from "@xmpp/client";
import { connect, header, rawExchange, startServer, type TestClient, waitFor } from "./_harness.ts";
import { framedProperly, streamErrorOf } from "./_raw.ts";

const STREAMS = "urn:ietf:params:xml:ns:xmpp-streams";
const H = header();

const BOMB = `<?xml version='1.0'?><!DOCTYPE lolz [<!ENTITY lol "lol">` +
  Array.from({ length: 9 }, (_, i) => `<!ENTITY lol${i + 1} "${`&lol${i || ""};`.repeat(10)}">`)
    .join("") +
  `]><stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' to='localhost' version='1.0'>&lol9;`;

const CASES: [string, (string | Uint8Array)[], string][] = [
  [
    "garbage bytes",
    [new Uint8Array([0x00, 0xff, 0xfe, 0x80, 0x3c, 0x3c, 0x3e])],
    "not-well-formed",
  ],
  ["mismatched tags", [H, "<message><body></message>"], "not-well-formed"],
  ["a DTD", [`<?xml version='1.0'?><!DOCTYPE stream>`, H], "restricted-xml"],
  ["an entity bomb", [BOMB], "restricted-xml"],
  ["an undefined entity", [H, "<message><body>&xxe;</body></message>"], "restricted-xml"],
  ["a comment", [H, "<!-- hello -->"], "restricted-xml"],
  ["a processing instruction", [H, "<?php echo 1; ?>"], "restricted-xml"],
  ["a wrong stream namespace", [header({ "xmlns:stream": "urn:wrong" })], "invalid-namespace"],
  ["a wrong content namespace", [header({ xmlns: "jabber:server" })], "invalid-namespace"],
  ["an unknown to domain", [header({ to: "example.org" })], "host-unknown"],
  ["an unsupported version", [header({ version: "2.0" })], "unsupported-version"],
  [
    "a stanza before authentication",
    [H, "<message to='bob@localhost'><body>x</body></message>"],
    "not-authorized",
  ],
  [
    "a 10 MiB stanza",
    [H, "<message><body>", "a".repeat(10 * 1024 * 1024), "</body></message>"],
    "policy-violation",
  ],
  ["a stream opened and then silence", [H], "connection-timeout"],
  [
    "half a stanza and a stall",
    [H, "<iq type='get' id='1'><ping xmlns='urn:xm"],
    "connection-timeout",
  ],
];

Deno.test({
  name: "bad input gets the right stream error while other clients keep chatting",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn(t) {
    const server = await startServer({ limits: { negotiationTimeoutMs: 1500 } });
    let alice: TestClient | undefined, bob: TestClient | undefined;
    try {
      // The negotiation timeout is short for the test; real clients still log in in time.
      alice = await connect(server.port, "alice", "alice-pw", { resource: "a" });
      bob = await connect(server.port, "bob", "bob-pw", { resource: "b" });
      let n = 0;
      const chat = async () => {
        const id = `chat-${++n}`;
        await alice!.xmpp.send(xml("message", { to: "bob@localhost/b", id }, xml("body", {}, id)));
        const got = await bob!.next((s) => s.attrs.id === id, `message ${id}`);
        assert.equal(got.getChildText("body"), id);
      };
      for (const [name, data, condition] of CASES) {
        await t.step(`${name} → <${condition}/>`, async () => {
          const [raw] = await Promise.all([rawExchange(server.port, data), chat()]);
          assert.deepEqual(streamErrorOf(raw), { condition, xmlns: STREAMS }, raw.slice(0, 400));
          assert.ok(
            framedProperly(raw),
            `header, error and stream end in order: ${raw.slice(0, 300)}`,
          );
        });
      }
      await chat();
      // Every bad connection is gone; the two chatting clients remain.
      await waitFor(() => server.server.connectionCount === 2, "bad connections to be closed");
    } finally {
      await alice?.stop();
      await bob?.stop();
      await server.close();
    }
  },
});

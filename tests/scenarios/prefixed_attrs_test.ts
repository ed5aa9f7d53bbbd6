// A prefix that a client declares on its stream header and uses in stanza attributes reaches
// another client declared (#10 item 5): Namespaces in XML 1.0 §5 requires the declaration,
// and namespace-aware parsers (expat, under many clients) reject the stanza without it.
import assert from "node:assert/strict";
import tls from "node:tls";
import { Buffer } from "node:buffer";
import { connect, startServer, type TestClient, withTimeout } from "./_harness.ts";
import { unboundAttrPrefixes } from "./_raw.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };

/** A client that writes raw XML over direct TLS (XEP-0368) and waits for markers. */
async function rawTlsClient(port: number) {
  const socket = tls.connect({
    host: "127.0.0.1",
    port,
    servername: "localhost",
    rejectUnauthorized: false, // the self-signed test certificate
  });
  let received = "";
  let wake = () => {};
  socket.setEncoding("utf8");
  socket.on("data", (s: string) => {
    received += s;
    wake();
  });
  socket.on("error", () => wake());
  await withTimeout(new Promise((r) => socket.once("secureConnect", r)), "the TLS handshake");
  let from = 0;
  return {
    /** Writes `data`, then waits until what follows contains `marker`. */
    async send(data: string, marker: string): Promise<string> {
      socket.write(data);
      const seen = () => received.indexOf(marker, from);
      await withTimeout(
        (async () => {
          while (seen() === -1 && !socket.destroyed) {
            await new Promise<void>((r) => wake = r);
          }
        })(),
        `"${marker}"`,
      );
      if (seen() === -1) throw new Error(`Closed before "${marker}": ${received.slice(from)}`);
      const end = seen() + marker.length;
      const got = received.slice(from, end);
      from = end;
      return got;
    },
    close: () => socket.destroy(),
  };
}

Deno.test({
  name: "stanzas: an attribute prefix declared on the stream header reaches the recipient declared",
  ...opts,
  async fn() {
    const t = await startServer();
    let bob: TestClient | undefined;
    let alice: Awaited<ReturnType<typeof rawTlsClient>> | undefined;
    try {
      bob = await connect(t.port, "bob", "bob-pw", { resource: "phone" });
      let bobRaw = "";
      // What Bob's socket delivers, before xmpp.js's parser (which ignores namespaces).
      const socket = (bob.xmpp as unknown as {
        socket: { on(e: "data", f: (d: Uint8Array) => void): void };
      }).socket;
      const decoder = new TextDecoder();
      socket.on("data", (d) => bobRaw += decoder.decode(d, { stream: true }));

      alice = await rawTlsClient(t.tlsPort);
      const header = "<?xml version='1.0'?><stream:stream xmlns='jabber:client'" +
        " xmlns:stream='http://etherx.jabber.org/streams' xmlns:x='urn:example:x'" +
        " to='localhost' version='1.0'>";
      await alice.send(header, "</stream:features>");
      const plain = Buffer.from("\0alice\0alice-pw").toString("base64");
      await alice.send(
        `<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>${plain}</auth>`,
        "<success",
      );
      await alice.send(header, "</stream:features>"); // RFC 6120 §6.4.6: restart
      await alice.send(
        "<iq type='set' id='b1'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'>" +
          "<resource>raw</resource></bind></iq>",
        "</iq>",
      );
      await alice.send(
        "<message to='bob@localhost/phone' type='chat' id='m1' x:z='1'>" +
          "<body x:z='2'>prefixed</body></message>",
        "", // nothing comes back
      );

      const got = await bob.next(
        (s) => s.is("message") && s.getChildText("body") === "prefixed",
        "Bob to get Alice's message",
      );
      assert.equal(got.attrs.from, "alice@localhost/raw");
      assert.equal(got.getNS(), "jabber:client");
      assert.equal(got.attrs["x:z"], "1");
      assert.equal(got.attrs["xmlns:x"], "urn:example:x");
      assert.equal(got.getChild("body")?.attrs["xmlns:x"], "urn:example:x");

      // The bytes Bob received: each x: attribute has its declaration in scope.
      const start = bobRaw.lastIndexOf("<message", bobRaw.indexOf(">prefixed<"));
      const stanza = bobRaw.slice(start, bobRaw.indexOf("</message>", start) + 10);
      assert.match(stanza, /^<message [^>]*xmlns:x="urn:example:x"/);
      assert.match(stanza, /<body [^>]*xmlns:x="urn:example:x"/);
      assert.deepEqual(unboundAttrPrefixes(stanza), []);
      assert.deepEqual(bob.errors, []);
    } finally {
      alice?.close();
      await bob?.stop();
      await t.close();
    }
  },
});

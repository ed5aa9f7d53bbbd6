// Debian's sendxmpp (Perl, Net::XMPP and XML::Stream: in scripts and monitoring for two decades)
// sends a message to an xmpp.js client over STARTTLS and over direct TLS. Net::XMPP puts the
// server's domain in its stream headers' 'from', also after SASL (RFC 6120 §4.7.1 asks for the
// account's JID there); the server accepts that, as Prosody and ejabberd do.
import assert from "node:assert/strict";
import { xml } from "@xmpp/client";
import { connect, startServer, type TestClient, withTimeout } from "./_harness.ts";

const SENDXMPP = "/usr/bin/sendxmpp";
const opts = { sanitizeOps: false, sanitizeResources: false };

for (const transport of ["STARTTLS", "direct TLS"] as const) {
  Deno.test({
    name: `sendxmpp: a message sent over ${transport} reaches an xmpp.js client`,
    ...opts,
    async fn() {
      const t = await startServer();
      let bob: TestClient | undefined;
      try {
        bob = await connect(t.port, "bob", "bob-pw", { resource: "phone" });
        await bob.xmpp.send(xml("presence"));
        await bob.next(
          (s) => s.is("presence") && s.attrs.from === "bob@localhost/phone",
          "Bob's own initial presence",
        );
        const body = `Hello over ${transport} from sendxmpp`;
        // -t: STARTTLS, -e: direct TLS; -n: the test certificate is self-signed.
        const args = transport === "STARTTLS"
          ? ["-t", "-j", `localhost:${t.port}`]
          : ["-e", "-j", `localhost:${t.tlsPort}`];
        const child = new Deno.Command(SENDXMPP, {
          args: ["-n", "-u", "alice", "-p", "alice-pw", ...args, "bob@localhost"],
          stdin: "piped",
          stdout: "piped",
          stderr: "piped",
        }).spawn();
        const writer = child.stdin.getWriter();
        await writer.write(new TextEncoder().encode(body + "\n"));
        await writer.close();
        const done = await withTimeout(child.output(), "sendxmpp to exit", 20_000);
        const out = new TextDecoder().decode(done.stderr);
        assert.equal(done.code, 0, `sendxmpp failed:\n${out}`);
        const got = await bob.next(
          // sendxmpp sends stdin as it is, the line's newline included.
          (s) => s.is("message") && s.getChildText("body")?.trim() === body,
          "Bob to get sendxmpp's message",
        );
        assert.equal(got.getNS(), "jabber:client");
        assert.match(got.attrs.from, /^alice@localhost\/.+/);
        assert.deepEqual(bob.errors, []);
      } finally {
        await bob?.stop();
        await t.close();
      }
    },
  });
}

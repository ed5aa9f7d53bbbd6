// Debian's go-sendxmpp (library go-xmpp) sends a message to an xmpp.js client, over STARTTLS
// and over direct TLS. go-xmpp writes "</auth>\n" and restarts its stream with
// "<?xml version='1.0'?>\n<stream:stream …>", so the restarted stream starts with whitespace
// before the XML declaration (RFC 6120 §6.4.6: those bytes belong to the new stream).
import assert from "node:assert/strict";
import { xml } from "@xmpp/client";
import { connect, startServer, type TestClient, withTimeout } from "./_harness.ts";

const GO_SENDXMPP = "/usr/bin/go-sendxmpp";
const opts = { sanitizeOps: false, sanitizeResources: false };

/** Runs go-sendxmpp as alice with `body` on stdin; returns its exit code and output. */
async function goSendxmpp(args: string[], body: string): Promise<{ code: number; out: string }> {
  const home = await Deno.makeTempDir({ prefix: "parley-go-sendxmpp-" });
  try {
    const child = new Deno.Command(GO_SENDXMPP, {
      // -n: the test certificate is self-signed.
      args: ["-n", "--timeout", "10", "-u", "alice@localhost", "-p", "alice-pw", ...args],
      env: { HOME: home },
      stdin: "piped",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const writer = child.stdin.getWriter();
    await writer.write(new TextEncoder().encode(body + "\n"));
    await writer.close();
    const done = await withTimeout(child.output(), "go-sendxmpp to exit", 20_000);
    const decode = (b: Uint8Array) => new TextDecoder().decode(b);
    return { code: done.code, out: decode(done.stdout) + decode(done.stderr) };
  } finally {
    await Deno.remove(home, { recursive: true });
  }
}

for (const transport of ["STARTTLS", "direct TLS"] as const) {
  Deno.test({
    name: `go-sendxmpp: a message sent over ${transport} reaches an xmpp.js client`,
    ...opts,
    async fn() {
      const t = await startServer();
      let bob: TestClient | undefined;
      try {
        bob = await connect(t.port, "bob", "bob-pw", { resource: "phone" });
        // Available, so that a message to the bare JID is delivered (RFC 6121 §8.5.2.1.1).
        await bob.xmpp.send(xml("presence"));
        await bob.next(
          (s) => s.is("presence") && s.attrs.from === "bob@localhost/phone",
          "Bob's own initial presence",
        );
        const body = `Hello over ${transport} from go-sendxmpp`;
        const args = transport === "STARTTLS"
          ? ["-j", `127.0.0.1:${t.port}`]
          : ["-t", "-j", `127.0.0.1:${t.tlsPort}`];
        const sent = await goSendxmpp([...args, "bob@localhost"], body);
        assert.equal(sent.code, 0, `go-sendxmpp failed:\n${sent.out}`);
        const got = await bob.next(
          (s) => s.is("message") && s.getChildText("body") === body,
          "Bob to get go-sendxmpp's message",
        );
        assert.equal(got.getNS(), "jabber:client");
        assert.match(got.attrs.from, /^alice@localhost\/.+/);
        assert.equal(got.attrs.to, "bob@localhost");
        assert.deepEqual(bob.errors, []);
      } finally {
        await bob?.stop();
        await t.close();
      }
    },
  });
}

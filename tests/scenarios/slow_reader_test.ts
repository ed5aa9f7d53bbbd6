// #10 item 2: a client that stops reading cannot make the server queue without bound. What is
// queued for it is bounded at the moment it is queued; past the cap its stream ends with
// <resource-constraint/> (RFC 6120 §4.9.3.16) and the messages it never took go to offline
// storage (RFC 6121 §8.5), so the sender, who was told nothing failed, loses nothing.
import assert from "node:assert/strict";
import { xml } from "@xmpp/client";
import type { BareJid } from "../../mod.ts";
import { connect, startServer, testCertificate, waitFor, withTimeout } from "./_harness.ts";
import { streamErrorOf } from "./_raw.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };
const encoder = new TextEncoder();
const HEADER =
  "<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' to='localhost' version='1.0'>";

Deno.test({
  name: "slow reader: bounded queue, <resource-constraint/>, and every message kept",
  ...opts,
  async fn() {
    // The client counts as not reading once half its queue stayed unread for a second. Alice's
    // input is not rate limited, and offline storage takes all she sends after bob is gone.
    const t = await startServer({
      limits: {
        maxOutputBytes: 256 * 1024,
        pingTimeoutMs: 1000,
        readBytesPerSecond: 0,
        maxOfflineMessages: 10_000,
      },
    });
    const { certPem } = await testCertificate();
    const conn = await Deno.connectTls({
      hostname: "localhost",
      port: t.tlsPort,
      caCerts: [certPem],
    });
    const alice = await connect(t.port, "alice", "alice-pw", { resource: "flood" });
    try {
      // Bob logs in over a raw socket, sends initial presence, and then stops reading.
      let seen = "";
      const buf = new Uint8Array(65536);
      const readUntil = async (pattern: RegExp, what: string) => {
        const deadline = Date.now() + 10_000;
        while (!pattern.test(seen)) {
          if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
          const n = await conn.read(buf);
          if (n === null) throw new Error(`Closed while waiting for ${what}`);
          seen += new TextDecoder().decode(buf.subarray(0, n));
        }
      };
      const write = (s: string) => conn.write(encoder.encode(s));
      await write(HEADER);
      await readUntil(/<mechanism>PLAIN/, "the mechanisms");
      await write(
        `<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>${
          btoa("\0bob\0bob-pw")
        }</auth>`,
      );
      await readUntil(/<success/, "success");
      await write(HEADER);
      await readUntil(/<bind/, "bind");
      await write(
        "<iq type='set' id='b'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'><resource>slow</resource></bind></iq><presence/>",
      );
      await readUntil(/id="b"/, "the bind result");
      await waitFor(
        async () =>
          (await t.server.router.sessions("bob@localhost" as BareJid))[0]?.presence !== undefined,
        "bob to be available",
      );

      // Alice sends 4,000 messages of 4 KiB: more than loopback's socket buffers hold.
      const filler = "x".repeat(4096);
      let sent = 0;
      while (sent < 4000) {
        await alice.xmpp.send(
          xml(
            "message",
            { to: "bob@localhost", type: "chat", id: `s${sent}` },
            xml("body", {}, `s${sent} ${filler}`),
          ),
        );
        sent++;
      }
      await waitFor(
        async () => (await t.server.router.sessions("bob@localhost" as BareJid)).length === 0,
        "the server to close the session that does not read",
        30_000,
      );

      // Bob reads what reached his socket: it ends with <resource-constraint/>.
      const rest = (async () => {
        while (true) {
          let n: number | null;
          try {
            n = await conn.read(buf);
          } catch {
            return;
          }
          if (n === null) return;
          seen += new TextDecoder().decode(buf.subarray(0, n));
        }
      })();
      await withTimeout(rest, "the server to close bob's connection", 10_000);
      assert.deepEqual(streamErrorOf(seen), {
        condition: "resource-constraint",
        xmlns: "urn:ietf:params:xml:ns:xmpp-streams",
      });
      assert.ok(seen.trimEnd().endsWith("</stream:stream>"), "nothing after the stream end");

      // Every message reached bob's socket or offline storage.
      const missingNow = async () => {
        const got = new Set([...seen.matchAll(/<body>(s\d+) /g)].map((m) => m[1]));
        const offline = await t.server.storage.offline.list("bob@localhost" as BareJid);
        for (const m of offline) got.add(m.stanza.match(/<body>(s\d+) /)![1]);
        const missing = [];
        for (let i = 0; i < sent; i++) if (!got.has(`s${i}`)) missing.push(`s${i}`);
        return { missing, offline };
      };
      let { missing, offline } = await missingNow();
      // Offline storage is written asynchronously: give it a moment (bounded).
      for (let i = 0; i < 50 && missing.length > 0; i++) {
        await new Promise((r) => setTimeout(r, 20));
        ({ missing, offline } = await missingNow());
      }
      if (missing.length) {
        console.log(
          "DEBUG",
          missing.map((m) => [m, seen.indexOf(`<body>${m} `), seen.indexOf(m)]),
          seen.length,
          offline.length,
        );
      }
      assert.deepEqual(missing, [], `${missing.length} of ${sent} messages lost: ${missing}`);
      assert.ok(offline.length > 0, "messages bob never took went to offline storage");
    } finally {
      try {
        conn.close();
      } catch { /* closed */ }
      await alice.stop();
      await t.close();
    }
  },
});

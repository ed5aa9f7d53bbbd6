// Federation with Prosody (Debian's prosody 0.12) both ways: STARTTLS with self-signed
// certificates and server dialback (XEP-0220). Prosody finds parley.localhost through its DNS
// library (unbound answers *.localhost with loopback) on the default s2s port 5269, so Parley
// listens there; the test is skipped when 5269 is taken or Prosody is not installed.
import assert from "node:assert/strict";
import { xml } from "@xmpp/client";
import { connect, type TestClient } from "./_harness.ts";
import { getRoster, nextPresence, nextPush } from "./_im.ts";
import { hasProsody, type Prosody, startProsody } from "./_prosody.ts";
import { type FedServer, startFedServer } from "./_s2s.ts";
import { throwawayCa } from "./_ca.ts";

function portFree(port: number): boolean {
  try {
    Deno.listen({ hostname: "127.0.0.1", port }).close();
    return true;
  } catch {
    return false;
  }
}

const ignore = !hasProsody() || !portFree(5269);

Deno.test({
  name: "federation(): Parley and Prosody subscribe, see presence and chat both ways (dialback)",
  ignore,
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    let prosody: Prosody | undefined;
    let parley: FedServer | undefined;
    const clients: TestClient[] = [];
    try {
      prosody = await startProsody("prosody.localhost", { juliet: "juliet-pw" });
      parley = await startFedServer("parley.localhost", { s2sPort: 5269 });
      parley.routes["prosody.localhost"] = `127.0.0.1:${prosody.s2sPort}`;

      const alice = await connect(parley.port, "alice", "alice-pw", {
        resource: "r",
        domain: "parley.localhost",
      });
      clients.push(alice);
      const juliet = await connect(prosody.c2sPort, "juliet", "juliet-pw", {
        resource: "r",
        domain: "prosody.localhost",
      });
      clients.push(juliet);
      for (const c of [alice, juliet]) {
        await getRoster(c);
        await c.xmpp.send(xml("presence", {}));
      }

      // Parley → Prosody: Alice asks Juliet (Parley's outgoing stream, Prosody dials back).
      await alice.xmpp.send(xml("presence", { to: "juliet@prosody.localhost", type: "subscribe" }));
      await nextPush(alice, "juliet@prosody.localhost", "alice's push with ask");
      const request = await nextPresence(
        juliet,
        "alice@parley.localhost",
        "subscribe",
        "juliet gets the request through Prosody",
      );
      assert.equal(request.attrs.to, "juliet@prosody.localhost");
      // Prosody → Parley: Juliet approves (Prosody's outgoing stream, Parley dials back).
      await juliet.xmpp.send(xml("presence", { to: "alice@parley.localhost", type: "subscribed" }));
      const item = await nextPush(alice, "juliet@prosody.localhost", "alice's push 'to'");
      assert.equal(item.attrs.subscription, "to");
      const seen = await nextPresence(
        alice,
        "juliet@prosody.localhost/r",
        undefined,
        "juliet's presence at alice",
      );
      assert.equal(seen.getNS(), "jabber:client");

      // Chat both ways.
      await alice.xmpp.send(
        xml(
          "message",
          { to: "juliet@prosody.localhost", type: "chat", id: "p1" },
          xml("body", {}, "hello Prosody"),
        ),
      );
      const m1 = await juliet.next(
        (s) => s.is("message") && s.attrs.id === "p1",
        "juliet's message",
      );
      assert.equal(m1.attrs.from, "alice@parley.localhost/r");
      assert.equal(m1.getChildText("body"), "hello Prosody");
      await juliet.xmpp.send(
        xml(
          "message",
          { to: "alice@parley.localhost/r", type: "chat", id: "p2" },
          xml("body", {}, "hello Parley"),
        ),
      );
      const m2 = await alice.next((s) => s.is("message") && s.attrs.id === "p2", "alice's message");
      assert.equal(m2.attrs.from, "juliet@prosody.localhost/r");
      assert.equal(m2.getChildText("body"), "hello Parley");

      // An iq to the Prosody server itself: XEP-0199 ping answered across.
      await alice.xmpp.send(
        xml(
          "iq",
          { to: "prosody.localhost", type: "get", id: "ping1" },
          xml("ping", { xmlns: "urn:xmpp:ping" }),
        ),
      );
      const pong = await alice.next((s) => s.attrs.id === "ping1", "prosody's pong");
      assert.equal(pong.attrs.type, "result");
      // Prosody's own account: both streams encrypted and authenticated by dialback (Parley
      // sent no client certificate, so SASL EXTERNAL was not an option).
      const log = await Deno.readTextFile(`${prosody.dir}/prosody.log`);
      assert.match(log, /s2sin\w+\s+info\s+Stream encrypted/);
      assert.match(log, /s2sout\w+\s+info\s+Stream encrypted/);
      assert.match(log, /Incoming s2s connection parley\.localhost->prosody\.localhost complete/);
      assert.match(log, /Outgoing s2s connection prosody\.localhost->parley\.localhost complete/);
      assert.match(log, /jabber:server:dialback/);
    } catch (e) {
      throw new Error(`${(e as Error).message}\n--- prosody log ---\n${await prosody?.log()}`);
    } finally {
      for (const c of clients) await c.stop();
      await parley?.close();
      await prosody?.stop();
    }
  },
});

Deno.test({
  name: "federation(): Parley and Prosody authenticate with SASL EXTERNAL and a test CA (XEP-0178)",
  ignore,
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "parley-ca-" });
    let prosody: Prosody | undefined;
    let parley: FedServer | undefined;
    const clients: TestClient[] = [];
    try {
      const ca = await throwawayCa(dir);
      const prosodyCert = await ca.issue("prosody.localhost");
      const parleyCert = await ca.issue("parley.localhost");
      // s2s_secure_auth: Prosody accepts no dialback, only a certificate the CA issued.
      prosody = await startProsody("prosody.localhost", { juliet: "juliet-pw" }, {
        certPath: prosodyCert.certPath,
        keyPath: prosodyCert.keyPath,
        cafile: ca.caPath,
        secureAuth: true,
      });
      parley = await startFedServer("parley.localhost", {
        s2sPort: 5269,
        tls: { certPem: parleyCert.certPem, keyPem: parleyCert.keyPem },
        trust: [ca.caPem],
      });
      parley.routes["prosody.localhost"] = `127.0.0.1:${prosody.s2sPort}`;
      const alice = await connect(parley.port, "alice", "alice-pw", {
        resource: "r",
        domain: "parley.localhost",
      });
      clients.push(alice);
      const juliet = await connect(prosody.c2sPort, "juliet", "juliet-pw", {
        resource: "r",
        domain: "prosody.localhost",
      });
      clients.push(juliet);
      await alice.xmpp.send(
        xml(
          "message",
          { to: "juliet@prosody.localhost/r", type: "chat", id: "e1" },
          xml("body", {}, "via EXTERNAL"),
        ),
      );
      const m1 = await juliet.next((s) => s.attrs.id === "e1", "juliet's message");
      assert.equal(m1.attrs.from, "alice@parley.localhost/r");
      await juliet.xmpp.send(
        xml(
          "message",
          { to: "alice@parley.localhost/r", type: "chat", id: "e2" },
          xml("body", {}, "back"),
        ),
      );
      const m2 = await alice.next((s) => s.attrs.id === "e2", "alice's message");
      assert.equal(m2.attrs.from, "juliet@prosody.localhost/r");
      const log = await Deno.readTextFile(`${prosody.dir}/prosody.log`);
      // Both directions used SASL EXTERNAL, none dialback: Prosody checked Parley's certificate
      // as a server's and as a client's, and Parley offered and used EXTERNAL.
      assert.match(log, /s2sin\w+\s+debug\s+certificate chain validation result: valid/);
      assert.match(log, /s2sout\w+\s+debug\s+certificate chain validation result: valid/);
      assert.match(log, /Received\[s2sin_unauthed\]: <auth [^>]*mechanism='EXTERNAL'/);
      assert.match(log, /Sending\[s2sin_unauthed\]: <success/);
      assert.match(log, /Sending\[s2sout_unauthed\]: <auth [^>]*mechanism='EXTERNAL'/);
      assert.match(log, /Received\[s2sout_unauthed\]: <success/);
      assert.doesNotMatch(log, /jabber:server:dialback'[^>]*>[0-9a-f]{64}</);
    } catch (e) {
      throw new Error(`${(e as Error).message}\n--- prosody log ---\n${await prosody?.log()}`);
    } finally {
      for (const c of clients) await c.stop();
      await parley?.close();
      await prosody?.stop();
      await Deno.remove(dir, { recursive: true });
    }
  },
});

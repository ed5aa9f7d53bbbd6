// RFC 6120 §4.4: nothing is written after our </stream:stream>, and RFC 6121 §8.5: a stanza
// routed to a session that is closing is handled as for an unavailable resource (another
// resource or offline storage), never lost. Several xmpp.js clients of two accounts and a raw
// observer close at once while a third account floods them with presence and messages.
import assert from "node:assert/strict";
import { xml } from "@xmpp/client";
import type { BareJid } from "../../mod.ts";
import {
  connect,
  type LtxElement,
  startServer,
  testCertificate,
  type TestClient,
  waitFor,
  withTimeout,
} from "./_harness.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };
const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** A client on a raw direct-TLS socket that records every byte the server sends. */
async function rawObserver(tlsPort: number, user: string, password: string, resource: string) {
  const { certPem } = await testCertificate();
  const conn = await Deno.connectTls({ hostname: "localhost", port: tlsPort, caCerts: [certPem] });
  let received = "";
  const reading = (async () => {
    const buf = new Uint8Array(65536);
    while (true) {
      let n: number | null;
      try {
        n = await conn.read(buf);
      } catch {
        return;
      }
      if (n === null) return;
      received += decoder.decode(buf.subarray(0, n), { stream: true });
    }
  })();
  const write = (s: string) => conn.write(encoder.encode(s));
  const until = (pattern: RegExp, what: string) =>
    waitFor(() => pattern.test(received), what, 10_000);
  const header =
    "<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' to='localhost' version='1.0'>";
  await write(header);
  await until(/<mechanism>PLAIN<\/mechanism>/, "the SASL features");
  const creds = btoa(`\0${user}\0${password}`);
  await write(`<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>${creds}</auth>`);
  await until(/<success/, "SASL success");
  await write(header);
  await until(/<bind/, "the bind feature");
  await write(
    `<iq type='set' id='b1'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'><resource>${resource}</resource></bind></iq>`,
  );
  await until(/id="b1"/, "the bind result");
  await write("<presence/>");
  return {
    get received() {
      return received;
    },
    close: () => write("</stream:stream>"),
    async done() {
      await withTimeout(reading, "the server to close the observer's connection", 10_000);
      try {
        conn.close();
      } catch { /* closed */ }
    },
  };
}

function bodiesOf(raw: string): string[] {
  return [...raw.matchAll(/<body>(m-\d+)<\/body>/g)].map((m) => m[1]);
}

Deno.test({
  name: "close race: no byte after our stream end, and every message is received or stored",
  ...opts,
  async fn() {
    const t = await startServer();
    const both = { groups: [], subscription: "both", ask: false, approved: false } as const;
    for (
      const [owner, contact] of [["alice", "carol"], ["carol", "alice"], ["bob", "carol"], [
        "carol",
        "bob",
      ]]
    ) {
      await t.server.storage.roster.setItem(
        `${owner}@localhost` as BareJid,
        { ...both, jid: `${contact}@localhost` as BareJid },
      );
    }
    const clients: TestClient[] = [];
    const received = new Set<string>();
    const count = (s: LtxElement) => {
      const body = s.is("message") ? s.getChildText("body") : null;
      if (body) received.add(body);
    };
    let carol: TestClient | undefined;
    try {
      for (
        const [user, resource] of [["alice", "a1"], ["alice", "a2"], ["alice", "a3"], [
          "bob",
          "b1",
        ], ["bob", "b2"]]
      ) {
        const c = await connect(t.port, user, `${user}-pw`, { resource });
        c.xmpp.on("stanza", count);
        await c.xmpp.send(xml("presence", {}));
        clients.push(c);
      }
      const observer = await rawObserver(t.tlsPort, "bob", "bob-pw", "b3");
      carol = await connect(t.port, "carol", "carol-pw", { resource: "flood" });
      const errors = new Set<string>();
      carol.xmpp.on("stanza", (s: LtxElement) => {
        if (s.is("message") && s.attrs.type === "error" && s.attrs.id) errors.add(s.attrs.id);
      });
      await carol.xmpp.send(xml("presence", {}));

      const targets = [
        "alice@localhost/a1",
        "alice@localhost/a2",
        "alice@localhost/a3",
        "alice@localhost",
        "bob@localhost/b1",
        "bob@localhost/b2",
        "bob@localhost/b3",
        "bob@localhost",
      ];
      const sent: string[] = [];
      let stop = false;
      const flood = (async () => {
        for (let round = 0; round < 60 && !stop; round++) {
          for (const to of targets) {
            const id = `m-${sent.length}`;
            sent.push(id);
            await carol!.xmpp.send(xml("message", { to, type: "chat", id }, xml("body", {}, id)));
          }
          await carol!.xmpp.send(xml("presence", {}, xml("status", {}, `round ${round}`)));
          // Let the closes below interleave with the flood.
          if (round % 5 === 0) await new Promise((r) => setTimeout(r, 1));
        }
      })();
      await waitFor(() => sent.length >= 80, "the flood to start");
      // Everyone of alice and bob closes at the same moment.
      await Promise.all([...clients.map((c) => c.stop()), observer.close()]);
      await observer.done();
      await flood;
      stop = true;

      // Nothing after our </stream:stream> (RFC 6120 §4.4).
      const raw = observer.received;
      const end = raw.indexOf("</stream:stream>");
      assert.notEqual(end, -1, "the server closed the observer's stream");
      assert.equal(raw.slice(end + "</stream:stream>".length), "", "no byte after the stream end");
      for (const id of bodiesOf(raw)) received.add(id);

      // Every message is received, stored offline, or (never, here) bounced to the sender.
      const offline = new Set<string>();
      await waitFor(() => true, "nothing");
      const settle = async () => {
        offline.clear();
        for (const owner of ["alice@localhost", "bob@localhost"] as BareJid[]) {
          for (const m of await t.server.storage.offline.list(owner)) {
            const body = m.stanza.match(/<body>(m-\d+)<\/body>/);
            if (body) offline.add(body[1]);
          }
        }
        return sent.filter((id) => !received.has(id) && !offline.has(id) && !errors.has(id));
      };
      let missing = await settle();
      for (let i = 0; i < 50 && missing.length > 0; i++) {
        await new Promise((r) => setTimeout(r, 20));
        missing = await settle();
      }
      assert.deepEqual(missing, [], `${missing.length} of ${sent.length} messages were lost`);
      assert.equal(errors.size, 0, "no message to an existing account bounced");
      assert.ok(offline.size > 0, "messages after the closes went to offline storage");
    } finally {
      for (const c of clients) await c.stop();
      await carol?.stop();
      await t.close();
    }
  },
});

// Guests (#15): SASL ANONYMOUS (RFC 4505) on a guest domain, off by default, with xmpp.js 0.14.
import assert from "node:assert/strict";
import { client, xml } from "@xmpp/client";
import { connect, type LtxElement, startServer, withTimeout } from "./_harness.ts";
import type { BareJid } from "../../mod.ts";

const SASL = "urn:ietf:params:xml:ns:xmpp-sasl";
const SASL2 = "urn:xmpp:sasl:2";

function mechanismsOf(features: LtxElement | undefined): string[] {
  return features?.getChild("mechanisms", SASL)?.getChildren("mechanism", SASL).map((m) =>
    m.text()
  ) ?? [];
}

Deno.test("guests: ANONYMOUS on the guest domain only; a guest chats and leaves nothing behind", async () => {
  const t = await startServer({ guests: { domain: "guest.localhost" } });
  const guest = client({ service: `xmpp://127.0.0.1:${t.port}`, domain: "guest.localhost" });
  guest.reconnect.stop();
  guest.on("error", () => {});
  const received: LtxElement[] = [];
  guest.on("element", (el: LtxElement) => received.push(el));
  const alice = await connect(t.port, "alice", "alice-pw", { resource: "desk" });
  try {
    await withTimeout(guest.start(), "the guest to log in");
    const features = received.filter((el) => el.getChild("mechanisms", SASL)).at(-1);
    assert.deepEqual(mechanismsOf(features), ["ANONYMOUS"]);
    assert.equal(
      features?.getChild("register", "http://jabber.org/features/iq-register"),
      undefined,
    );
    assert.equal(
      features?.getChild("authentication", SASL2)?.getChild("inline", SASL2)?.getChild(
        "fast",
        "urn:xmpp:fast:0",
      ),
      undefined,
      "no FAST tokens for guests",
    );
    const jid = guest.jid.toString();
    assert.match(jid, /^[0-9a-f]{24}@guest\.localhost\/.+/);
    const bare = jid.split("/")[0] as BareJid;

    // The guest chats with a user of the main domain.
    await guest.send(
      xml("message", { to: "alice@localhost/desk", type: "chat" }, xml("body", {}, "hi")),
    );
    const got = await alice.next((s) => s.is("message"), "alice to get the guest's message");
    assert.equal(got.attrs.from, jid);
    // Something stored for the guest (a roster item) goes with the guest's last session.
    await guest.iqCaller.request(
      xml(
        "iq",
        { type: "set" },
        xml("query", { xmlns: "jabber:iq:roster" }, xml("item", { jid: "alice@localhost" })),
      ),
    );
    assert.equal((await t.server.storage.roster.get(bare)).items.length, 1);
    await guest.stop();
    const deadline = Date.now() + 5000;
    while ((await t.server.storage.roster.get(bare)).items.length > 0 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 20));
    }
    assert.equal((await t.server.storage.roster.get(bare)).items.length, 0);
  } finally {
    try {
      await guest.stop();
    } catch { /* offline */ }
    await alice.stop();
    await t.close();
  }
});

Deno.test("guests: off by default, and never offered on the main domain", async () => {
  for (const config of [{}, { guests: { domain: "guest.localhost" } }]) {
    const t = await startServer(config);
    const xmpp = client({
      service: `xmpp://127.0.0.1:${t.port}`,
      domain: "localhost",
      username: "alice",
      password: "alice-pw",
    });
    xmpp.reconnect.stop();
    xmpp.on("error", () => {});
    const received: LtxElement[] = [];
    xmpp.on("element", (el: LtxElement) => received.push(el));
    try {
      await withTimeout(xmpp.start(), "alice to log in");
      const features = received.filter((el) => el.getChild("mechanisms", SASL)).at(-1);
      assert.ok(!mechanismsOf(features).includes("ANONYMOUS"));
    } finally {
      await xmpp.stop().catch(() => {});
      await t.close();
    }
  }
});

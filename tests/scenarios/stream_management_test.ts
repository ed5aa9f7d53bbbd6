// XEP-0198 stream management with real xmpp.js clients (@xmpp/stream-management) on TCP with
// STARTTLS, direct TLS and WebSocket: a mobile network that loses traffic and then cuts the
// connection mid-conversation, resumption with nothing lost and nothing twice, an unknown
// previd, and a session that is never resumed.
import assert from "node:assert/strict";
import { xml } from "@xmpp/client";
import type { BareJid } from "../../mod.ts";
import {
  connect,
  type LtxElement,
  startServer,
  type TestClient,
  type TestServer,
  waitFor,
} from "./_harness.ts";
import { CutProxy } from "./_cut_proxy.ts";
import { chat, ids, type Mobile, mobile, pause, range } from "./_mobile.ts";
import { startWeb } from "../adapters/hono_websocket/_web.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };

/**
 * Alice on her phone (through a relay) and Bob (directly) chat both ways. At message 10 what
 * the phone sends is lost (its messages and its acks: the server has written Bob's messages
 * 10 and 11, the phone has them, the server does not know); at 12 everything is lost (Bob's
 * 12 to 14 never arrive); at 15 the connection is cut, xmpp.js reconnects and resumes. Each
 * side gets every message once, in order: the server resends exactly what the phone's h says
 * it lacks, and the phone resends what the server's h says it lacks.
 */
async function cutMidConversation(
  server: TestServer,
  target: number,
  service: (port: number) => string,
) {
  const proxy = CutProxy.start(target);
  let alice: Mobile | undefined, bob: TestClient | undefined;
  try {
    alice = await mobile(service(proxy.port), "alice");
    const previd = alice.xmpp.streamManagement.id;
    assert.ok(previd, "the server offered resumption");
    bob = await connect(server.port, "bob", "bob-pw", { resource: "desk" });
    const bobGot: string[] = [];
    bob.xmpp.on("stanza", (s: LtxElement) => {
      if (s.is("message") && s.attrs.id?.startsWith("a")) bobGot.push(s.attrs.id);
    });
    const N = 30;
    for (let i = 0; i < N; i++) {
      if (i === 10) proxy.blackhole = "to-server";
      if (i === 12) proxy.blackhole = "both";
      if (i === 15) {
        proxy.cut();
        proxy.blackhole = "none";
        // The phone notices, reconnects through the relay and resumes.
        await waitFor(() => alice!.resumed === 1, "alice to resume", 10_000);
      }
      await bob.xmpp.send(chat("alice@localhost/phone", `b${i}`));
      await alice.xmpp.send(chat("bob@localhost/desk", `a${i}`));
      await pause(20);
    }
    await waitFor(() => ids(alice!.messages, "b").length >= N, "alice to get Bob's messages");
    await waitFor(() => bobGot.length >= N, "bob to get Alice's messages");
    // A round trip each way after the last message: anything sent twice would be here by now.
    await bob.xmpp.send(chat("alice@localhost/phone", "end-b"));
    await alice.xmpp.send(chat("bob@localhost/desk", "end-a"));
    await waitFor(() => ids(alice!.messages, "end").length === 1, "alice's end marker");
    await bob.next((s) => s.attrs.id === "end-a", "bob's end marker");
    assert.deepEqual(ids(alice.messages, "b"), range("b", N), "alice: all, once, in order");
    assert.deepEqual(bobGot, range("a", N), "bob: all, once, in order");
    assert.equal(alice.resumed, 1);
    assert.equal(alice.xmpp.streamManagement.id, previd, "the same session");
    assert.equal(proxy.accepted, 2, "one reconnection");
    // XEP-0198 §5: the resumed session has no stream error, and is still the same full JID.
    const resumed = alice.nonzas.find((el) => el.name === "resumed");
    assert.equal(resumed?.attrs.previd, previd);
  } finally {
    await alice?.stop();
    await bob?.stop();
    await proxy.close();
  }
}

Deno.test({
  name: "sm: a TCP (STARTTLS) connection cut mid-conversation resumes with no loss, no duplicate",
  ...opts,
  async fn() {
    const t = await startServer();
    try {
      await cutMidConversation(t, t.port, (p) => `xmpp://127.0.0.1:${p}`);
    } finally {
      await t.close();
    }
  },
});

Deno.test({
  name: "sm: a direct TLS connection cut mid-conversation resumes with no loss, no duplicate",
  ...opts,
  async fn() {
    const t = await startServer();
    try {
      await cutMidConversation(t, t.tlsPort, (p) => `xmpps://127.0.0.1:${p}`);
    } finally {
      await t.close();
    }
  },
});

Deno.test({
  name: "sm: a WebSocket cut mid-conversation resumes with no loss, no duplicate",
  ...opts,
  async fn() {
    const web = await startWeb();
    try {
      await cutMidConversation(web, web.httpPort, (p) => `ws://127.0.0.1:${p}/xmpp-websocket`);
    } finally {
      await web.close();
    }
  },
});

Deno.test({
  name: "sm: an unknown previd gets item-not-found, and the client binds a new session",
  ...opts,
  async fn() {
    const t = await startServer();
    let alice: Mobile | undefined;
    try {
      alice = await mobile(`xmpp://127.0.0.1:${t.port}`, "alice", { previd: "f00dfeed" });
      const failed = alice.nonzas.find((el) => el.name === "failed");
      assert.ok(failed, "<failed/> for the resumption");
      assert.ok(failed.getChild("item-not-found", "urn:ietf:params:xml:ns:xmpp-stanzas"));
      assert.equal(failed.attrs.h, undefined);
      assert.equal(alice.resumed, 0);
      const enabled = alice.nonzas.find((el) => el.name === "enabled");
      assert.equal(enabled?.attrs.resume, "true");
      assert.notEqual(alice.xmpp.streamManagement.id, "f00dfeed");
      assert.equal(String(alice.xmpp.jid), "alice@localhost/phone");
    } finally {
      await alice?.stop();
      await t.close();
    }
  },
});

Deno.test({
  name: "sm: a session never resumed expires; its unacked messages wait in offline storage",
  ...opts,
  async fn() {
    const t = await startServer({ limits: { resumptionTimeoutMs: 1000 } });
    const proxy = CutProxy.start(t.port);
    let alice: Mobile | undefined, bob: TestClient | undefined, back: TestClient | undefined;
    try {
      alice = await mobile(`xmpp://127.0.0.1:${proxy.port}`, "alice");
      assert.equal(alice.nonzas.find((el) => el.name === "enabled")?.attrs.max, "1");
      alice.xmpp.reconnect.stop();
      bob = await connect(t.port, "bob", "bob-pw", { resource: "desk" });
      await bob.xmpp.send(chat("alice@localhost/phone", "m0"));
      await waitFor(() => ids(alice!.messages, "m").length === 1, "m0");
      // The network goes silent: m1 is written but never arrives; then it cuts.
      proxy.blackhole = "both";
      await bob.xmpp.send(chat("alice@localhost/phone", "m1"));
      await pause(100);
      proxy.cut();
      await bob.xmpp.send(chat("alice@localhost/phone", "m2"));
      await waitFor(
        async () => await t.server.storage.offline.count("alice@localhost" as BareJid) >= 2,
        "the expired session's messages in offline storage",
        10_000,
      );
      // Alice logs in again: m0 (handled, unless never acked) is not lost either; m1 and m2
      // come once each, with a delay stamp.
      back = await connect(t.port, "alice", "alice-pw", { resource: "laptop" });
      await back.xmpp.send(xml("presence", {}));
      const m1 = await back.next((s) => s.attrs.id === "m1", "m1 from offline storage");
      const m2 = await back.next((s) => s.attrs.id === "m2", "m2 from offline storage");
      for (const m of [m1, m2]) {
        assert.equal(m.getChildren("delay", "urn:xmpp:delay").length, 1);
        assert.equal(m.getChild("delay", "urn:xmpp:delay")?.attrs.from, "localhost");
        assert.equal(m.getChildText("body"), m.attrs.id);
      }
      assert.equal(await t.server.storage.offline.count("alice@localhost" as BareJid), 0);
    } finally {
      await alice?.stop();
      await bob?.stop();
      await back?.stop();
      await proxy.close();
      await t.close();
    }
  },
});

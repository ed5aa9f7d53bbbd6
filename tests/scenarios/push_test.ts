// XEP-0357 push with a real xmpp.js phone (@xmpp/client with stream management) and the
// first-party relay posting to an HTTP endpoint on loopback: the phone enables push, its
// connection is cut (hibernated session), a message arrives → the endpoint gets the summary;
// the phone resumes and has the message; offline → a notification too; after <disable/>,
// nothing.
import assert from "node:assert/strict";
import { xml } from "@xmpp/client";
import type { BareJid, FullJid } from "../../mod.ts";
import { connect, type LtxElement, startServer, waitFor } from "./_harness.ts";
import { CutProxy } from "./_cut_proxy.ts";
import { chat, ids, type Mobile, mobile, pause } from "./_mobile.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };
const PUSH = "urn:xmpp:push:0";

function httpEndpoint() {
  const posts: { auth: string | null; body: Record<string, unknown> }[] = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (req) => {
    posts.push({ auth: req.headers.get("authorization"), body: await req.json() });
    return new Response(null, { status: 204 });
  });
  return {
    posts,
    url: `http://127.0.0.1:${server.addr.port}/push`,
    close: () => server.shutdown(),
  };
}

const publishOptions = () =>
  xml(
    "x",
    { xmlns: "jabber:x:data", type: "submit" },
    xml(
      "field",
      { var: "FORM_TYPE" },
      xml("value", {}, "http://jabber.org/protocol/pubsub#publish-options"),
    ),
    xml("field", { var: "token" }, xml("value", {}, "device-token-1")),
  );

Deno.test({
  name:
    "push: xmpp.js phone cut off → relay POSTs the summary; resumed it has the message; offline too; disabled, nothing",
  ...opts,
  async fn() {
    const http = httpEndpoint();
    const t = await startServer({ push: { relay: { endpoint: http.url, token: "tok" } } });
    const proxy = CutProxy.start(t.port);
    let alice: Mobile | undefined;
    const bob = await connect(t.port, "bob", "bob-pw", { resource: "desk" });
    try {
      alice = await mobile(`xmpp://127.0.0.1:${proxy.port}`, "alice");
      // Sent as a plain stanza and acknowledged both ways before the cut.
      const results: string[] = [];
      alice.xmpp.on("stanza", (s: LtxElement) => {
        if (s.is("iq") && s.attrs.id === "push-on") results.push(s.attrs.type);
      });
      await alice.xmpp.send(
        xml(
          "iq",
          { type: "set", id: "push-on" },
          xml(
            "enable",
            { xmlns: PUSH, jid: "push.localhost", node: "alice-phone" },
            publishOptions(),
          ),
        ),
      );
      await waitFor(() => results.length === 1, "the result of <enable/>");
      assert.deepEqual(results, ["result"]);
      // Available, so that a message to the bare JID goes to the phone's session.
      await alice.xmpp.send(xml("presence"));
      const sm = alice.xmpp.streamManagement;
      await waitFor(() => sm.outbound_q.length === 0, "the server to acknowledge", 5000);
      // The network goes; the phone does not come back by itself yet.
      alice.xmpp.reconnect.delay = 60_000;
      // What the phone sends last is lost (xmpp.js 0.14 under Deno does not finish resuming
      // with nothing of its own to resend: its empty write never completes).
      proxy.blackhole = "to-server";
      await alice.xmpp.send(chat("bob@localhost/desk", "lost"));
      await pause(50);
      proxy.cut();
      proxy.blackhole = "none";
      const ref = await t.server.router.session("alice@localhost/phone" as FullJid);
      const session = t.server.router.local(ref!)!;
      await waitFor(() => session.state === "hibernated", "alice's session to hibernate");

      await bob.xmpp.send(chat("alice@localhost", "p1"));
      await waitFor(() => http.posts.length === 1, "the relay's POST");
      // It went to the hibernated session, not to offline storage.
      assert.equal((await t.server.storage.offline.list("alice@localhost" as BareJid)).length, 0);
      assert.equal(http.posts[0].auth, "Bearer tok");
      assert.deepEqual(http.posts[0].body, {
        account: "alice@localhost",
        node: "alice-phone",
        messageCount: 1,
        lastMessageSender: "bob@localhost/desk",
        options: { token: "device-token-1" },
      });

      // Woken by the push, the phone resumes and has the message.
      alice.xmpp.reconnect.delay = 50;
      alice.xmpp.reconnect.scheduleReconnect();
      await waitFor(() => alice!.resumed === 1, "alice to resume");
      await waitFor(() => ids(alice!.messages, "p").length === 1, "alice to get p1");
      await bob.next((s) => s.attrs.id === "lost", "the phone's message sent while cut off");

      // Offline (a clean logout): the offline message is notified to every registration.
      await alice.stop();
      await bob.xmpp.send(chat("alice@localhost", "p2"));
      await waitFor(() => http.posts.length === 2, "the relay's second POST");
      assert.equal(http.posts[1].body.messageCount, 1, "the count starts again after resuming");

      // Back online, the phone disables push; then nothing more is posted.
      alice = await mobile(`xmpp://127.0.0.1:${t.port}`, "alice");
      await alice.xmpp.iqCaller.set(xml("disable", { xmlns: PUSH, jid: "push.localhost" }));
      await alice.stop();
      await bob.xmpp.send(chat("alice@localhost", "p3"));
      await bob.xmpp.iqCaller.request(
        xml("iq", { type: "get", to: "localhost" }, xml("ping", { xmlns: "urn:xmpp:ping" })),
      );
      await new Promise((r) => setTimeout(r, 100));
      assert.equal(http.posts.length, 2);
    } finally {
      await alice?.stop();
      await bob.stop();
      await proxy.close();
      await t.close();
      await http.close();
    }
  },
});

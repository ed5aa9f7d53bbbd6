// XEP-0352 client state indication with real xmpp.js clients (stream management on, as a
// phone runs it): presence updates deduplicated while inactive, released with the chat states
// by a message with a body and by <active/>, and XEP-0198's counts still agree.
import assert from "node:assert/strict";
import { xml } from "@xmpp/client";
import {
  connect,
  friends,
  type LtxElement,
  startServer,
  type TestClient,
  waitFor,
} from "./_harness.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };
const CSI = "urn:xmpp:csi:0";
const STATES = "http://jabber.org/protocol/chatstates";

/** What a client got from Bob, as "presence SHOW" or "message ID". */
function record(c: TestClient): string[] {
  const got: string[] = [];
  c.xmpp.on("stanza", (s: LtxElement) => {
    if (!s.attrs.from?.startsWith("bob@localhost")) return;
    if (s.is("presence")) got.push(`presence ${s.getChildText("show") ?? "available"}`);
    if (s.is("message")) got.push(`message ${s.attrs.id}`);
  });
  return got;
}

/** Bob's stanzas before this have all been routed once the server answered his ping. */
async function settle(bob: TestClient): Promise<void> {
  await bob.xmpp.iqCaller.request(
    xml("iq", { type: "get", to: "localhost" }, xml("ping", { xmlns: "urn:xmpp:ping" })),
  );
}

Deno.test({
  name:
    "csi: an inactive xmpp.js client gets Bob's latest presence and chat states with his message",
  ...opts,
  async fn() {
    const t = await startServer();
    let alice: TestClient | undefined, bob: TestClient | undefined;
    try {
      await friends(t);
      alice = await connect(t.port, "alice", "alice-pw", { resource: "phone" });
      await waitFor(() => alice!.xmpp.streamManagement.enabled, "stream management");
      await alice.xmpp.send(xml("presence"));
      const got = record(alice);
      bob = await connect(t.port, "bob", "bob-pw", { resource: "desk" });
      await bob.xmpp.send(xml("presence"));
      await waitFor(() => got.includes("presence available"), "Bob's presence while active");

      await alice.xmpp.send(xml("inactive", { xmlns: CSI }));
      for (const show of ["away", "xa", "dnd"]) {
        await bob.xmpp.send(xml("presence", {}, xml("show", {}, show)));
      }
      await bob.xmpp.send(
        xml(
          "message",
          { to: "alice@localhost/phone", id: "c1", type: "chat" },
          xml("composing", {
            xmlns: STATES,
          }),
        ),
      );
      await settle(bob);
      assert.deepEqual(got, ["presence available"], "nothing while inactive");

      await bob.xmpp.send(
        xml(
          "message",
          { to: "alice@localhost/phone", id: "m1", type: "chat" },
          xml("body", {}, "hi"),
        ),
      );
      await waitFor(() => got.includes("message m1"), "Bob's message");
      assert.deepEqual(got, ["presence available", "presence dnd", "message c1", "message m1"]);

      // Still inactive: a presence waits again, until <active/>.
      await bob.xmpp.send(xml("presence", {}, xml("show", {}, "chat")));
      await settle(bob);
      assert.equal(got.length, 4);
      await alice.xmpp.send(xml("active", { xmlns: CSI }));
      await waitFor(() => got.includes("presence chat"), "the presence released by <active/>");

      // XEP-0198 agrees with what was written: the server asks for an ack after m2, takes
      // Alice's answer, and then answers her own request (had her h been refused, the stream
      // would have ended with <undefined-condition/> instead).
      const sm: string[] = [];
      alice.xmpp.on("element", (el: LtxElement) => {
        if (el.attrs.xmlns === "urn:xmpp:sm:3") sm.push(el.name);
      });
      await bob.xmpp.send(
        xml(
          "message",
          { to: "alice@localhost/phone", id: "m2", type: "chat" },
          xml("body", {}, "2"),
        ),
      );
      await waitFor(() => got.includes("message m2") && sm.includes("r"), "the server's <r/>");
      await alice.xmpp.send(xml("r", { xmlns: "urn:xmpp:sm:3" }));
      await waitFor(() => sm.includes("a"), "the server's <a/>");
      assert.deepEqual(alice.errors.map((e) => e.message), []);
      assert.equal(alice.xmpp.status, "online");
    } finally {
      await alice?.stop();
      await bob?.stop();
      await t.close();
    }
  },
});

// A module that throws never takes a session or the server down (STYLE.md §7).
import assert from "node:assert/strict";
import { xml } from "@xmpp/client";
import { connect, startServer, type TestClient, withTimeout } from "../scenarios/_harness.ts";
import { NS } from "../../mod.ts";

Deno.test({
  name: "a throwing hook gives the sender internal-server-error and the session stays up",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    let closedCalls = 0;
    const t = await startServer({
      modules: [{
        name: "faulty",
        setup(api) {
          // Fails on routing, including the error it would route back.
          api.hook("stanza/route", ({ stanza }) => {
            if (stanza.attrs.id?.startsWith("boom")) throw new Error("module failure");
          }, { priority: 100 });
          api.hook("session/closed", () => {
            closedCalls++;
            throw new Error("module failure at session end");
          }, { priority: 100 });
        },
      }],
    });
    let alice: TestClient | undefined, bob: TestClient | undefined;
    try {
      alice = await connect(t.port, "alice", "alice-pw", { resource: "a" });
      bob = await connect(t.port, "bob", "bob-pw", { resource: "b" });
      await alice.xmpp.send(
        xml("message", { to: "bob@localhost/b", id: "boom1" }, xml("body", {}, "x")),
      );
      const err = await alice.next((s) => s.attrs.id === "boom1", "the error reply");
      assert.equal(err.attrs.type, "error");
      const e = err.getChild("error")!;
      assert.equal(e.attrs.type, "wait");
      assert.ok(e.getChild("internal-server-error", "urn:ietf:params:xml:ns:xmpp-stanzas"));

      // Alice's session survived; Bob leaves, the session/closed hook throws, the server lives on.
      await bob.stop();
      const deadline = Date.now() + 5000;
      while (closedCalls === 0 && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 20));
      }
      assert.equal(closedCalls, 1);
      const pong = await withTimeout(
        alice.xmpp.iqCaller.request(
          xml("iq", { type: "get", to: "localhost" }, xml("ping", { xmlns: NS.PING })),
        ),
        "a ping after the failures",
      );
      assert.equal((pong as { attrs: { type: string } }).attrs.type, "result");
    } finally {
      await alice?.stop();
      await bob?.stop();
      await t.close();
    }
  },
});

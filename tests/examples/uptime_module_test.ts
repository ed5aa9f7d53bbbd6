// The third-party example module, loaded into a real server and queried by a real client.
import assert from "node:assert/strict";
import { xml } from "@xmpp/client";
import { connect, type LtxElement, startServer, type TestClient } from "../scenarios/_harness.ts";
import { NS_LAST, uptime } from "../../examples/uptime_module.ts";

Deno.test({
  name: "uptime(): the server answers XEP-0012 with its uptime and advertises the feature",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    let clock = 1_000_000;
    const t = await startServer();
    // It replaces the built-in XEP-0012 module (which also reports accounts' last activity).
    await t.server.unload("last-activity");
    await t.server.use(uptime({ now: () => clock }));
    let alice: TestClient | undefined;
    try {
      alice = await connect(t.port, "alice", "alice-pw");
      clock += 42_500;
      const res: LtxElement = await alice.xmpp.iqCaller.request(
        xml("iq", { type: "get", to: "localhost" }, xml("query", { xmlns: NS_LAST })),
      );
      assert.equal(res.getChild("query", NS_LAST)?.attrs.seconds, "42");
      const info: LtxElement = await alice.xmpp.iqCaller.request(
        xml(
          "iq",
          { type: "get", to: "localhost" },
          xml("query", { xmlns: "http://jabber.org/protocol/disco#info" }),
        ),
      );
      const features = info.getChild("query")!.getChildren("feature").map((f) => f.attrs.var);
      assert.ok(features.includes(NS_LAST));
      // Unloading removes the handler and the feature.
      assert.equal(await t.server.unload("uptime"), true);
      const err = await alice.xmpp.iqCaller.request(
        xml("iq", { type: "get", to: "localhost" }, xml("query", { xmlns: NS_LAST })),
      ).then(() => undefined, (e: { condition?: string }) => e.condition);
      assert.equal(err, "service-unavailable");
    } finally {
      await alice?.stop();
      await t.close();
    }
  },
});

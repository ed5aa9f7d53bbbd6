// The stats example (stanza/out and a component domain), loaded into a real server and used by
// a real client over TCP.
import assert from "node:assert/strict";
import { xml } from "@xmpp/client";
import { connect, type LtxElement, startServer, type TestClient } from "../scenarios/_harness.ts";
import { NS_STATS, stats } from "../../examples/stats_component.ts";

const DISCO_INFO = "http://jabber.org/protocol/disco#info";
const DISCO_ITEMS = "http://jabber.org/protocol/disco#items";

Deno.test({
  name: "stats(): the component is discoverable and counts what the client was sent",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const t = await startServer({ modules: [stats()] });
    let alice: TestClient | undefined;
    try {
      alice = await connect(t.port, "alice", "alice-pw", { resource: "laptop" });
      const items: LtxElement = await alice.xmpp.iqCaller.request(
        xml("iq", { type: "get", to: "localhost" }, xml("query", { xmlns: DISCO_ITEMS })),
      );
      const jids = items.getChild("query", DISCO_ITEMS)!.getChildren("item").map((i) =>
        i.attrs.jid
      );
      assert.ok(jids.includes("stats.localhost"), jids.join());
      const info: LtxElement = await alice.xmpp.iqCaller.request(
        xml("iq", { type: "get", to: "stats.localhost" }, xml("query", { xmlns: DISCO_INFO })),
      );
      const query = info.getChild("query", DISCO_INFO)!;
      assert.equal(query.getChild("identity")?.attrs.category, "component");
      assert.ok(query.getChildren("feature").some((f) => f.attrs.var === NS_STATS));
      // Two iq results so far (plus the bind result): the count is at least 2.
      await alice.xmpp.send(
        xml("message", { to: "stats.localhost", id: "s1" }, xml("body", {}, "?")),
      );
      const answer = await alice.next((s) => s.is("message") && s.attrs.id === "s1", "the count");
      assert.equal(answer.attrs.from, "stats.localhost");
      const n = Number(answer.getChildText("body")!.split(" ")[0]);
      assert.ok(n >= 2, answer.getChildText("body")!);
    } finally {
      await alice?.stop();
      await t.close();
    }
  },
});

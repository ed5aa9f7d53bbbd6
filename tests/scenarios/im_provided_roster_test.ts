// #15 item 2 with real xmpp.js clients: the host app's contacts (RosterProvider) show on the
// roster, presence flows between two app users with no subscription, a change is pushed.
import assert from "node:assert/strict";
import { xml } from "@xmpp/client";
import type { RosterProvider } from "../../mod.ts";
import { connect, startServer, type TestClient } from "./_harness.ts";
import { getRoster, nextPresence, nextPush, ROSTER, setItem } from "./_im.ts";
import { condition } from "./_iq.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };

/** Everyone in `members` has the others as contacts, grouped "Team". */
function team(members: string[]): RosterProvider {
  return {
    contacts: (user) =>
      members.includes(user)
        ? members.filter((m) => m !== user).map((jid) => ({ jid, groups: ["Team"] }))
        : [],
  };
}

Deno.test({
  name: "provided roster: xmpp.js sees the app's contacts, exchanges presence, gets a push",
  ...opts,
  async fn() {
    const members = ["alice@localhost", "bob@localhost"];
    const t = await startServer({ rosterProvider: team(members) });
    const clients: TestClient[] = [];
    try {
      const alice = await connect(t.port, "alice", "alice-pw", { resource: "laptop" });
      clients.push(alice);
      const roster = (await getRoster(alice)).getChild("query", ROSTER)!;
      const [bob] = roster.getChildren("item");
      assert.equal(bob.attrs.jid, "bob@localhost");
      assert.equal(bob.attrs.subscription, "both");
      assert.deepEqual(bob.getChildren("group").map((g) => g.text()), ["Team"]);
      // A provided item is the app's: not-allowed.
      const denied = await setItem(alice, { jid: "bob@localhost", subscription: "remove" });
      assert.equal(denied.attrs.type, "error");
      assert.equal(condition(denied), "not-allowed");

      await alice.xmpp.send(xml("presence", {}));
      await nextPresence(alice, "alice@localhost/laptop", undefined, "alice's own presence");
      const bobC = await connect(t.port, "bob", "bob-pw", { resource: "phone" });
      clients.push(bobC);
      await bobC.xmpp.send(xml("presence", {}, xml("status", {}, "here")));
      // No subscription handshake: Bob's presence reaches Alice, Bob's probe gets Alice's.
      const seen = await nextPresence(alice, "bob@localhost/phone", undefined, "bob's presence");
      assert.equal(seen.getChildText("status"), "here");
      await nextPresence(bobC, "alice@localhost/laptop", undefined, "alice's presence to bob");

      // The app adds Carol to the team and says so: a push with subscription both.
      members.push("carol@localhost");
      await t.server.rosterChanged("alice@localhost");
      const carol = await nextPush(alice, "carol@localhost", "the push of carol");
      assert.equal(carol.attrs.subscription, "both");
      await bobC.stop();
      await nextPresence(alice, "bob@localhost/phone", "unavailable", "bob's unavailable");
    } finally {
      for (const c of clients) await c.stop();
      await t.close();
    }
  },
});

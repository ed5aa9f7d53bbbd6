import assert from "node:assert/strict";
import { IqProxy } from "../../../src/modules/muc/iq_proxy.ts";
import { Room } from "../../../src/modules/muc/room.ts";
import { DEFAULT_CONFIG } from "../../../src/modules/muc/config.ts";
import { type BareJid, parseJid } from "../../../src/jid/jid.ts";
import { xml } from "../../../src/xml/element.ts";

function room(): Room {
  const r = new Room("tea@conference.localhost", {
    config: DEFAULT_CONFIG,
    affiliations: {},
    subject: { text: "", nick: "" },
    secret: "s",
  }, 10);
  for (const [nick, full] of [["Alice", "alice@localhost/a"], ["Bob", "bob@localhost/b"]]) {
    r.addSession({
      nick,
      bare: parseJid(full).bare as BareJid,
      sessions: new Set(),
      role: "participant",
      presence: xml("presence", null),
      occupantId: nick,
    }, full);
  }
  return r;
}

Deno.test("IqProxy answers only from the one asked, once, and forgets requests after the TTL", () => {
  const proxy = new IqProxy(1000);
  const r = room();
  const iq = xml("iq", { type: "get", id: "orig", to: "tea@conference.localhost/Alice" });
  const out = proxy.forward(r, iq, parseJid("bob@localhost/b"), "Alice", "n1", 0);
  assert.deepEqual(out.attrs, {
    type: "get",
    id: "n1",
    from: "tea@conference.localhost/Bob",
    to: "alice@localhost/a",
  });
  const answer = xml("iq", { type: "result", id: "n1", to: "tea@conference.localhost/Bob" });
  assert.equal(proxy.answer(answer, parseJid("mallory@localhost/m")), undefined);
  assert.deepEqual(proxy.answer(answer, parseJid("alice@localhost/a"))?.attrs, {
    type: "result",
    id: "orig",
    from: "tea@conference.localhost/Alice",
    to: "bob@localhost/b",
  });
  assert.equal(proxy.answer(answer, parseJid("alice@localhost/a")), undefined); // once
  proxy.forward(r, iq, parseJid("bob@localhost/b"), "Alice", "old", 0);
  proxy.forward(r, iq, parseJid("bob@localhost/b"), "Alice", "new", 1500); // prunes "old"
  const late = xml("iq", { type: "result", id: "old" });
  assert.equal(proxy.answer(late, parseJid("alice@localhost/a")), undefined);
  assert.ok(proxy.answer(xml("iq", { type: "result", id: "new" }), parseJid("alice@localhost/a")));
});

import assert from "node:assert/strict";
import { bareMessageTargets, messageType, missingFullMessage } from "../../src/router/delivery.ts";
import type { SessionRef } from "../../src/base/session.ts";
import { xml } from "../../src/xml/element.ts";
import type { FullJid } from "../../src/jid/jid.ts";

function session(resource: string, priority: number | undefined): SessionRef {
  return {
    node: "n",
    id: resource,
    jid: `a@localhost/${resource}` as FullJid,
    presence: priority === undefined ? undefined : xml("presence", null),
    priority: priority ?? 0,
  };
}

const names = (d: ReturnType<typeof bareMessageTargets>) =>
  d.kind === "deliver" ? d.to.map((s) => s.id).join(",") : d.kind;

Deno.test("bareMessageTargets() follows RFC 6121 §8.5.2", async (t) => {
  const cases: [string, SessionRef[], Parameters<typeof bareMessageTargets>[1], string][] = [
    ["chat goes to the highest priority", [session("a", 1), session("b", 5)], "chat", "b"],
    ["ties all get it", [session("a", 5), session("b", 5)], "normal", "a,b"],
    ["negative priority never gets it", [session("a", -1)], "chat", "offline"],
    ["unavailable sessions do not count", [session("a", undefined)], "chat", "offline"],
    [
      "headline goes to all non-negative",
      [session("a", 0), session("b", 9), session("c", -1)],
      "headline",
      "a,b",
    ],
    ["headline with nobody is dropped", [], "headline", "drop"],
    ["error with nobody is dropped", [], "error", "drop"],
    ["groupchat is an error", [session("a", 1)], "groupchat", "error"],
    ["no session means offline", [], "normal", "offline"],
  ];
  for (const [name, sessions, type, expected] of cases) {
    await t.step(name, () => assert.equal(names(bareMessageTargets(sessions, type)), expected));
  }
});

Deno.test("messageType() maps unknown and missing types to normal", () => {
  assert.equal(messageType(xml("message", { type: "chat" })), "chat");
  assert.equal(messageType(xml("message", null)), "normal");
  assert.equal(messageType(xml("message", { type: "x" })), "normal");
});

Deno.test("missingFullMessage() treats chat and normal as bare, drops the rest", () => {
  assert.deepEqual(
    (["chat", "normal", "headline", "groupchat", "error"] as const).map(missingFullMessage),
    ["as-bare", "as-bare", "drop", "drop", "drop"],
  );
});

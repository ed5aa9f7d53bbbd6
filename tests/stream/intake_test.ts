import assert from "node:assert/strict";
import { intake, type IntakeResult } from "../../src/stream/intake.ts";
import type { FullJid } from "../../src/jid/jid.ts";
import { type Element, xml } from "../../src/xml/element.ts";
import { NS } from "../../src/xml/ns.ts";

const ME = "alice@localhost/phone" as FullJid;

function summary(r: IntakeResult): string {
  switch (r.kind) {
    case "route":
      return `route from=${r.stanza.attrs.from}`;
    case "reply":
      return `reply ${r.error.condition}/${r.error.type}`;
    case "stream-error":
      return `stream-error ${r.error.condition}`;
    default:
      return r.kind;
  }
}

const c = (name: string, attrs: Record<string, string>, ...kids: Element[]) =>
  xml(name, { xmlns: NS.CLIENT, ...attrs }, ...kids);
const ping = xml("ping", { xmlns: NS.PING });

const CASES: [string, Element, string][] = [
  ["stamps a message without from", c("message", { to: "bob@localhost" }), `route from=${ME}`],
  ["accepts its own full JID as from", c("message", { from: ME }), `route from=${ME}`],
  ["restamps its own bare JID", c("presence", { from: "alice@localhost" }), `route from=${ME}`],
  [
    "rejects a spoofed from",
    c("message", { from: "bob@localhost/x" }),
    "stream-error invalid-from",
  ],
  [
    "rejects another resource",
    c("message", { from: "alice@localhost/x" }),
    "stream-error invalid-from",
  ],
  ["rejects a malformed from", c("message", { from: "a@b@c" }), "stream-error invalid-from"],
  ["answers a malformed to", c("message", { to: "a@b@c" }), "reply jid-malformed/modify"],
  ["drops an error with a malformed to", c("message", { to: "@", type: "error" }), "drop"],
  [
    "answers an iq get with two children",
    c("iq", { type: "get", id: "1" }, ping, ping),
    "reply bad-request/modify",
  ],
  [
    "answers an iq set with no child",
    c("iq", { type: "set", id: "1" }),
    "reply bad-request/modify",
  ],
  ["answers an iq without id", c("iq", { type: "get" }, ping), "reply bad-request/modify"],
  [
    "answers an iq of unknown type",
    c("iq", { type: "bogus", id: "1" }, ping),
    "reply bad-request/modify",
  ],
  ["routes an empty iq result", c("iq", { type: "result", id: "1" }), `route from=${ME}`],
  ["routes an iq get with one child", c("iq", { type: "get", id: "1" }, ping), `route from=${ME}`],
  [
    "answers presence of an unknown type",
    c("presence", { type: "bogus" }),
    "reply bad-request/modify",
  ],
  ["hands a non-stanza to the nonza hook", xml("r", { xmlns: "urn:xmpp:sm:3" }), "nonza"],
  [
    "rejects a stanza outside jabber:client",
    xml("message", { xmlns: "urn:x" }),
    "stream-error invalid-namespace",
  ],
];

for (const [name, el, expected] of CASES) {
  Deno.test(`intake() ${name}`, () => {
    assert.equal(summary(intake(el, ME)), expected);
  });
}

Deno.test("intake() keeps the payload of a routed stanza intact", () => {
  const body = xml("body", null, "hi");
  const r = intake(c("message", { to: "bob@localhost", type: "chat", id: "m1" }, body), ME);
  assert.equal(r.kind, "route");
  assert.deepEqual(r.kind === "route" && r.stanza, {
    name: "message",
    xmlns: NS.CLIENT,
    attrs: { to: "bob@localhost", type: "chat", id: "m1", from: ME },
    children: [{ name: "body", xmlns: NS.CLIENT, attrs: {}, children: ["hi"] }],
  });
});

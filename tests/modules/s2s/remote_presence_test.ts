import assert from "node:assert/strict";
import { RemotePresence } from "../../../src/modules/s2s/remote_presence.ts";
import { xml } from "../../../src/xml/element.ts";

const presence = (from: string, to: string, type?: string) => xml("presence", { from, to, type });

Deno.test("RemotePresence turns a gone domain's available presence into unavailable", () => {
  const seen = new RemotePresence();
  seen.note(presence("b@r.example/1", "a@l.example"));
  seen.note(presence("b@r.example/1", "c@l.example/x"));
  seen.note(presence("d@r.example/2", "a@l.example"));
  seen.note(presence("d@r.example/2", "a@l.example", "unavailable")); // said it itself
  seen.note(presence("e@other.example/3", "a@l.example"));
  seen.note(presence("b@r.example", "a@l.example")); // no resource: not a session
  seen.note(presence("b@r.example/1", "a@l.example", "subscribe")); // not availability
  seen.note(xml("message", { from: "f@r.example/4", to: "a@l.example" }));
  assert.deepEqual(
    seen.forgetDomain("r.example"),
    [
      xml("presence", {
        xmlns: "jabber:client",
        type: "unavailable",
        from: "b@r.example/1",
        to: "a@l.example",
      }),
      xml("presence", {
        xmlns: "jabber:client",
        type: "unavailable",
        from: "b@r.example/1",
        to: "c@l.example/x",
      }),
    ],
  );
  assert.deepEqual(seen.forgetDomain("r.example"), []);
  assert.equal(seen.forgetDomain("other.example").length, 1);
});

Deno.test("RemotePresence keeps at most `max` remote JIDs per domain", () => {
  const seen = new RemotePresence(2);
  for (const r of ["1", "2", "3"]) seen.note(presence(`b@r.example/${r}`, "a@l.example"));
  assert.deepEqual(seen.forgetDomain("r.example").map((p) => p.attrs.from), [
    "b@r.example/2",
    "b@r.example/3",
  ]);
});

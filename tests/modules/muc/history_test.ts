import assert from "node:assert/strict";
import { History, historyRequest } from "../../../src/modules/muc/history.ts";
import { text, xml } from "../../../src/xml/element.ts";

const T0 = Date.parse("2026-01-01T12:00:00Z");

function history(): History {
  const h = new History(10);
  for (let i = 1; i <= 4; i++) {
    // One message a minute: 12:01 to 12:04.
    h.add(
      xml("message", { from: "r@c/n", type: "groupchat" }, xml("body", null, `m${i}`)),
      new Date(T0 + i * 60_000),
    );
  }
  return h;
}

const NOW = new Date(T0 + 5 * 60_000);

Deno.test("History.select() applies every limit the joining occupant asked for", () => {
  const one = history().select({}, NOW)[0].chars;
  const cases: [string, Record<string, string>, string[]][] = [
    ["no <history/>: all kept", {}, ["m1", "m2", "m3", "m4"]],
    ["maxstanzas", { maxstanzas: "2" }, ["m3", "m4"]],
    ["maxstanzas 0", { maxstanzas: "0" }, []],
    ["maxchars fits two", { maxchars: String(2 * one + 1) }, ["m3", "m4"]],
    ["maxchars 0", { maxchars: "0" }, []],
    ["seconds", { seconds: "150" }, ["m3", "m4"]],
    ["since", { since: new Date(T0 + 90_000).toISOString() }, ["m2", "m3", "m4"]],
    ["the strictest wins", { seconds: "250", maxstanzas: "1" }, ["m4"]],
    ["junk is ignored", { maxstanzas: "lots", since: "yesterday" }, ["m1", "m2", "m3", "m4"]],
  ];
  for (const [what, attrs, want] of cases) {
    const got = history().select(historyRequest(xml("history", attrs)), NOW);
    assert.deepEqual(got.map((e) => text(e.stanza.children[0] as never)), want, what);
  }
});

Deno.test("History keeps only the newest messages up to its length", () => {
  const h = history();
  h.resize(2);
  assert.deepEqual(h.select({}, NOW).map((e) => e.at.getTime()), [T0 + 180_000, T0 + 240_000]);
});

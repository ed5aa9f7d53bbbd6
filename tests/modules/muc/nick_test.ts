import assert from "node:assert/strict";
import { prepareNick } from "../../../src/modules/muc/nick.ts";
import { StanzaError } from "../../../src/base/stanza_error.ts";

Deno.test("prepareNick() maps and trims spaces and refuses what resourceprep refuses", () => {
  const ok: [string, string][] = [
    ["Alice", "Alice"],
    ["  Alice  ", "Alice"],
    ["Alice\u00a0\u2003Smith", "Alice Smith"],
    ["ﬁsh", "fish"], // NFKC
    ["Zoë", "Zoë"],
  ];
  for (const [raw, want] of ok) assert.equal(prepareNick(raw, 64), want, raw);
  const bad: [string, string][] = [
    ["   ", "jid-malformed"],
    ["evil\u202eenil", "jid-malformed"], // bidi override (RFC 3454 C.8)
    ["zero\u200bwidth", "jid-malformed"], // format character
    ["private\ue000use", "jid-malformed"], // C.3
    ["tag\u{e0041}", "jid-malformed"], // C.9
    ["x".repeat(65), "not-acceptable"],
  ];
  for (const [raw, want] of bad) {
    assert.throws(
      () => prepareNick(raw, 64),
      (e) => e instanceof StanzaError && e.condition === want && e.type === "modify",
      JSON.stringify(raw),
    );
  }
});

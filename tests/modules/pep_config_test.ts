// Pure parts of PEP and blocking: node configuration, publish-options preconditions, JID matching.
import assert from "node:assert/strict";
import {
  checkPreconditions,
  configForm,
  configure,
  DEFAULT_CONFIG,
  formFields,
  MAX_ITEMS,
  maxItems,
} from "../../src/modules/_pep_config.ts";
import { blockMatches } from "../../src/modules/blocking.ts";
import { parseJid } from "../../src/jid/jid.ts";
import { StanzaError } from "../../src/base/stanza_error.ts";
import { xml } from "../../src/xml/element.ts";
import { NS } from "../../src/xml/ns.ts";

function form(fields: Record<string, string>) {
  return xml(
    "x",
    { xmlns: NS.DATA_FORMS, type: "submit" },
    xml(
      "field",
      { xmlns: NS.DATA_FORMS, var: "FORM_TYPE" },
      xml("value", { xmlns: NS.DATA_FORMS }, NS.PUBLISH_OPTIONS),
    ),
    Object.entries(fields).map(([k, v]) =>
      xml("field", { xmlns: NS.DATA_FORMS, var: k }, xml("value", { xmlns: NS.DATA_FORMS }, v))
    ),
  );
}

Deno.test("formFields() reads a submitted form without FORM_TYPE", () => {
  assert.deepEqual(formFields(form({ "pubsub#access_model": "open" })), {
    "pubsub#access_model": "open",
  });
  assert.deepEqual(formFields(undefined), {});
});

Deno.test("configure() normalizes values and refuses what the node cannot take", () => {
  const c = configure(DEFAULT_CONFIG, {
    "pubsub#persist_items": "1",
    "pubsub#max_items": "max",
    "pubsub#access_model": "open",
  });
  assert.equal(c["pubsub#persist_items"], "true");
  assert.equal(maxItems(c), MAX_ITEMS);
  assert.equal(maxItems(DEFAULT_CONFIG), 1);
  assert.throws(
    () => configure(DEFAULT_CONFIG, { "pubsub#access_model": "roster" }),
    (e: unknown) => e instanceof StanzaError && e.condition === "not-acceptable",
  );
  assert.throws(() => configure(DEFAULT_CONFIG, { "pubsub#max_items": "0" }), StanzaError);
});

Deno.test("checkPreconditions() accepts matching options and refuses others (XEP-0060 §7.1.5)", () => {
  const config = configure(DEFAULT_CONFIG, { "pubsub#access_model": "open" });
  checkPreconditions(config, { "pubsub#access_model": "open", "pubsub#persist_items": "1" });
  checkPreconditions(config, { "x-unknown#field": "whatever" });
  assert.throws(
    () => checkPreconditions(config, { "pubsub#access_model": "presence" }),
    (e: unknown) =>
      e instanceof StanzaError && e.condition === "conflict" &&
      e.app?.name === "precondition-not-met" && e.app.xmlns === NS.PUBSUB_ERRORS,
  );
  assert.throws(() => checkPreconditions(config, { "pubsub#max_items": "5" }), StanzaError);
});

Deno.test("configForm() types each field as XEP-0060 §16.4.4 registers it, with its options", () => {
  const config = configure(DEFAULT_CONFIG, {
    "pubsub#title": "Nick",
    "pubsub#contact": "a@localhost\nb@localhost",
  });
  const x = configForm(config);
  const field = (name: string, type: string, values: string[], options: string[] = []) =>
    xml(
      "field",
      { var: name, type },
      values.map((v) => xml("value", null, v)),
      options.map((o) => xml("option", null, xml("value", null, o))),
    );
  assert.deepEqual(
    x,
    xml(
      "x",
      { xmlns: NS.DATA_FORMS, type: "form" },
      field("FORM_TYPE", "hidden", [NS.NODE_CONFIG]),
      field("pubsub#access_model", "list-single", ["presence"], ["open", "presence", "whitelist"]),
      field("pubsub#persist_items", "boolean", ["true"]),
      field("pubsub#max_items", "text-single", ["1"]),
      field("pubsub#send_last_published_item", "list-single", ["on_sub_and_presence"], [
        "never",
        "on_sub",
        "on_sub_and_presence",
      ]),
      field("pubsub#notify_retract", "boolean", ["true"]),
      field("pubsub#deliver_payloads", "boolean", ["true"]),
      field("pubsub#deliver_notifications", "boolean", ["true"]),
      field("pubsub#publish_model", "list-single", ["publishers"], ["publishers"]),
      field("pubsub#title", "text-single", ["Nick"]),
      field("pubsub#contact", "jid-multi", ["a@localhost", "b@localhost"]),
    ),
  );
  // Only the owner publishes to a PEP node: the other publish models are refused.
  assert.throws(
    () => configure(DEFAULT_CONFIG, { "pubsub#publish_model": "open" }),
    (e: unknown) => e instanceof StanzaError && e.condition === "not-acceptable",
  );
});

Deno.test("blockMatches() follows the XEP-0016 §2.1 order of JID matching", () => {
  const list = new Set(["bob@example.com", "evil.example", "other.example/bot", "c@d.e/r"]);
  assert.ok(blockMatches(list, parseJid("bob@example.com/phone")));
  assert.ok(blockMatches(list, parseJid("anyone@evil.example/x")));
  assert.ok(blockMatches(list, parseJid("other.example/bot")));
  // XEP-0016 §2.1 also tries domain/resource for a full JID with a localpart.
  assert.ok(blockMatches(list, parseJid("x@other.example/bot")));
  assert.ok(!blockMatches(list, parseJid("x@other.example/human")));
  assert.ok(blockMatches(list, parseJid("c@d.e/r")));
  assert.ok(!blockMatches(list, parseJid("c@d.e/s")));
  assert.ok(!blockMatches(new Set(), parseJid("bob@example.com")));
});

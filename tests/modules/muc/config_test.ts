import assert from "node:assert/strict";
import { applyForm, configForm, DEFAULT_CONFIG } from "../../../src/modules/muc/config.ts";
import { StanzaError } from "../../../src/base/stanza_error.ts";
import { child, elements, xml } from "../../../src/xml/element.ts";
import { NS } from "../../../src/xml/ns.ts";

const LIMITS = { maxUsers: 100, maxHistory: 50 };

function form(fields: Record<string, string>) {
  return xml(
    "x",
    { xmlns: NS.DATA_FORMS, type: "submit" },
    Object.entries(fields).map(([v, value]) => xml("field", { var: v }, xml("value", null, value))),
  );
}

Deno.test("applyForm() reads every muc#roomconfig field the form offers", () => {
  const offered = elements(configForm(DEFAULT_CONFIG, LIMITS), "field").map((f) => f.attrs.var);
  assert.deepEqual(offered, [
    "FORM_TYPE",
    "muc#roomconfig_roomname",
    "muc#roomconfig_roomdesc",
    "muc#roomconfig_persistentroom",
    "muc#roomconfig_publicroom",
    "muc#roomconfig_membersonly",
    "muc#roomconfig_moderatedroom",
    "muc#roomconfig_passwordprotectedroom",
    "muc#roomconfig_roomsecret",
    "muc#roomconfig_whois",
    "muc#roomconfig_maxusers",
    "muc#maxhistoryfetch",
    "muc#roomconfig_allowinvites",
    "muc#roomconfig_allowpm",
    "muc#roomconfig_changesubject",
    "muc#roomconfig_enablearchiving",
  ]);
  const config = applyForm(
    DEFAULT_CONFIG,
    form({
      FORM_TYPE: NS.MUC_ROOMCONFIG,
      "muc#roomconfig_roomname": "Tea",
      "muc#roomconfig_roomdesc": "Cups",
      "muc#roomconfig_persistentroom": "true",
      "muc#roomconfig_publicroom": "0",
      "muc#roomconfig_membersonly": "1",
      "muc#roomconfig_moderatedroom": "1",
      "muc#roomconfig_passwordprotectedroom": "1",
      "muc#roomconfig_roomsecret": "pw",
      "muc#roomconfig_whois": "anyone",
      "muc#roomconfig_maxusers": "30",
      "muc#maxhistoryfetch": "5",
      "muc#roomconfig_allowinvites": "1",
      "muc#roomconfig_allowpm": "moderators",
      "muc#roomconfig_changesubject": "1",
      "muc#roomconfig_enablearchiving": "0",
    }),
    LIMITS,
  );
  assert.deepEqual(config, {
    name: "Tea",
    description: "Cups",
    persistent: true,
    public: false,
    membersOnly: true,
    moderated: true,
    password: "pw",
    whois: "anyone",
    maxUsers: 30,
    historyLength: 5,
    allowInvites: true,
    allowPm: "moderators",
    changeSubject: true,
    archive: false,
  });
  // The form shows the values back.
  const shown = configForm(config, LIMITS);
  const persistent = elements(shown, "field").find((f) =>
    f.attrs.var === "muc#roomconfig_persistentroom"
  )!;
  assert.equal(child(persistent, "value")?.children[0], "1");
});

Deno.test("applyForm() refuses unknown fields, bad values and a wrong FORM_TYPE with bad-request", () => {
  const bad: Record<string, string>[] = [
    { "muc#roomconfig_unknown": "1" },
    { "muc#roomconfig_publicroom": "yes" },
    { "muc#roomconfig_whois": "participants" },
    { "muc#roomconfig_maxusers": "1000" },
    { "muc#maxhistoryfetch": "-1" },
    { "muc#roomconfig_allowpm": "everybody" },
    { FORM_TYPE: "urn:example:other" },
    { "muc#roomconfig_passwordprotectedroom": "1" }, // without a secret
  ];
  for (const fields of bad) {
    assert.throws(
      () => applyForm(DEFAULT_CONFIG, form(fields), LIMITS),
      (e) => e instanceof StanzaError && e.condition === "bad-request" && e.type === "modify",
      JSON.stringify(fields),
    );
  }
});

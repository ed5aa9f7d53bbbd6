import assert from "node:assert/strict";
import { dataForm, formTypeOf, submittedValues } from "../../src/modules/data_form.ts";
import { xml } from "../../src/xml/element.ts";
import { NS } from "../../src/xml/ns.ts";

Deno.test("dataForm() puts a hidden FORM_TYPE first and leaves unset attributes out", () => {
  const form = dataForm("submit", "urn:xmpp:push:summary", [
    { var: "message-count", values: ["2"] },
  ]);
  assert.deepEqual(
    form,
    xml(
      "x",
      { xmlns: NS.DATA_FORMS, type: "submit" },
      xml(
        "field",
        { var: "FORM_TYPE", type: "hidden" },
        xml("value", null, "urn:xmpp:push:summary"),
      ),
      xml("field", { var: "message-count" }, xml("value", null, "2")),
    ),
  );
});

Deno.test("formTypeOf() reads FORM_TYPE (XEP-0068 §3), or undefined without one", () => {
  assert.equal(formTypeOf(dataForm("result", "urn:example", [])), "urn:example");
  assert.equal(formTypeOf(dataForm("result", undefined, [{ var: "a", values: ["1"] }])), undefined);
});

Deno.test("submittedValues() maps every field, FORM_TYPE included, to its values", () => {
  const form = dataForm("submit", "urn:example", [{ var: "a", values: ["1", "2"] }, { var: "b" }]);
  assert.deepEqual(submittedValues(form), { FORM_TYPE: ["urn:example"], a: ["1", "2"], b: [] });
  assert.deepEqual(submittedValues(undefined), {});
  const odd = submittedValues(dataForm("submit", undefined, [{ var: "__proto__", values: ["x"] }]));
  assert.deepEqual(Object.entries(odd), [["__proto__", ["x"]]]);
  assert.equal(Object.getPrototypeOf(odd), Object.prototype);
});

// Private to src/modules: the few XEP-0004 data form pieces the push, contact address and
// relay modules build and read (XEP-0068 FORM_TYPE as a hidden field).
import { child, type Element, elements, text, xml } from "../xml/element.ts";
import { NS } from "../xml/ns.ts";

/** A form field: its `var` and its values (one element each). */
export type FormField = readonly [name: string, values: string | readonly string[]];

/** An XEP-0004 form of `type` with a hidden FORM_TYPE (XEP-0068 §3) and the given fields. */
export function dataForm(
  type: "submit" | "result",
  formType: string,
  fields: readonly FormField[],
): Element {
  const field = ([name, values]: FormField, attrs: Record<string, string> = {}) =>
    xml(
      "field",
      { var: name, ...attrs },
      (typeof values === "string" ? [values] : values).map((v) => xml("value", null, v)),
    );
  return xml(
    "x",
    { xmlns: NS.DATA_FORMS, type },
    field(["FORM_TYPE", formType], { type: "hidden" }),
    fields.map((f) => field(f)),
  );
}

/** The FORM_TYPE of a form (XEP-0068), or `undefined`. */
export function formTypeOf(form: Element): string | undefined {
  const field = elements(form, "field", NS.DATA_FORMS).find((f) => f.attrs.var === "FORM_TYPE");
  return field ? text(child(field, "value", NS.DATA_FORMS)) : undefined;
}

/** The fields of a form, FORM_TYPE left out, each with its values in order. */
export function formValues(form: Element): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const field of elements(form, "field", NS.DATA_FORMS)) {
    const name = field.attrs.var;
    if (!name || name === "FORM_TYPE") continue;
    out[name] = elements(field, "value", NS.DATA_FORMS).map((v) => text(v));
  }
  return out;
}

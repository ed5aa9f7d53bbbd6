/**
 * XEP-0004 data forms, as modules build and read them: a form or result with typed fields, and
 * the values of a submitted form.
 *
 * @module
 */
import { child, type Element, elements, text, xml } from "../xml/element.ts";
import { NS } from "../xml/ns.ts";

/** One field of a form to send (XEP-0004 §3.2). */
export interface FormField {
  /** The field's name (`var`). */
  readonly var: string;
  /** The XEP-0004 §3.3 field type, e.g. "text-single", "jid-multi", "hidden". */
  readonly type?: string;
  /** Its label. */
  readonly label?: string;
  /** Whether a submitter must fill it in. */
  readonly required?: boolean;
  /** Its values (one for single fields). */
  readonly values?: readonly string[];
  /** The options of a list field. */
  readonly options?: readonly string[];
}

/**
 * Builds a form (XEP-0004 §3.1) with a hidden FORM_TYPE field first.
 *
 * @param type "form", "result", "submit" or "cancel".
 * @param formType The FORM_TYPE (XEP-0068), or `undefined` for none.
 * @param fields The fields.
 * @param options `title` and `instructions`.
 * @returns The `<x xmlns="jabber:x:data"/>` element.
 * @example
 * ```ts
 * import { dataForm } from "./data_form.ts";
 * const form = dataForm("form", "urn:example", [{ var: "name", type: "text-single" }]);
 * if (form.children.length !== 2) throw new Error();
 * ```
 */
export function dataForm(
  type: "form" | "result" | "submit" | "cancel",
  formType: string | undefined,
  fields: readonly FormField[],
  options: { readonly title?: string; readonly instructions?: string } = {},
): Element {
  const all = formType === undefined
    ? fields
    : [{ var: "FORM_TYPE", type: "hidden", values: [formType] }, ...fields];
  return xml(
    "x",
    { xmlns: NS.DATA_FORMS, type },
    options.title === undefined ? [] : xml("title", null, options.title),
    options.instructions === undefined ? [] : xml("instructions", null, options.instructions),
    all.map((f) =>
      xml(
        "field",
        { var: f.var, type: f.type, label: f.label },
        f.required ? xml("required", null) : [],
        (f.values ?? []).map((v) => xml("value", null, v)),
        (f.options ?? []).map((o) => xml("option", null, xml("value", null, o))),
      )
    ),
  );
}

/**
 * The values of a submitted form by field name (FORM_TYPE included); every field maps to its
 * list of values.
 *
 * @param form The `<x/>` element, or `undefined`.
 * @returns The values.
 * @example
 * ```ts
 * import { dataForm, submittedValues } from "./data_form.ts";
 * const form = dataForm("submit", undefined, [{ var: "a", values: ["1", "2"] }]);
 * if (submittedValues(form).a?.length !== 2) throw new Error();
 * ```
 */
export function submittedValues(form: Element | undefined): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  if (!form) return out;
  for (const field of elements(form, "field", NS.DATA_FORMS)) {
    const name = field.attrs.var;
    if (!name) continue;
    const values = elements(field, "value", NS.DATA_FORMS).map((v) => text(v));
    // An own property whatever the name: a field named "__proto__" is a field, not a prototype.
    Object.defineProperty(out, name, { value: values, enumerable: true, writable: true });
  }
  return out;
}

/**
 * The FORM_TYPE of a form (XEP-0068 §3), or `undefined` when it has none.
 *
 * @param form The `<x/>` element.
 * @returns The value of its FORM_TYPE field.
 * @example
 * ```ts
 * import { dataForm, formTypeOf } from "./data_form.ts";
 * if (formTypeOf(dataForm("submit", "urn:example", [])) !== "urn:example") throw new Error();
 * ```
 */
export function formTypeOf(form: Element): string | undefined {
  const field = elements(form, "field", NS.DATA_FORMS).find((f) => f.attrs.var === "FORM_TYPE");
  return field ? text(child(field, "value", NS.DATA_FORMS)) : undefined;
}

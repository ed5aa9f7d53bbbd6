// Private to the PEP module: node configuration as XEP-0004 forms, defaults, validation and the
// publish-options preconditions of XEP-0060 §7.1.5.
import type { NodeConfig } from "../storage/pubsub_store.ts";
import { StanzaError } from "../base/stanza_error.ts";
import { type Element, elements, text, xml } from "../xml/element.ts";
import { NS } from "../xml/ns.ts";
import { fieldType, NODE_CONFIG_OPTIONS } from "./_node_config_fields.ts";

/** The most items a node keeps, whatever `pubsub#max_items` says ("max" means this). */
export const MAX_ITEMS = 1000;

/** Defaults of a PEP node (XEP-0163 §4: access model presence, last item kept). */
export const DEFAULT_CONFIG: NodeConfig = {
  "pubsub#access_model": "presence",
  "pubsub#persist_items": "true",
  "pubsub#max_items": "1",
  "pubsub#send_last_published_item": "on_sub_and_presence",
  "pubsub#notify_retract": "true",
  "pubsub#deliver_payloads": "true",
  "pubsub#deliver_notifications": "true",
  "pubsub#publish_model": "publishers",
};

/** An XEP-0060 error with its pubsub#errors condition. */
export function pubsubError(
  condition: ConstructorParameters<typeof StanzaError>[0],
  type: ConstructorParameters<typeof StanzaError>[1],
  app?: string,
  text?: string,
): StanzaError {
  return new StanzaError(
    condition,
    type,
    text,
    app ? xml(app, { xmlns: NS.PUBSUB_ERRORS }) : undefined,
  );
}

/** The fields of a submitted XEP-0004 form, FORM_TYPE left out; values joined by newlines. */
export function formFields(form: Element | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  if (!form) return out;
  for (const field of elements(form, "field", NS.DATA_FORMS)) {
    const name = field.attrs.var;
    if (!name || name === "FORM_TYPE") continue;
    out[name] = elements(field, "value", NS.DATA_FORMS).map((v) => text(v)).join("\n");
  }
  return out;
}

/**
 * Normalizes and checks one configuration value; unknown fields pass through unchanged.
 *
 * @throws {StanzaError} A value the node cannot take: <not-acceptable/> (XEP-0060 §8.2.5.3
 *   for configuration), which publish-options turns into a failed precondition.
 */
export function normalize(name: string, value: string): string {
  const options = NODE_CONFIG_OPTIONS[name];
  if (options && !options.includes(value)) {
    throw name === "pubsub#access_model"
      ? pubsubError("not-acceptable", "modify", "unsupported-access-model")
      : new StanzaError("not-acceptable", "modify", `Cannot use "${value}" for ${name}`);
  }
  if (fieldType(name) === "boolean") {
    if (value === "1" || value === "true") return "true";
    if (value === "0" || value === "false") return "false";
    throw new StanzaError("not-acceptable", "modify", `Cannot use "${value}" for ${name}`);
  }
  if (name === "pubsub#max_items") {
    if (value === "max") return value;
    const n = Number(value);
    if (!Number.isInteger(n) || n < 1) {
      throw new StanzaError("not-acceptable", "modify", `Cannot use "${value}" for ${name}`);
    }
    return String(Math.min(n, MAX_ITEMS));
  }
  return value;
}

/** Applies submitted fields to a configuration. */
export function configure(base: NodeConfig, fields: Record<string, string>): NodeConfig {
  const out: Record<string, string> = { ...base };
  for (const [name, value] of Object.entries(fields)) out[name] = normalize(name, value);
  return out;
}

/**
 * Checks publish-options against an existing node (XEP-0060 §7.1.5): each known option must
 * equal the node's configuration. Fields the node does not know are ignored.
 *
 * @throws {StanzaError} <conflict/> with <precondition-not-met/>.
 */
export function checkPreconditions(config: NodeConfig, options: Record<string, string>): void {
  for (const [name, raw] of Object.entries(options)) {
    const current = config[name] ?? DEFAULT_CONFIG[name];
    if (current === undefined) continue;
    let wanted: string;
    try {
      wanted = normalize(name, raw);
    } catch {
      wanted = `\u0000${raw}`;
    }
    if (wanted !== current) {
      throw pubsubError(
        "conflict",
        "cancel",
        "precondition-not-met",
        `Node has ${name} "${current}", not "${raw}"`,
      );
    }
  }
}

/** The number of items a node keeps. */
export function maxItems(config: NodeConfig): number {
  const raw = config["pubsub#max_items"] ?? DEFAULT_CONFIG["pubsub#max_items"];
  return raw === "max" ? MAX_ITEMS : Math.min(Number(raw) || 1, MAX_ITEMS);
}

/** One field of the configuration form, typed as XEP-0060 §16.4.4 registers it. */
function configField(name: string, value: string): Element {
  const type = fieldType(name);
  // XEP-0004 §3.3: the *-multi types carry one <value/> per value (stored joined by newlines).
  const values = type.endsWith("-multi") ? value.split("\n").filter((v) => v !== "") : [value];
  const options = NODE_CONFIG_OPTIONS[name] ?? [];
  return xml(
    "field",
    { var: name, type },
    values.map((v) => xml("value", null, v)),
    options.map((o) => xml("option", null, xml("value", null, o))),
  );
}

/** The node configuration as a form (XEP-0060 §8.2.1), with the registered field types. */
export function configForm(config: NodeConfig): Element {
  return xml(
    "x",
    { xmlns: NS.DATA_FORMS, type: "form" },
    xml("field", { var: "FORM_TYPE", type: "hidden" }, xml("value", null, NS.NODE_CONFIG)),
    Object.entries({ ...DEFAULT_CONFIG, ...config }).map(([name, value]) =>
      configField(name, value)
    ),
  );
}

// Private to the PEP module: node configuration as XEP-0004 forms, defaults, validation and the
// publish-options preconditions of XEP-0060 §7.1.5.
import type { NodeConfig } from "../storage/pubsub_store.ts";
import { StanzaError } from "../base/stanza_error.ts";
import { type Element, elements, text, xml } from "../xml/element.ts";
import { NS } from "../xml/ns.ts";

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

/** Access models: open, presence, and whitelist with an empty whitelist (owner only). */
const ACCESS_MODELS = new Set(["open", "presence", "whitelist"]);
const BOOLEAN_FIELDS = new Set([
  "pubsub#persist_items",
  "pubsub#notify_retract",
  "pubsub#deliver_payloads",
  "pubsub#deliver_notifications",
]);
const SEND_LAST = new Set(["never", "on_sub", "on_sub_and_presence"]);

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
  if (name === "pubsub#access_model") {
    if (!ACCESS_MODELS.has(value)) {
      throw pubsubError("not-acceptable", "modify", "unsupported-access-model");
    }
    return value;
  }
  if (BOOLEAN_FIELDS.has(name)) {
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
  if (name === "pubsub#send_last_published_item" && !SEND_LAST.has(value)) {
    throw new StanzaError("not-acceptable", "modify", `Cannot use "${value}" for ${name}`);
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

/** The node configuration as a form (XEP-0060 §8.2.1). */
export function configForm(config: NodeConfig): Element {
  const field = (name: string, value: string, type?: string) =>
    xml("field", { var: name, type }, xml("value", null, value));
  return xml(
    "x",
    { xmlns: NS.DATA_FORMS, type: "form" },
    field("FORM_TYPE", NS.NODE_CONFIG, "hidden"),
    Object.entries({ ...DEFAULT_CONFIG, ...config }).map(([name, value]) =>
      field(
        name,
        value,
        BOOLEAN_FIELDS.has(name)
          ? "boolean"
          : name === "pubsub#access_model" || name === "pubsub#send_last_published_item"
          ? "list-single"
          : "text-single",
      )
    ),
  );
}

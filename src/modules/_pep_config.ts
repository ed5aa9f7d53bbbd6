// Private to the PEP and pubsub modules: node configuration as XEP-0004 forms, defaults,
// validation and the publish-options preconditions of XEP-0060 §7.1.5. Each service has a
// NodePolicy (defaults, accepted list values, item cap); PEP's is the default.
import type { NodeConfig } from "../storage/pubsub_store.ts";
import { StanzaError } from "../base/stanza_error.ts";
import { type Element, elements, text, xml } from "../xml/element.ts";
import { NS } from "../xml/ns.ts";
import { fieldType, NODE_CONFIG_FIELDS, NODE_CONFIG_OPTIONS } from "./_node_config_fields.ts";

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

/** What a pubsub service accepts in a node configuration. */
export interface NodePolicy {
  /** The configuration of a new node. */
  readonly defaults: NodeConfig;
  /** The values accepted for list fields (others are refused). */
  readonly options: Readonly<Record<string, readonly string[]>>;
  /** The most items a node keeps ("max" means this). */
  readonly maxItems: number;
  /**
   * `true`: a `pubsub#max_items` above `maxItems`, and a field outside XEP-0060 §16.4.4, are
   * refused with `<not-acceptable/>`; `false` (PEP): a larger value is lowered to `maxItems`,
   * unknown fields are kept.
   */
  readonly strict: boolean;
}

/** PEP's policy (XEP-0163). */
export const PEP_POLICY: NodePolicy = {
  defaults: DEFAULT_CONFIG,
  options: NODE_CONFIG_OPTIONS,
  maxItems: MAX_ITEMS,
  strict: false,
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
export function normalize(name: string, value: string, policy: NodePolicy = PEP_POLICY): string {
  if (policy.strict && !(name in NODE_CONFIG_FIELDS)) {
    throw new StanzaError("not-acceptable", "modify", `Cannot configure ${name}: unknown field`);
  }
  const options = policy.options[name];
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
    // XEP-0060 §8.2.5.3: a value the service cannot honour is not acceptable (strict), or is
    // lowered to the service's maximum (PEP).
    if (policy.strict && n > policy.maxItems) {
      throw new StanzaError(
        "not-acceptable",
        "modify",
        `Cannot keep ${value} items: the most is ${policy.maxItems}`,
      );
    }
    return String(Math.min(n, policy.maxItems));
  }
  return value;
}

/** Applies submitted fields to a configuration. */
export function configure(
  base: NodeConfig,
  fields: Record<string, string>,
  policy: NodePolicy = PEP_POLICY,
): NodeConfig {
  const out: Record<string, string> = { ...base };
  for (const [name, value] of Object.entries(fields)) out[name] = normalize(name, value, policy);
  return out;
}

/**
 * Checks publish-options against an existing node (XEP-0060 §7.1.5): each known option must
 * equal the node's configuration. Fields the node does not know are ignored.
 *
 * @throws {StanzaError} <conflict/> with <precondition-not-met/>.
 */
export function checkPreconditions(
  config: NodeConfig,
  options: Record<string, string>,
  policy: NodePolicy = PEP_POLICY,
): void {
  for (const [name, raw] of Object.entries(options)) {
    const current = config[name] ?? policy.defaults[name];
    if (current === undefined) continue;
    let wanted: string;
    try {
      wanted = normalize(name, raw, { ...policy, strict: false });
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
export function maxItems(config: NodeConfig, policy: NodePolicy = PEP_POLICY): number {
  const raw = config["pubsub#max_items"] ?? policy.defaults["pubsub#max_items"];
  return raw === "max" ? policy.maxItems : Math.min(Number(raw) || 1, policy.maxItems);
}

/** One field of the configuration form, typed as XEP-0060 §16.4.4 registers it. */
function configField(name: string, value: string, policy: NodePolicy): Element {
  const type = fieldType(name);
  // XEP-0004 §3.3: the *-multi types carry one <value/> per value (stored joined by newlines).
  const values = type.endsWith("-multi") ? value.split("\n").filter((v) => v !== "") : [value];
  const options = policy.options[name] ?? [];
  return xml(
    "field",
    { var: name, type },
    values.map((v) => xml("value", null, v)),
    options.map((o) => xml("option", null, xml("value", null, o))),
  );
}

/** The node configuration as a form (XEP-0060 §8.2.1), with the registered field types. */
export function configForm(config: NodeConfig, policy: NodePolicy = PEP_POLICY): Element {
  return xml(
    "x",
    { xmlns: NS.DATA_FORMS, type: "form" },
    xml("field", { var: "FORM_TYPE", type: "hidden" }, xml("value", null, NS.NODE_CONFIG)),
    Object.entries({ ...policy.defaults, ...config }).map(([name, value]) =>
      configField(name, value, policy)
    ),
  );
}

// Private to the PEP module: the registered fields of the XEP-0060 node configuration form
// (FORM_TYPE http://jabber.org/protocol/pubsub#node_config, XEP-0060 §16.4.4) with their
// XEP-0004 field types, and the values this server accepts for the list fields it implements.

/** An XEP-0004 §3.3 field type. */
export type FieldType =
  | "boolean"
  | "jid-multi"
  | "list-multi"
  | "list-single"
  | "text-multi"
  | "text-single";

/** XEP-0060 §16.4.4: every registered node_config field and its type. */
export const NODE_CONFIG_FIELDS: Readonly<Record<string, FieldType>> = {
  "pubsub#access_model": "list-single",
  "pubsub#body_xslt": "text-single",
  "pubsub#children_association_policy": "list-single",
  "pubsub#children_association_whitelist": "jid-multi",
  "pubsub#children": "text-multi",
  "pubsub#children_max": "text-single",
  "pubsub#collection": "text-multi",
  "pubsub#contact": "jid-multi",
  "pubsub#dataform_xslt": "text-single",
  "pubsub#deliver_notifications": "boolean",
  "pubsub#deliver_payloads": "boolean",
  "pubsub#description": "text-single",
  "pubsub#item_expire": "text-single",
  "pubsub#itemreply": "list-single",
  "pubsub#language": "list-single",
  "pubsub#max_items": "text-single",
  "pubsub#max_payload_size": "text-single",
  "pubsub#node_type": "list-single",
  "pubsub#notification_type": "list-single",
  "pubsub#notify_config": "boolean",
  "pubsub#notify_delete": "boolean",
  "pubsub#notify_retract": "boolean",
  "pubsub#notify_sub": "boolean",
  "pubsub#persist_items": "boolean",
  "pubsub#presence_based_delivery": "boolean",
  "pubsub#publish_model": "list-single",
  "pubsub#purge_offline": "boolean",
  "pubsub#roster_groups_allowed": "list-multi",
  "pubsub#send_last_published_item": "list-single",
  "pubsub#subscribe": "boolean",
  "pubsub#tempsub": "boolean",
  "pubsub#title": "text-single",
  "pubsub#type": "text-single",
};

/**
 * The values accepted for the list fields this server implements, offered as the field's
 * options. Access models: open, presence, and whitelist with an empty whitelist (owner only).
 * Publish model: only the account owner publishes to a PEP node.
 */
export const NODE_CONFIG_OPTIONS: Readonly<Record<string, readonly string[]>> = {
  "pubsub#access_model": ["open", "presence", "whitelist"],
  "pubsub#publish_model": ["publishers"],
  "pubsub#send_last_published_item": ["never", "on_sub", "on_sub_and_presence"],
};

/** The type of a node_config field; a field outside the registry is text-single (XEP-0004). */
export function fieldType(name: string): FieldType {
  return NODE_CONFIG_FIELDS[name] ?? "text-single";
}

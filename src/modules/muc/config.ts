/**
 * The configuration of a room (XEP-0045 §10.2) and its `muc#roomconfig` data form (XEP-0004):
 * building the form an owner fills in, and checking and applying a submitted one.
 *
 * @module
 */
import { StanzaError } from "../../base/stanza_error.ts";
import { type Element, xml } from "../../xml/element.ts";
import { NS } from "../../xml/ns.ts";
import { submittedValues } from "../data_form.ts";

/** Who may send private messages in a room (`muc#roomconfig_allowpm`). */
export type AllowPm = "anyone" | "participants" | "moderators" | "none";

/** A room's configuration. */
export interface RoomConfig {
  /** Natural-language name (`muc#roomconfig_roomname`). */
  readonly name: string;
  /** Short description (`muc#roomconfig_roomdesc`). */
  readonly description: string;
  /** Whether the room stays when the last occupant leaves, and survives a restart. */
  readonly persistent: boolean;
  /** Whether the room is listed in the service's disco#items. */
  readonly public: boolean;
  /** Whether only members may join (§7.2.6). */
  readonly membersOnly: boolean;
  /** Whether only occupants with voice may speak (§8.4). */
  readonly moderated: boolean;
  /** The password, "" when the room has none (§7.2.5). */
  readonly password: string;
  /** Who sees occupants' real JIDs: moderators (semi-anonymous) or anyone (non-anonymous). */
  readonly whois: "moderators" | "anyone";
  /** Most occupants at once; 0 for the service's limit. */
  readonly maxUsers: number;
  /** Messages kept for history on join (`muc#maxhistoryfetch`). */
  readonly historyLength: number;
  /** Whether occupants may invite others (§7.8.2). */
  readonly allowInvites: boolean;
  /** Who may send private messages. */
  readonly allowPm: AllowPm;
  /** Whether participants may change the subject (§8.1). */
  readonly changeSubject: boolean;
  /** Whether messages go to the room's archive (XEP-0313 §5; status 170). */
  readonly archive: boolean;
}

/** The configuration of a new room. */
export const DEFAULT_CONFIG: RoomConfig = {
  name: "",
  description: "",
  persistent: false,
  public: true,
  membersOnly: false,
  moderated: false,
  password: "",
  whois: "moderators",
  maxUsers: 0,
  historyLength: 20,
  allowInvites: false,
  allowPm: "anyone",
  changeSubject: false,
  archive: true,
};

type FieldType = "boolean" | "text-single" | "text-private" | "list-single" | "hidden";

interface FieldSpec {
  readonly key: keyof RoomConfig;
  readonly type: FieldType;
  readonly label: string;
  readonly options?: readonly string[];
}

// XEP-0045 §15.5.3: the registered muc#roomconfig fields this service implements.
const FIELDS: Readonly<Record<string, FieldSpec>> = {
  "muc#roomconfig_roomname": { key: "name", type: "text-single", label: "Name" },
  "muc#roomconfig_roomdesc": { key: "description", type: "text-single", label: "Description" },
  "muc#roomconfig_persistentroom": {
    key: "persistent",
    type: "boolean",
    label: "Make room persistent",
  },
  "muc#roomconfig_publicroom": { key: "public", type: "boolean", label: "List room publicly" },
  "muc#roomconfig_membersonly": { key: "membersOnly", type: "boolean", label: "Members only" },
  "muc#roomconfig_moderatedroom": { key: "moderated", type: "boolean", label: "Moderated" },
  "muc#roomconfig_passwordprotectedroom": {
    key: "password",
    type: "boolean",
    label: "Password protected",
  },
  "muc#roomconfig_roomsecret": { key: "password", type: "text-private", label: "Password" },
  "muc#roomconfig_whois": {
    key: "whois",
    type: "list-single",
    label: "Who may discover real JIDs",
    options: ["moderators", "anyone"],
  },
  "muc#roomconfig_maxusers": { key: "maxUsers", type: "list-single", label: "Maximum occupants" },
  "muc#maxhistoryfetch": { key: "historyLength", type: "text-single", label: "History length" },
  "muc#roomconfig_allowinvites": {
    key: "allowInvites",
    type: "boolean",
    label: "Occupants may invite",
  },
  "muc#roomconfig_allowpm": {
    key: "allowPm",
    type: "list-single",
    label: "Who may send private messages",
    options: ["anyone", "participants", "moderators", "none"],
  },
  "muc#roomconfig_changesubject": {
    key: "changeSubject",
    type: "boolean",
    label: "Occupants may change the subject",
  },
  // Prosody's name for the field: archiving with XEP-0313.
  "muc#roomconfig_enablearchiving": { key: "archive", type: "boolean", label: "Archive messages" },
};

const MAX_USERS_OPTIONS = ["10", "20", "30", "50", "100", "none"];

/** The limits a submitted form is checked against. */
export interface ConfigLimits {
  /** Most occupants a room may have. */
  readonly maxUsers: number;
  /** Most history messages a room may keep. */
  readonly maxHistory: number;
}

function field(name: string, spec: FieldSpec, config: RoomConfig, limits: ConfigLimits): Element {
  let value: string;
  if (name === "muc#roomconfig_passwordprotectedroom") value = config.password ? "1" : "0";
  else if (spec.type === "boolean") value = config[spec.key] ? "1" : "0";
  else if (spec.key === "maxUsers") value = config.maxUsers ? String(config.maxUsers) : "none";
  else value = String(config[spec.key]);
  const options = spec.key === "maxUsers"
    ? MAX_USERS_OPTIONS.filter((o) => o === "none" || Number(o) <= limits.maxUsers)
    : spec.options;
  return xml(
    "field",
    { var: name, type: spec.type, label: spec.label },
    xml("value", null, value),
    options?.map((o) => xml("option", { label: o }, xml("value", null, o))),
  );
}

/**
 * The configuration form an owner gets (§10.2).
 *
 * @param config The room's configuration.
 * @param limits The service's limits (offered maximum occupants).
 * @returns The `<x xmlns='jabber:x:data' type='form'/>` element.
 */
export function configForm(config: RoomConfig, limits: ConfigLimits): Element {
  return xml(
    "x",
    { xmlns: NS.DATA_FORMS, type: "form" },
    xml("title", null, "Room configuration"),
    xml(
      "field",
      { var: "FORM_TYPE", type: "hidden" },
      xml("value", null, NS.MUC_ROOMCONFIG),
    ),
    Object.entries(FIELDS).map(([name, spec]) => field(name, spec, config, limits)),
  );
}

function bad(name: string, why: string): StanzaError {
  return new StanzaError("bad-request", "modify", `Cannot apply field "${name}": ${why}`);
}

function parseBoolean(name: string, values: string[]): boolean {
  const [v] = values;
  if (values.length !== 1 || !["0", "1", "true", "false"].includes(v)) {
    throw bad(name, "not a boolean");
  }
  return v === "1" || v === "true";
}

function parseCount(name: string, values: string[], max: number, none?: string): number {
  const [v] = values;
  if (values.length !== 1) throw bad(name, "one value expected");
  if (none !== undefined && v === none) return 0;
  if (!/^\d{1,9}$/.test(v) || Number(v) > max) throw bad(name, `not a number up to ${max}`);
  return Number(v);
}

function parseOne(name: string, spec: FieldSpec, values: string[], limits: ConfigLimits): unknown {
  if (spec.type === "boolean") return parseBoolean(name, values);
  if (spec.key === "maxUsers") return parseCount(name, values, limits.maxUsers, "none");
  if (spec.key === "historyLength") return parseCount(name, values, limits.maxHistory);
  if (values.length > 1) throw bad(name, "one value expected");
  const v = values[0] ?? "";
  if (spec.options && !spec.options.includes(v)) throw bad(name, `"${v}" is not an option`);
  return v;
}

/**
 * Applies a submitted configuration form (§10.2). Nothing changes when a field is unknown or
 * holds a value of the wrong type: the whole form is refused.
 *
 * @param config The room's configuration.
 * @param form The submitted `<x type='submit'/>` form.
 * @param limits The service's limits.
 * @returns The new configuration.
 * @throws {StanzaError} `bad-request` for a wrong FORM_TYPE, an unknown field or a bad value.
 */
export function applyForm(config: RoomConfig, form: Element, limits: ConfigLimits): RoomConfig {
  const { FORM_TYPE: formType, ...values } = submittedValues(form);
  if (formType && formType[0] !== NS.MUC_ROOMCONFIG) throw bad("FORM_TYPE", "wrong form type");
  const next: Record<string, unknown> = { ...config };
  let protect: boolean | undefined;
  for (const [name, v] of Object.entries(values)) {
    const spec = FIELDS[name];
    if (!spec) throw bad(name, "unknown field");
    const value = parseOne(name, spec, v, limits);
    if (name === "muc#roomconfig_passwordprotectedroom") protect = value as boolean;
    else next[spec.key] = value;
  }
  // §10.2: a room is password-protected only with both the flag and a secret.
  if (protect === false) next.password = "";
  if (protect === true && !next.password) {
    throw bad("muc#roomconfig_roomsecret", "a password-protected room needs a password");
  }
  return next as unknown as RoomConfig;
}

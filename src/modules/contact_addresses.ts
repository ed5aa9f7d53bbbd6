/**
 * XEP-0157 contact addresses for XMPP services: the server's disco#info carries a
 * `http://jabber.org/network/serverinfo` form (XEP-0128) with the addresses from the
 * configuration, e.g. where to report abuse.
 *
 * @module
 */
import type { XmppModule } from "../module/module_api.ts";
import { NS } from "../xml/ns.ts";
import { dataForm, type FormField } from "./data_form.ts";

/**
 * The addresses, by kind (XEP-0157 §2: each a list of URIs such as `mailto:` or `xmpp:`); a
 * kind `abuse` becomes the field `abuse-addresses`.
 */
export interface ContactInfo {
  /** Where to report abuse. */
  readonly abuse?: readonly string[];
  /** The administrators. */
  readonly admin?: readonly string[];
  /** Where to send feedback. */
  readonly feedback?: readonly string[];
  /** Sales. */
  readonly sales?: readonly string[];
  /** Where to report security issues. */
  readonly security?: readonly string[];
  /** Where the service's status is published. */
  readonly status?: readonly string[];
  /** Support. */
  readonly support?: readonly string[];
}

/** The kinds XEP-0157 §5 registers, in the order of its registry. */
const KINDS = ["abuse", "admin", "feedback", "sales", "security", "status", "support"] as const;

function fields(info: ContactInfo): FormField[] {
  if (info === null || typeof info !== "object" || Array.isArray(info)) {
    throw new TypeError("Cannot use contactInfo: expected an object of address lists");
  }
  for (const key of Object.keys(info)) {
    if (!(KINDS as readonly string[]).includes(key)) {
      throw new TypeError(`Cannot use contactInfo.${key}: not one of ${KINDS.join(", ")}`);
    }
  }
  const out: FormField[] = [];
  for (const kind of KINDS) {
    const list = info[kind];
    if (list === undefined) continue;
    if (!Array.isArray(list) || list.some((a) => typeof a !== "string" || a === "")) {
      throw new TypeError(`Cannot use contactInfo.${kind}: expected a list of URI strings`);
    }
    out.push({ var: `${kind}-addresses`, values: list });
  }
  return out;
}

/**
 * The contact address module (XEP-0157).
 *
 * @param info The addresses by kind; an empty object adds no form.
 * @returns The module.
 * @throws {TypeError} An unknown kind, or a list that is not of non-empty strings.
 * @example
 * ```ts
 * import { contactAddresses } from "./contact_addresses.ts";
 * import { testServer } from "../testing/mod.ts";
 * import { xml } from "../xml/element.ts";
 * const t = await testServer({ users: ["a@localhost"] });
 * // The built-in instance is configured from `contactInfo`; this one replaces it.
 * await t.server.unload("contact-addresses");
 * await t.server.use(contactAddresses({ abuse: ["mailto:abuse@localhost"] }));
 * const a = await t.connect("a@localhost/r");
 * const info = await a.iq(xml("iq", { type: "get", to: "localhost" },
 *   xml("query", { xmlns: "http://jabber.org/protocol/disco#info" })));
 * if (!JSON.stringify(info).includes("mailto:abuse@localhost")) throw new Error();
 * await t.close();
 * ```
 */
export function contactAddresses(info: ContactInfo): XmppModule {
  const list = fields(info);
  return {
    name: "contact-addresses",
    specs: ["XEP-0157"],
    setup(api) {
      if (list.length > 0) api.discoForm(dataForm("result", NS.SERVER_INFO, list));
    },
  };
}

/**
 * XEP-0054 vcard-temp: each account stores one vCard; anyone may read it, only the owner may
 * change it.
 *
 * @module
 */
import type { XmppModule } from "../module/module_api.ts";
import { StanzaError } from "../base/stanza_error.ts";
import { xml } from "../xml/element.ts";
import { NS } from "../xml/ns.ts";
import { ownAccount, targetAccount } from "./_account_target.ts";
import { loadXml, storedXmlBytes, storeXml } from "../storage/stored_xml.ts";

/** Options of {@linkcode vcard}. */
export interface VcardOptions {
  /** Largest vCard stored, in bytes of serialized XML; default 65536. */
  readonly maxBytes?: number;
}

/**
 * The vcard-temp module.
 *
 * @param options The size limit.
 * @returns The module.
 * @example
 * ```ts
 * import { vcard } from "./vcard.ts";
 * import { testServer } from "../testing/mod.ts";
 * import { child, text, xml } from "../xml/element.ts";
 * const t = await testServer({ builtinModules: false, modules: [vcard()], users: ["a@localhost"] });
 * const a = await t.connect("a@localhost/r");
 * await a.iq(xml("iq", { type: "set" }, xml("vCard", { xmlns: "vcard-temp" }, xml("FN", null, "Alice"))));
 * const card = await a.iq(xml("iq", { type: "get" }, xml("vCard", { xmlns: "vcard-temp" })));
 * if (text(child(child(card, "vCard")!, "FN")) !== "Alice") throw new Error();
 * await t.close();
 * ```
 */
export function vcard(options: VcardOptions = {}): XmppModule {
  const maxBytes = options.maxBytes ?? 65_536;
  return {
    name: "vcard",
    specs: ["XEP-0054"],
    setup(api) {
      api.feature(NS.VCARD);
      api.iq("get", NS.VCARD, "vCard", async (ev) => {
        const stored = await api.storage.vcard.get(targetAccount(ev));
        // XEP-0054 §3.1: no vCard yet is an empty one.
        return (stored !== undefined ? loadXml(stored) : undefined) ??
          xml("vCard", { xmlns: NS.VCARD });
      }, { target: "account" });
      api.iq("set", NS.VCARD, "vCard", async (ev) => {
        // XEP-0054 §3.2: a user may publish only their own vCard.
        const owner = ownAccount(ev, "auth");
        const serialized = storeXml(ev.payload);
        if (storedXmlBytes(serialized) > maxBytes) {
          // RFC 6120 §8.3.3.9 not-acceptable: the stored vCard is left as it was.
          throw new StanzaError(
            "not-acceptable",
            "modify",
            `vCard is larger than ${maxBytes} bytes`,
          );
        }
        await api.storage.vcard.set(owner, serialized);
      }, { target: "account" });
    },
  };
}

/**
 * XEP-0049 Private XML Storage: an account keeps XML fragments only it can read.
 *
 * @module
 */
import type { XmppModule } from "../module/module_api.ts";
import { StanzaError } from "../base/stanza_error.ts";
import { elements, xml } from "../xml/element.ts";
import { NS } from "../xml/ns.ts";
import { legacyBookmarks, mirrorBookmarks } from "./_bookmarks_compat.ts";
import { loadXml, storedXmlBytes, storeXml } from "../storage/stored_xml.ts";
import { ownAccount } from "./_account_target.ts";

// XEP-0049 §3: these namespaces cannot be stored.
const RESERVED: ReadonlySet<string> = new Set([NS.CLIENT, NS.SERVER, NS.PRIVATE]);

/** Options of {@linkcode privateStorage}. */
export interface PrivateStorageOptions {
  /** Largest fragment stored, in bytes of serialized XML; default 65536. */
  readonly maxBytes?: number;
}

/**
 * The private XML storage module.
 *
 * @param options The size limit.
 * @returns The module.
 * @example
 * ```ts
 * import { privateStorage } from "./private_storage.ts";
 * import { testServer } from "../testing/mod.ts";
 * import { child, xml } from "../xml/element.ts";
 * const t = await testServer({ builtinModules: false, modules: [privateStorage()], users: ["a@localhost"] });
 * const a = await t.connect("a@localhost/r");
 * await a.iq(xml("iq", { type: "set" }, xml("query", { xmlns: "jabber:iq:private" }, xml("prefs", { xmlns: "urn:example", theme: "dark" }))));
 * const got = await a.iq(xml("iq", { type: "get" }, xml("query", { xmlns: "jabber:iq:private" }, xml("prefs", { xmlns: "urn:example" }))));
 * if (child(child(got, "query")!, "prefs")?.attrs.theme !== "dark") throw new Error();
 * await t.close();
 * ```
 */
export function privateStorage(options: PrivateStorageOptions = {}): XmppModule {
  const maxBytes = options.maxBytes ?? 65_536;
  return {
    name: "private",
    specs: ["XEP-0049"],
    setup(api) {
      api.feature(NS.PRIVATE);
      api.feature(`${NS.BOOKMARKS}#compat`, { target: "account" });
      for (const type of ["get", "set"] as const) {
        api.iq(type, NS.PRIVATE, "query", async (ev) => {
          // XEP-0049 §3: only the account itself may touch its private storage.
          const owner = ownAccount(ev, "cancel");
          const fragments = elements(ev.payload);
          // XEP-0049 §3: exactly one child, in a namespace of its own.
          if (fragments.length !== 1 || RESERVED.has(fragments[0].xmlns) || !fragments[0].xmlns) {
            throw new StanzaError("not-acceptable", "modify");
          }
          const [fragment] = fragments;
          const bookmarks = fragment.name === "storage" && fragment.xmlns === NS.BOOKMARKS_LEGACY;
          if (type === "get") {
            // XEP-0402 §5.3: legacy bookmarks are read from the PEP node when it exists.
            const fromPep = bookmarks
              ? await legacyBookmarks(api.storage.pubsub, owner)
              : undefined;
            if (fromPep) return xml("query", { xmlns: NS.PRIVATE }, fromPep);
            const stored = await api.storage.privateXml.get(owner, fragment.name, fragment.xmlns);
            return xml(
              "query",
              { xmlns: NS.PRIVATE },
              (stored !== undefined ? loadXml(stored) : undefined) ??
                xml(fragment.name, { xmlns: fragment.xmlns }),
            );
          }
          const serialized = storeXml(fragment);
          if (storedXmlBytes(serialized) > maxBytes) {
            throw new StanzaError(
              "not-acceptable",
              "modify",
              `Fragment is larger than ${maxBytes} bytes`,
            );
          }
          await api.storage.privateXml.set(owner, fragment.name, fragment.xmlns, serialized);
          if (bookmarks) {
            await mirrorBookmarks(api.storage.pubsub, owner, fragment, ev.from.full, api.now());
          }
        }, { target: "account" });
      }
    },
  };
}

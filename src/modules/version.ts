/**
 * XEP-0092 Software Version of the server. The operating system is not disclosed.
 *
 * @module
 */
import type { XmppModule } from "../module/module_api.ts";
import { xml } from "../xml/element.ts";
import { NS } from "../xml/ns.ts";

/**
 * The software version module.
 *
 * @returns The module.
 * @example
 * ```ts
 * import { version } from "./version.ts";
 * if (version().name !== "version") throw new Error();
 * ```
 */
export function version(): XmppModule {
  return {
    name: "version",
    specs: ["XEP-0092"],
    setup(api) {
      api.feature(NS.VERSION);
      api.iq("get", NS.VERSION, "query", () =>
        xml(
          "query",
          { xmlns: NS.VERSION },
          xml("name", null, api.software.name),
          xml("version", null, api.software.version),
        ));
    },
  };
}

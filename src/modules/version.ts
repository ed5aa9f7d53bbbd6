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
 * import { testServer } from "../testing/mod.ts";
 * import { child, text, xml } from "../xml/element.ts";
 * const t = await testServer({ builtinModules: false, modules: [version()], users: ["a@localhost"] });
 * const a = await t.connect("a@localhost/r");
 * const v = await a.iq(xml("iq", { type: "get", to: "localhost" }, xml("query", { xmlns: "jabber:iq:version" })));
 * if (text(child(child(v, "query")!, "name")) !== "Parley") throw new Error();
 * await t.close();
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

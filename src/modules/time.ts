/**
 * XEP-0202 Entity Time of the server, always in UTC.
 *
 * @module
 */
import type { XmppModule } from "../module/module_api.ts";
import { xml } from "../xml/element.ts";
import { NS } from "../xml/ns.ts";

/**
 * Formats a date as an XEP-0082 DateTime in UTC, without milliseconds.
 *
 * @param date The date.
 * @returns E.g. "2026-11-24T02:03:45Z".
 * @example
 * ```ts
 * import { xep82DateTime } from "./time.ts";
 * if (xep82DateTime(new Date(0)) !== "1970-01-01T00:00:00Z") throw new Error();
 * ```
 */
export function xep82DateTime(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, "Z");
}

/**
 * The entity time module.
 *
 * @returns The module.
 * @example
 * ```ts
 * import { time } from "./time.ts";
 * import { testServer } from "../testing/mod.ts";
 * import { child, xml } from "../xml/element.ts";
 * const t = await testServer({ builtinModules: false, modules: [time()], users: ["a@localhost"] });
 * const a = await t.connect("a@localhost/r");
 * const now = await a.iq(xml("iq", { type: "get", to: "localhost" }, xml("time", { xmlns: "urn:xmpp:time" })));
 * if (!child(child(now, "time")!, "utc")) throw new Error();
 * await t.close();
 * ```
 */
export function time(): XmppModule {
  return {
    name: "time",
    specs: ["XEP-0202"],
    setup(api) {
      api.feature(NS.TIME);
      api.iq("get", NS.TIME, "time", () =>
        xml(
          "time",
          { xmlns: NS.TIME },
          xml("tzo", null, "+00:00"),
          xml("utc", null, xep82DateTime(api.now())),
        ));
    },
  };
}

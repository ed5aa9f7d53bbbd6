/**
 * XEP-0199 XMPP Ping: the server answers pings addressed to it.
 *
 * @module
 */
import type { XmppModule } from "../module/module_api.ts";
import { NS } from "../xml/ns.ts";

/**
 * The ping module.
 *
 * @returns The module.
 * @example
 * ```ts
 * import { ping } from "./ping.ts";
 * import { testServer } from "../testing/mod.ts";
 * import { xml } from "../xml/element.ts";
 * const t = await testServer({ builtinModules: false, modules: [ping()], users: ["a@localhost"] });
 * const a = await t.connect("a@localhost/r");
 * const pong = await a.iq(xml("iq", { type: "get", to: "localhost" }, xml("ping", { xmlns: "urn:xmpp:ping" })));
 * if (pong.attrs.type !== "result") throw new Error();
 * await t.close();
 * ```
 */
export function ping(): XmppModule {
  return {
    name: "ping",
    specs: ["XEP-0199"],
    setup(api) {
      api.feature(NS.PING);
      // XEP-0199 §4.1: an empty result.
      api.iq("get", NS.PING, "ping", () => undefined);
    },
  };
}

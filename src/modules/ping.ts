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
 * if (ping().specs?.[0] !== "XEP-0199") throw new Error();
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

/**
 * A third-party module, written only against Parley's public API: XEP-0012 Last Activity
 * queried on the server, which answers with its uptime in seconds (XEP-0012 §5).
 *
 * @module
 */
import { NS as CORE_NS, StanzaError, xml, type XmppModule } from "../mod.ts";

/** The namespace of XEP-0012. */
export const NS_LAST = "jabber:iq:last";

/**
 * Creates the uptime module.
 *
 * @param options `now` lets tests set the clock.
 * @returns The module, for `createServer({ modules: [...] })` or `server.use()`.
 * @example
 * ```ts
 * import { uptime } from "./uptime_module.ts";
 * if (uptime().name !== "uptime") throw new Error();
 * ```
 */
export function uptime(options: { now?: () => number } = {}): XmppModule {
  const now = options.now ?? Date.now;
  return {
    name: "uptime",
    specs: ["XEP-0012"],
    setup(api) {
      const started = now();
      api.feature(NS_LAST);
      api.iq("get", NS_LAST, "query", ({ to }) => {
        // XEP-0012 §5: only the server's own JID reports uptime here.
        if (to.local) throw new StanzaError("service-unavailable", "cancel");
        const seconds = Math.floor((now() - started) / 1000);
        return xml("query", { xmlns: NS_LAST, seconds });
      });
      api.logger.debug("Uptime module loaded", { ns: NS_LAST, core: CORE_NS.CLIENT });
    },
  };
}

/**
 * The legacy session establishment of RFC 3921 §3, kept as a no-op for old clients
 * (RFC 6121 Appendix E; the stream feature is offered as `<optional/>`).
 *
 * @module
 */
import type { XmppModule } from "../module/module_api.ts";
import { NS } from "../xml/ns.ts";

/**
 * The legacy session module: `<iq type='set'><session/></iq>` gets an empty result.
 *
 * @returns The module.
 * @example
 * ```ts
 * import { legacySession } from "./legacy_session.ts";
 * import { testServer } from "../testing/mod.ts";
 * import { xml } from "../xml/element.ts";
 * const t = await testServer({ builtinModules: false, modules: [legacySession()], users: ["a@localhost"] });
 * const a = await t.connect("a@localhost/r", { presence: false });
 * const r = await a.iq(xml("iq", { type: "set" }, xml("session", { xmlns: "urn:ietf:params:xml:ns:xmpp-session" })));
 * if (r.attrs.type !== "result") throw new Error();
 * await t.close();
 * ```
 */
export function legacySession(): XmppModule {
  return {
    name: "legacy-session",
    specs: ["RFC 3921"],
    setup(api) {
      api.iq("set", NS.SESSION, "session", () => undefined);
    },
  };
}

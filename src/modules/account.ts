/**
 * XEP-0077 for logged-in users: registration details, password change (§3.3) and account
 * removal (§3.2). Works whether or not in-band registration of new accounts is enabled.
 *
 * @module
 */
import type { XmppModule } from "../module/module_api.ts";
import { StanzaError } from "../base/stanza_error.ts";
import { deriveCredentials } from "../sasl/credentials.ts";
import { StreamError } from "../base/stream_error.ts";
import { child, text, xml } from "../xml/element.ts";
import { NS } from "../xml/ns.ts";

/** Options of {@linkcode account}. */
export interface AccountOptions {
  /** PBKDF2 iterations for new SCRAM credentials; default 4096. */
  readonly scramIterations?: number;
}

/**
 * The account module (jabber:iq:register for authenticated users).
 *
 * @param options SCRAM iterations for changed passwords.
 * @returns The module.
 * @example
 * ```ts
 * import { account } from "./account.ts";
 * import { testServer } from "../testing/mod.ts";
 * import { xml } from "../xml/element.ts";
 * const t = await testServer({ builtinModules: false, modules: [account()], users: ["a@localhost"] });
 * const a = await t.connect("a@localhost/r");
 * // XEP-0077 §3.3: a logged-in user changes the password.
 * await a.iq(xml("iq", { type: "set", to: "localhost" }, xml("query", { xmlns: "jabber:iq:register" },
 *   xml("username", null, "a"), xml("password", null, "new-password"))));
 * await t.connect("a@localhost/again", { password: "new-password" });
 * await t.close();
 * ```
 */
export function account(options: AccountOptions = {}): XmppModule {
  const iterations = options.scramIterations ?? 4096;
  return {
    name: "account",
    specs: ["XEP-0077"],
    setup(api) {
      api.feature(NS.REGISTER);
      api.iq("get", NS.REGISTER, "query", (ev) => {
        if (!ev.from.local) throw new StanzaError("service-unavailable", "cancel");
        // XEP-0077 §3.1: an entity that is already registered gets <registered/>.
        return xml(
          "query",
          { xmlns: NS.REGISTER },
          xml("registered", null),
          xml("username", null, ev.from.local),
          xml("password", null),
        );
      });
      api.iq("set", NS.REGISTER, "query", async (ev) => {
        const { from, payload, origin } = ev;
        if (!from.local || !origin) throw new StanzaError("service-unavailable", "cancel");
        if (child(payload, "remove", NS.REGISTER)) {
          // XEP-0077 §3.2: remove the account and everything stored for it, answer, then end
          // its sessions (as Prosody does, with <not-authorized/>).
          await api.removeAccount(from.bare);
          api.logger.info("Account removed by its user", { jid: from.bare });
          ev.afterReply(async () => {
            for (const ref of await api.router.sessions(from.bare)) {
              void api.router.local(ref)?.close(
                new StreamError("not-authorized", "Account removed"),
              );
            }
          });
          return;
        }
        const username = child(payload, "username", NS.REGISTER);
        const password = text(child(payload, "password", NS.REGISTER));
        // XEP-0077 §3.3: the username, when given, must be the user's own.
        if (username && text(username).toLowerCase() !== from.local) {
          throw new StanzaError("not-allowed", "cancel", "Cannot change another user's password");
        }
        if (password === "") {
          throw new StanzaError("not-acceptable", "modify", "A new password is required");
        }
        const credentials = await deriveCredentials(password, { iterations });
        if (!await api.storage.accounts.setCredentials(from.bare, credentials)) {
          throw new StanzaError("item-not-found", "cancel");
        }
      });
    },
  };
}

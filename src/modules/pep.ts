/**
 * XEP-0163 Personal Eventing Protocol with the XEP-0060 subset clients use: publish (with
 * auto-create and publish-options), item retrieval, retract, node create, configure and delete;
 * access models open, presence and whitelist (owner only); notifications filtered by XEP-0115
 * `+notify` capabilities, and the last item sent when a contact comes online.
 *
 * @module
 */
import { HANDLED } from "../hooks/hook_registry.ts";
import type { XmppModule } from "../module/module_api.ts";
import { StanzaError } from "../base/stanza_error.ts";
import { elements } from "../xml/element.ts";
import { NS } from "../xml/ns.ts";
import { pubsubError } from "./_pep_config.ts";
import { PepService } from "./_pep_service.ts";

/** Options of {@linkcode pep}. */
export interface PepOptions {
  /** Largest item payload, in bytes of serialized XML; default 65536. */
  readonly maxItemBytes?: number;
}

/** The XEP-0060 features this module implements, as advertised on accounts. */
export const PEP_FEATURES: readonly string[] = [
  "access-open",
  "access-presence",
  "access-whitelist",
  "auto-create",
  "auto-subscribe",
  "config-node",
  "create-nodes",
  "delete-nodes",
  "filtered-notifications",
  "item-ids",
  "last-published",
  "persistent-items",
  "publish",
  "publish-options",
  "retract-items",
  "retrieve-items",
].map((f) => `${NS.PUBSUB}#${f}`);

/**
 * The PEP module.
 *
 * @param options The item size limit.
 * @returns The module.
 * @example
 * ```ts
 * import { testServer } from "../testing/mod.ts";
 * import { child, xml } from "../xml/element.ts";
 * // Loaded by default (XEP-0163): publish to a node of one's own account and read it back.
 * const t = await testServer({ users: ["a@localhost"] });
 * const a = await t.connect("a@localhost/r");
 * await a.iq(xml("iq", { type: "set" }, xml("pubsub", { xmlns: "http://jabber.org/protocol/pubsub" },
 *   xml("publish", { node: "urn:example:mood" }, xml("item", { id: "current" }, xml("mood", { xmlns: "urn:example:mood" }))))));
 * const items = await a.iq(xml("iq", { type: "get" }, xml("pubsub", { xmlns: "http://jabber.org/protocol/pubsub" },
 *   xml("items", { node: "urn:example:mood" }))));
 * if (!child(child(child(items, "pubsub")!, "items")!, "item")) throw new Error();
 * await t.close();
 * ```
 */
export function pep(options: PepOptions = {}): XmppModule {
  const maxItemBytes = options.maxItemBytes ?? 65_536;
  return {
    name: "pep",
    specs: ["XEP-0163", "XEP-0060", "XEP-0115"],
    setup(api) {
      const pep = new PepService(api, maxItemBytes);
      api.identity({ category: "pubsub", type: "pep" }, { target: "account" });
      for (const f of [NS.PUBSUB, ...PEP_FEATURES]) api.feature(f, { target: "account" });

      api.iq("set", NS.PUBSUB, "pubsub", async (ev) => {
        const [request] = elements(ev.payload).filter((e) => e.name !== "publish-options");
        switch (request?.name) {
          case "publish":
            return await pep.publish(ev, request);
          case "retract":
            return await pep.retract(ev, request);
          case "create":
            return await pep.create(ev, request);
          case "subscribe":
          case "unsubscribe":
            // XEP-0163 §4.3: PEP subscriptions are implicit, by presence and +notify.
            throw pubsubError("feature-not-implemented", "cancel", undefined, "Use +notify");
          default:
            throw new StanzaError("bad-request", "modify");
        }
      }, { target: "account" });
      api.iq("get", NS.PUBSUB, "pubsub", (ev) => pep.items(ev), { target: "account" });
      api.iq("get", NS.PUBSUB_OWNER, "pubsub", (ev) => pep.configuration(ev), {
        target: "account",
      });
      api.iq("set", NS.PUBSUB_OWNER, "pubsub", (ev) => pep.manage(ev), { target: "account" });

      // XEP-0115 caps of local resources: never stops the chain (the presence module runs on).
      api.hook("presence/server", async (ev) => {
        await pep.caps.presence(ev);
      }, { priority: 50 });
      // XEP-0115 caps of remote resources, from their presence to local accounts (s2s).
      for (const hook of ["presence/bare", "presence/full"] as const) {
        api.hook(hook, async (ev) => {
          await pep.caps.remotePresence(ev);
        }, { priority: 50 });
      }
      api.hook("iq/account-response", async (ev) => {
        if (await pep.caps.response(ev)) return HANDLED;
      });
      api.hook("session/closed", ({ session }) => pep.caps.forget(session.jid));
      // XEP-0030 disco#items on an account lists the PEP nodes the requester may see.
      api.accountItems((owner, requester) => pep.visibleNodes(owner, requester));
    },
  };
}

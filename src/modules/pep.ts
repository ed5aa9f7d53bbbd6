/**
 * XEP-0163 Personal Eventing Protocol with the XEP-0060 subset clients use: publish (with
 * auto-create and publish-options), item retrieval, retract, node create, configure and delete;
 * access models open, presence and whitelist (owner only); notifications filtered by XEP-0115
 * `+notify` capabilities, and the last item sent when a contact comes online.
 *
 * @module
 */
import { HANDLED } from "../hooks/hook_registry.ts";
import type { DiscoItem, XmppModule } from "../module/module_api.ts";
import type { IqEvent } from "../hooks/iq_registry.ts";
import type { BareJid } from "../jid/jid.ts";
import { parseJid } from "../jid/jid.ts";
import { StanzaError } from "../base/stanza_error.ts";
import type { NodeConfig } from "../storage/pubsub_store.ts";
import { child, type Element, elements, xml } from "../xml/element.ts";
import { NS } from "../xml/ns.ts";
import { hasFrom, hasTo } from "./subscription_states.ts";
import { CapsTracker } from "./_pep_caps.ts";
import {
  checkPreconditions,
  configForm,
  configure,
  DEFAULT_CONFIG,
  formFields,
  maxItems,
  pubsubError,
} from "./_pep_config.ts";
import { itemElement, nodeOf, publishedItem, requestedItems } from "./_pubsub_items.ts";
import { ownAccount, targetAccount } from "./_account_target.ts";

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

/** The node's access model (XEP-0060 §4.5). */
function accessModel(config: NodeConfig): string {
  return config["pubsub#access_model"] ?? DEFAULT_CONFIG["pubsub#access_model"];
}

/** The domain of a prepared bare JID (a localpart never holds "@", RFC 7622 §3.3.1). */
function domainOf(jid: BareJid): string {
  return jid.slice(jid.indexOf("@") + 1);
}

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
      const store_ = api.storage.pubsub;

      async function subscribed(owner: BareJid, contact: BareJid): Promise<boolean> {
        const item = await api.storage.roster.getItem(owner, contact);
        return hasFrom(item?.subscription);
      }

      /** XEP-0060 §6.5.9: whether `who` may see the node's items. */
      async function canAccess(owner: BareJid, config: NodeConfig, who: BareJid) {
        if (who === owner) return true;
        const model = accessModel(config);
        if (model === "open") return true;
        if (model === "presence") return await subscribed(owner, who);
        return false;
      }

      function accessError(config: NodeConfig): StanzaError {
        return config["pubsub#access_model"] === "presence"
          ? pubsubError("not-authorized", "auth", "presence-subscription-required")
          : pubsubError("not-allowed", "cancel", "closed-node");
      }

      /** Full JIDs that get notifications of a node: +notify and allowed (XEP-0163 §4.3.1). */
      async function recipients(owner: BareJid, node: string, config: NodeConfig) {
        const out: string[] = [];
        const want = `${node}+notify`;
        const candidates = [owner];
        const model = accessModel(config);
        // open and presence: the owner and the contacts subscribed to the owner's presence
        // (canAccess() holds for each of them); whitelist: the owner only.
        if (model === "open" || model === "presence") {
          for (const item of (await api.storage.roster.get(owner)).items) {
            if (hasFrom(item.subscription)) {
              candidates.push(item.jid);
            }
          }
        }
        for (const bare of candidates) {
          if (!api.router.isLocal(domainOf(bare))) {
            // A remote contact: its resources whose presence (and caps) reached the owner.
            for (const full of caps.remoteResources(bare, owner)) {
              if (caps.features(full)?.has(want)) out.push(full);
            }
            continue;
          }
          for (const s of await api.router.sessions(bare)) {
            if (s.presence && caps.features(s.jid)?.has(want)) out.push(s.jid);
          }
        }
        return out;
      }

      async function notify(owner: BareJid, to: readonly string[], event: Element) {
        for (const jid of to) {
          await api.router.route(xml(
            "message",
            { xmlns: NS.CLIENT, type: "headline", from: owner, to: jid, id: api.randomId() },
            xml("event", { xmlns: NS.PUBSUB_EVENT }, event),
          ));
        }
      }

      /**
       * The PEP services whose last items a resource of `user` gets: its own and those of the
       * local accounts it is subscribed to; for a remote resource, those of `remoteOwners` (the
       * local accounts its presence reached) it is subscribed to.
       */
      async function followed(user: BareJid, remoteOwners?: readonly BareJid[]) {
        const owners: BareJid[] = [];
        if (remoteOwners) {
          for (const owner of remoteOwners) {
            if (await subscribed(owner, user)) owners.push(owner);
          }
          return owners;
        }
        owners.push(user);
        for (const item of (await api.storage.roster.get(user)).items) {
          if (hasTo(item.subscription) && api.router.isLocal(domainOf(item.jid))) {
            owners.push(item.jid);
          }
        }
        return owners;
      }

      /** XEP-0163 §4.3.2 (and §6.2): the last item of each node a new resource wants. */
      async function sendLastItems(full: string, remoteOwners?: readonly BareJid[]) {
        const features = caps.features(full);
        if (!features) return;
        const user = parseJid(full).bare;
        const owners = await followed(user, remoteOwners);
        for (const owner of owners) {
          // Whether the owner's roster gives `user` a presence subscription: read once, if needed.
          let allowed: boolean | undefined;
          for (const node of await store_.listNodes(owner)) {
            if (!features.has(`${node}+notify`)) continue;
            const config = await store_.getNode(owner, node);
            if (!config || config["pubsub#send_last_published_item"] === "never") continue;
            const model = accessModel(config);
            if (owner !== user && model !== "open") {
              if (model !== "presence") continue;
              allowed ??= await subscribed(owner, user);
              if (!allowed) continue;
            }
            const [last] = await store_.getItems(owner, node, { max: 1 });
            if (last) await notify(owner, [full], xml("items", { node }, itemElement(last)));
          }
        }
      }

      const caps = new CapsTracker(api, sendLastItems);

      function owned(ev: IqEvent): BareJid {
        // XEP-0060 §7.1.3.1: only the owner publishes to, or manages, a PEP service.
        return ownAccount(ev, "auth");
      }

      async function publish(ev: IqEvent, request: Element): Promise<Element> {
        const owner = owned(ev);
        const node = nodeOf(request);
        // XEP-0060 §7.1.3.4-6: one item, one payload, not too big; nothing stored otherwise.
        const item = publishedItem(request, {
          publisher: ev.from.full,
          stamp: api.now(),
          newId: () => api.randomId(),
          maxItemBytes,
        });
        const options = formFields(
          child(child(ev.payload, "publish-options", NS.PUBSUB) ?? request, "x", NS.DATA_FORMS),
        );
        let config = await store_.getNode(owner, node);
        if (config) {
          checkPreconditions(config, options);
        } else {
          // XEP-0163 §3 auto-create, configured by publish-options (XEP-0060 §7.1.5).
          try {
            config = configure(DEFAULT_CONFIG, options);
          } catch {
            throw pubsubError("conflict", "cancel", "precondition-not-met");
          }
          await store_.setNode(owner, node, config);
        }
        await store_.publish(owner, node, item, maxItems(config));
        await notify(
          owner,
          await recipients(owner, node, config),
          xml("items", { node }, itemElement(item)),
        );
        return xml(
          "pubsub",
          { xmlns: NS.PUBSUB },
          xml("publish", { node }, xml("item", { id: item.id })),
        );
      }

      async function retract(ev: IqEvent, request: Element): Promise<void> {
        const owner = owned(ev);
        const node = nodeOf(request);
        const config = await store_.getNode(owner, node);
        if (!config) throw new StanzaError("item-not-found", "cancel");
        const ids = elements(request, "item", NS.PUBSUB).map((i) => i.attrs.id ?? "");
        if (ids.length !== 1 || !ids[0]) {
          throw pubsubError("bad-request", "modify", "item-required");
        }
        if (!await store_.retract(owner, node, ids[0])) {
          throw new StanzaError("item-not-found", "cancel");
        }
        // XEP-0060 §7.2.2.1: notify only when asked to.
        const flag = request.attrs.notify;
        if (flag === "true" || flag === "1") {
          await notify(
            owner,
            await recipients(owner, node, config),
            xml("items", { node }, xml("retract", { id: ids[0] })),
          );
        }
      }

      async function create(ev: IqEvent, request: Element): Promise<void> {
        const owner = owned(ev);
        const node = nodeOf(request);
        if (await store_.getNode(owner, node)) throw new StanzaError("conflict", "cancel");
        const form = child(
          child(ev.payload, "configure", NS.PUBSUB) ?? request,
          "x",
          NS.DATA_FORMS,
        );
        await store_.setNode(owner, node, configure(DEFAULT_CONFIG, formFields(form)));
      }

      api.identity({ category: "pubsub", type: "pep" }, { target: "account" });
      for (const f of [NS.PUBSUB, ...PEP_FEATURES]) api.feature(f, { target: "account" });

      api.iq("set", NS.PUBSUB, "pubsub", async (ev) => {
        const [request] = elements(ev.payload).filter((e) => e.name !== "publish-options");
        switch (request?.name) {
          case "publish":
            return await publish(ev, request);
          case "retract":
            return await retract(ev, request);
          case "create":
            return await create(ev, request);
          case "subscribe":
          case "unsubscribe":
            // XEP-0163 §4.3: PEP subscriptions are implicit, by presence and +notify.
            throw pubsubError("feature-not-implemented", "cancel", undefined, "Use +notify");
          default:
            throw new StanzaError("bad-request", "modify");
        }
      }, { target: "account" });

      api.iq("get", NS.PUBSUB, "pubsub", async (ev) => {
        const request = child(ev.payload, "items", NS.PUBSUB);
        if (!request) throw pubsubError("feature-not-implemented", "cancel");
        const owner = targetAccount(ev);
        const node = nodeOf(request);
        const config = await store_.getNode(owner, node);
        if (!config) throw new StanzaError("item-not-found", "cancel");
        if (!await canAccess(owner, config, ev.from.bare)) throw accessError(config);
        const items = await store_.getItems(owner, node, requestedItems(request));
        return xml(
          "pubsub",
          { xmlns: NS.PUBSUB },
          xml("items", { node }, items.map((i) => itemElement(i))),
        );
      }, { target: "account" });

      api.iq("get", NS.PUBSUB_OWNER, "pubsub", async (ev) => {
        const owner = owned(ev);
        const request = child(ev.payload, "configure", NS.PUBSUB_OWNER);
        if (!request) throw pubsubError("feature-not-implemented", "cancel");
        const node = nodeOf(request);
        const config = await store_.getNode(owner, node);
        if (!config) throw new StanzaError("item-not-found", "cancel");
        return xml(
          "pubsub",
          { xmlns: NS.PUBSUB_OWNER },
          xml("configure", { node }, configForm(config)),
        );
      }, { target: "account" });

      api.iq("set", NS.PUBSUB_OWNER, "pubsub", async (ev) => {
        const owner = owned(ev);
        const [request] = elements(ev.payload);
        const node = request ? nodeOf(request) : "";
        const config = await store_.getNode(owner, node);
        if (!config) throw new StanzaError("item-not-found", "cancel");
        if (request.name === "configure") {
          const form = child(request, "x", NS.DATA_FORMS);
          if (!form) throw new StanzaError("bad-request", "modify");
          if (form.attrs.type === "cancel") return;
          await store_.setNode(owner, node, configure(config, formFields(form)));
          return;
        }
        if (request.name === "delete") {
          // XEP-0060 §8.4.2: subscribers hear of the deletion.
          const to = await recipients(owner, node, config);
          await store_.deleteNode(owner, node);
          await notify(owner, to, xml("delete", { node }));
          return;
        }
        throw pubsubError("feature-not-implemented", "cancel");
      }, { target: "account" });

      // XEP-0115 caps of local resources: never stops the chain (the presence module runs on).
      api.hook("presence/server", async (ev) => {
        await caps.presence(ev);
      }, { priority: 50 });
      // XEP-0115 caps of remote resources, from their presence to local accounts (s2s).
      for (const hook of ["presence/bare", "presence/full"] as const) {
        api.hook(hook, async (ev) => {
          await caps.remotePresence(ev);
        }, { priority: 50 });
      }
      api.hook("iq/account-response", async (ev) => {
        if (await caps.response(ev)) return HANDLED;
      });
      api.hook("session/closed", ({ session }) => caps.forget(session.jid));

      // XEP-0030 disco#items on an account lists the PEP nodes the requester may see.
      api.accountItems(async (owner, requester) => {
        const visible: DiscoItem[] = [];
        for (const node of await store_.listNodes(owner)) {
          const config = await store_.getNode(owner, node);
          if (config && await canAccess(owner, config, requester)) {
            visible.push({ jid: owner, node });
          }
        }
        return visible;
      });
    },
  };
}

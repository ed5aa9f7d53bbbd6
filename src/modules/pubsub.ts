/**
 * XEP-0060 Publish-Subscribe as a service on its own domain (`pubsub.<domain>` by default):
 * nodes created by the users the configuration allows, their configuration (XEP-0060 §16.4
 * form), publish with item ids and publish-options, retract, purge, delete, subscriptions with
 * options, items, the owners' subscription and affiliation lists, and notifications. Nodes,
 * items, affiliations and subscriptions are stored, so they outlive a restart. The node logic
 * it shares with PEP (configuration forms, item checks) lives in `_pep_config.ts` and
 * `_pubsub_items.ts`.
 *
 * @module
 */
import { HANDLED } from "../hooks/hook_registry.ts";
import type { StanzaEvent } from "../hooks/server_hooks.ts";
import type { ModuleApi, XmppModule } from "../module/module_api.ts";
import { type Jid, parseJid } from "../jid/jid.ts";
import { StanzaError } from "../base/stanza_error.ts";
import { child, type Element, elements } from "../xml/element.ts";
import { NS } from "../xml/ns.ts";
import { NODE_CONFIG_OPTIONS } from "./_node_config_fields.ts";
import { type NodePolicy, pubsubError } from "./_pep_config.ts";
import { metaCollection, type NodeMeta } from "./_pubsub_meta.ts";
import { type CreatePolicy, type Outcome, PubsubService } from "./_pubsub_service.ts";
import { PubsubSubscriptions } from "./_pubsub_subscribe.ts";
import { nodeList, ownAffiliations, ownSubscriptions, setNodeList } from "./_pubsub_lists.ts";
import { disco } from "./_pubsub_disco.ts";
import type { DocumentCollection } from "../storage/document_collection.ts";
import { iqResult } from "./_iq_result.ts";

/** Options of {@linkcode pubsub}. */
export interface PubsubOptions {
  /** The service's domain; default `pubsub.` and the server's default domain. */
  readonly domain?: string;
  /**
   * Who may create nodes: "local" (accounts of the hosted domains, the default), "anyone",
   * or a list of bare JIDs.
   */
  readonly createNodes?: "local" | "anyone" | readonly string[];
  /**
   * The most items a node keeps; `pubsub#max_items` "max" means this, and a larger number is
   * refused with `<not-acceptable/>`. Default 1000.
   */
  readonly maxItems?: number;
  /** Largest item payload, in bytes of serialized XML; default 65,536. */
  readonly maxItemBytes?: number;
}

/** The XEP-0060 features the service implements (XEP-0060 §10). */
export const PUBSUB_FEATURES: readonly string[] = [
  "access-open",
  "access-whitelist",
  "config-node",
  "create-and-configure",
  "create-nodes",
  "delete-items",
  "delete-nodes",
  "instant-nodes",
  "item-ids",
  "last-published",
  "manage-subscriptions",
  "member-affiliation",
  "meta-data",
  "modify-affiliations",
  "outcast-affiliation",
  "persistent-items",
  "publish",
  "publish-options",
  "publisher-affiliation",
  "purge-nodes",
  "retract-items",
  "retrieve-affiliations",
  "retrieve-default",
  "retrieve-items",
  "retrieve-subscriptions",
  "subscribe",
  "subscription-options",
].map((f) => `${NS.PUBSUB}#${f}`);

/** Defaults of a node of the service (XEP-0060 §16.4.4). */
const SERVICE_DEFAULTS = {
  "pubsub#access_model": "open",
  "pubsub#publish_model": "publishers",
  "pubsub#persist_items": "true",
  "pubsub#max_items": "10",
  "pubsub#send_last_published_item": "never",
  "pubsub#deliver_notifications": "true",
  "pubsub#deliver_payloads": "true",
  "pubsub#notify_config": "false",
  "pubsub#notify_delete": "true",
  "pubsub#notify_retract": "true",
  "pubsub#notification_type": "headline",
  "pubsub#title": "",
};

function servicePolicy(limit: number): NodePolicy {
  return {
    defaults: SERVICE_DEFAULTS,
    options: {
      ...NODE_CONFIG_OPTIONS,
      "pubsub#access_model": ["open", "whitelist"],
      "pubsub#publish_model": ["publishers", "subscribers", "open"],
      "pubsub#notification_type": ["headline", "normal"],
    },
    maxItems: limit,
    strict: true,
  };
}

/** One request of a `<pubsub/>` iq, with the element that carries its form. */
type Handler = (from: Jid, request: Element, pubsub: Element) => Promise<Outcome> | Outcome;

function routes(
  service: PubsubService,
  subs: PubsubSubscriptions,
  meta: DocumentCollection<NodeMeta>,
  api: ModuleApi,
) {
  const form = (pubsub: Element, name: string) => child(child(pubsub, name) ?? pubsub, "x");
  const set: Record<string, Handler> = {
    create: (from, r, p) => service.create(from, r, form(p, "configure")),
    publish: (from, r, p) => service.publish(from, r, form(p, "publish-options")),
    retract: (from, r) => service.retract(from, r),
    subscribe: (from, r, p) => subs.subscribe(from, r, child(p, "options")),
    unsubscribe: (from, r) => subs.unsubscribe(from, r),
    options: (from, r) => subs.setOptions(from, r),
  };
  const get: Record<string, Handler> = {
    items: (from, r) => service.items(from, r),
    options: (from, r) => subs.options(from, r),
    subscriptions: async (from, r) => ({ payload: await ownSubscriptions(meta, from, r) }),
    affiliations: async (from, r) => ({ payload: await ownAffiliations(meta, from, r) }),
  };
  const ownerSet: Record<string, Handler> = {
    configure: (from, r) => service.configure(from, r),
    delete: (from, r) => service.delete(from, r),
    purge: (from, r) => service.purge(from, r),
    subscriptions: async (from, r) => {
      await setNodeList(service, meta, from, r, () => api.randomId());
      return {};
    },
    affiliations: async (from, r) => {
      await setNodeList(service, meta, from, r, () => api.randomId());
      return {};
    },
  };
  const ownerGet: Record<string, Handler> = {
    configure: (from, r) => service.configuration(from, r),
    default: () => service.defaults(),
    subscriptions: async (from, r) => ({ payload: await nodeList(service, from, r) }),
    affiliations: async (from, r) => ({ payload: await nodeList(service, from, r) }),
  };
  return {
    [`set ${NS.PUBSUB}`]: set,
    [`get ${NS.PUBSUB}`]: get,
    [`set ${NS.PUBSUB_OWNER}`]: ownerSet,
    [`get ${NS.PUBSUB_OWNER}`]: ownerGet,
  };
}

/** What a request of the service goes to. */
interface Dispatch {
  readonly service: PubsubService;
  readonly meta: DocumentCollection<NodeMeta>;
  readonly table: ReturnType<typeof routes>;
  readonly domain: string;
}

/** Answers one iq request to the service; `undefined`: the component's default answer. */
async function dispatch(ev: StanzaEvent, d: Dispatch): Promise<Outcome | undefined> {
  const [payload] = elements(ev.stanza);
  if (!payload) throw new StanzaError("bad-request", "modify");
  const type = ev.stanza.attrs.type;
  if (type === "get" && (payload.xmlns === NS.DISCO_INFO || payload.xmlns === NS.DISCO_ITEMS)) {
    const found = await disco(d.service, d.meta, ev.from, payload, d.domain);
    return found && { payload: found };
  }
  const handlers = payload.name === "pubsub" ? d.table[`${type} ${payload.xmlns}`] : undefined;
  if (!handlers) throw new StanzaError("service-unavailable", "cancel");
  // XEP-0060: one request per <pubsub/>, first; a configure, publish-options or options form
  // may follow it.
  const [request] = elements(payload);
  const handler = request && handlers[request.name];
  if (!handler) throw pubsubError("feature-not-implemented", "cancel");
  return await handler(ev.from, request, payload);
}

/** The options, checked once (STYLE §5: a wrong type is a TypeError, a bad value a RangeError). */
function checked(options: PubsubOptions) {
  const limit = options.maxItems ?? 1000;
  if (!Number.isInteger(limit) || limit < 1) {
    throw new RangeError(`Cannot keep at most ${limit} items per node: not a positive integer`);
  }
  const maxItemBytes = options.maxItemBytes ?? 65_536;
  if (!Number.isInteger(maxItemBytes) || maxItemBytes < 1) {
    throw new RangeError(`Cannot use maxItemBytes ${maxItemBytes}: not a positive integer`);
  }
  const createNodes = options.createNodes ?? "local";
  if (
    createNodes !== "local" && createNodes !== "anyone" &&
    !(Array.isArray(createNodes) && createNodes.every((j) => typeof j === "string"))
  ) {
    throw new TypeError('Cannot use createNodes: expected "local", "anyone" or a list of JIDs');
  }
  return {
    limit,
    maxItemBytes,
    createNodes: Array.isArray(createNodes)
      ? createNodes.map((j) => parseJid(j).bare)
      : createNodes as CreatePolicy,
  };
}

/**
 * The pubsub service module.
 *
 * @param options The domain, who may create nodes, the item limits.
 * @returns The module.
 * @example
 * ```ts
 * import { testServer } from "../testing/mod.ts";
 * import { child, xml } from "../xml/element.ts";
 * // Loaded by default on pubsub.localhost: a local user creates a node and publishes to it.
 * const t = await testServer({ users: ["a@localhost"] });
 * const a = await t.connect("a@localhost/r");
 * const ps = (...c: ReturnType<typeof xml>[]) =>
 *   xml("pubsub", { xmlns: "http://jabber.org/protocol/pubsub" }, ...c);
 * await a.iq(xml("iq", { type: "set", to: "pubsub.localhost" }, ps(xml("create", { node: "news" }))));
 * const done = await a.iq(xml("iq", { type: "set", to: "pubsub.localhost" },
 *   ps(xml("publish", { node: "news" }, xml("item", { id: "1" }, xml("entry", { xmlns: "urn:example" }))))));
 * if (child(child(child(done, "pubsub")!, "publish")!, "item")?.attrs.id !== "1") throw new Error();
 * await t.close();
 * ```
 */
export function pubsub(options: PubsubOptions = {}): XmppModule {
  const { limit, maxItemBytes, createNodes } = checked(options);
  return {
    name: "pubsub",
    specs: ["XEP-0060"],
    setup(api) {
      const domain = options.domain ?? `pubsub.${api.domain}`;
      const meta = metaCollection(api, domain);
      const deps = {
        api,
        service: domain,
        policy: servicePolicy(limit),
        meta,
        createNodes,
        maxItemBytes,
      };
      const service = new PubsubService(deps);
      const table = routes(service, new PubsubSubscriptions(deps, service), meta, api);

      const answer = (ev: StanzaEvent) => dispatch(ev, { service, meta, table, domain });

      // Data of removed accounts goes with them (as every module's, XEP-0077 §3.2).
      api.hook("account/removed", ({ jid }) => service.removeAccount(parseJid(jid)));

      api.component(domain, {
        name: "Publish-Subscribe",
        identities: [{ category: "pubsub", type: "service", name: "Publish-Subscribe" }],
        features: [NS.PUBSUB, ...PUBSUB_FEATURES],
        async handle(ev) {
          const { stanza } = ev;
          const type = stanza.attrs.type;
          if (stanza.name !== "iq" || (type !== "get" && type !== "set")) return;
          let outcome: Outcome | undefined;
          try {
            outcome = await answer(ev);
          } catch (e) {
            // STYLE §7: an unexpected failure is internal-server-error for this stanza only.
            if (!(e instanceof StanzaError)) {
              api.logger.error("Pubsub request failed", { error: String(e), domain });
            }
            const error = e instanceof StanzaError
              ? e
              : new StanzaError("internal-server-error", "wait");
            await api.router.bounce(stanza, error);
            return HANDLED;
          }
          if (!outcome) return; // disco#info of the service itself: the component's default.
          await api.router.route(iqResult(stanza, outcome.payload));
          // The result is sent: a failed notification is logged, not answered.
          await outcome.after?.().catch((e) =>
            api.logger.error("Pubsub notification failed", { error: String(e), domain })
          );
          return HANDLED;
        },
      });
    },
  };
}

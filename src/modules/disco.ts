/**
 * XEP-0030 Service Discovery: disco#info and disco#items for the server and its accounts.
 *
 * @module
 */
import type { IqEvent, IqTarget } from "../hooks/iq_registry.ts";
import type { DiscoInfo, DiscoItem, ModuleApi, XmppModule } from "../module/module_api.ts";
import { StanzaError } from "../base/stanza_error.ts";
import { type Element, xml } from "../xml/element.ts";
import { NS } from "../xml/ns.ts";

function infoQuery(info: DiscoInfo, node?: string): Element {
  const { identities, features, forms } = info;
  return xml(
    "query",
    { xmlns: NS.DISCO_INFO, node },
    identities.map((i) => xml("identity", { category: i.category, type: i.type, name: i.name })),
    features.map((f) => xml("feature", { var: f })),
    forms,
  );
}

function info(api: ModuleApi, target: IqTarget, query: Element): Element {
  // XEP-0030 §3.1: a node we do not know is item-not-found.
  if (query.attrs.node !== undefined) throw new StanzaError("item-not-found", "cancel");
  return infoQuery(api.discoInfo(target));
}

/** XEP-0030 §3.2: disco#info on a node a module answers for (server target only). */
async function nodeInfo(api: ModuleApi, ev: IqEvent): Promise<Element> {
  const node = ev.payload.attrs.node;
  const found = node === undefined ? undefined : await api.discoNodeProvider(node)?.info?.(
    ev.from.full,
  );
  if (!found) return info(api, "server", ev.payload);
  return infoQuery(found, node);
}

/** XEP-0030 §4.2: disco#items on a node a module answers for. */
async function nodeItems(api: ModuleApi, ev: IqEvent): Promise<Element> {
  const node = ev.payload.attrs.node;
  if (node === undefined) {
    return xml("query", { xmlns: NS.DISCO_ITEMS }, itemElements(api.discoItems()));
  }
  const found = await api.discoNodeProvider(node)?.items?.(ev.from.full);
  if (!found) throw new StanzaError("item-not-found", "cancel");
  return xml("query", { xmlns: NS.DISCO_ITEMS, node }, itemElements(found));
}

function itemElements(items: readonly DiscoItem[]): Element[] {
  return items.map((i) => xml("item", { jid: i.jid, name: i.name, node: i.node }));
}

/**
 * The disco module: answers disco#info with the identities and features every loaded module
 * registered, and disco#items with the server's items or, for an account, the items its
 * providers list ({@linkcode ModuleApi.accountItems}).
 *
 * @returns The module.
 * @example
 * ```ts
 * import { disco } from "./disco.ts";
 * import { ping } from "./ping.ts";
 * import { testServer } from "../testing/mod.ts";
 * import { child, elements, xml } from "../xml/element.ts";
 * const t = await testServer({ builtinModules: false, modules: [disco(), ping()], users: ["a@localhost"] });
 * const a = await t.connect("a@localhost/r");
 * const info = await a.iq(xml("iq", { type: "get", to: "localhost" },
 *   xml("query", { xmlns: "http://jabber.org/protocol/disco#info" })));
 * const features = elements(child(info, "query")!, "feature").map((f) => f.attrs.var);
 * if (!features.includes("urn:xmpp:ping")) throw new Error(features.join());
 * await t.close();
 * ```
 */
export function disco(): XmppModule {
  return {
    name: "disco",
    specs: ["XEP-0030"],
    setup(api) {
      api.identity({ category: "server", type: "im", name: api.software.name });
      api.identity({ category: "account", type: "registered" }, { target: "account" });
      for (const target of ["server", "account"] as const) {
        api.feature(NS.DISCO_INFO, { target });
        api.feature(NS.DISCO_ITEMS, { target });
      }
      api.iq("get", NS.DISCO_INFO, "query", (ev) => nodeInfo(api, ev));
      api.iq("get", NS.DISCO_INFO, "query", ({ payload }) => info(api, "account", payload), {
        target: "account",
      });
      api.iq("get", NS.DISCO_ITEMS, "query", (ev) => nodeItems(api, ev));
      // An account's items come from the modules (PEP nodes, …); an iq without 'to' asks about
      // the sender's own account.
      api.iq("get", NS.DISCO_ITEMS, "query", async ({ payload, stanza, from, to }) => {
        if (payload.attrs.node !== undefined) throw new StanzaError("item-not-found", "cancel");
        const owner = stanza.attrs.to === undefined ? from.bare : to.bare;
        return xml(
          "query",
          { xmlns: NS.DISCO_ITEMS },
          itemElements(await api.discoAccountItems(owner, from.bare)),
        );
      }, { target: "account" });
    },
  };
}

// Private to the pubsub module: service discovery of the XEP-0060 service (§5.2-5.5): the
// nodes a requester may see, a node's identity and meta-data form, and a node's items.
import type { Jid } from "../jid/jid.ts";
import { StanzaError } from "../base/stanza_error.ts";
import type { DocumentCollection } from "../storage/document_collection.ts";
import { child, type Element, elements, xml } from "../xml/element.ts";
import { NS } from "../xml/ns.ts";
import { mayAccess, type NodeMeta } from "./_pubsub_meta.ts";
import type { PubsubService } from "./_pubsub_service.ts";
import { dataForm } from "./data_form.ts";

/** XEP-0060 §5.3-5.5: disco#info and disco#items of nodes and of the service's node list. */
export async function disco(
  service: PubsubService,
  meta: DocumentCollection<NodeMeta>,
  from: Jid,
  query: Element,
  domain: string,
): Promise<Element | undefined> {
  const node = query.attrs.node;
  if (query.xmlns === NS.DISCO_ITEMS && node === undefined) {
    const items: Element[] = [];
    for (const name of await service.listNodes()) {
      const m = await meta.get(name);
      const found = m && await service.node(name).catch(() => undefined);
      if (found && mayAccess(found.meta, found.config, from)) {
        items.push(xml("item", { jid: domain, node: name }));
      }
    }
    return xml("query", { xmlns: NS.DISCO_ITEMS }, items);
  }
  if (node === undefined) return undefined;
  const { config, meta: m } = await service.node(node);
  if (!mayAccess(m, config, from)) throw new StanzaError("item-not-found", "cancel");
  if (query.xmlns === NS.DISCO_ITEMS) {
    const items = await service.items(from, xml("items", { node }));
    const ids = elements(child(items.payload!, "items")!, "item").map((i) => i.attrs.id);
    return xml(
      "query",
      { xmlns: NS.DISCO_ITEMS, node },
      ids.map((id) => xml("item", { jid: domain, name: id })),
    );
  }
  const owners = Object.entries(m.affiliations).filter(([, a]) => a === "owner").map(([j]) => j);
  return xml(
    "query",
    { xmlns: NS.DISCO_INFO, node },
    xml("identity", { category: "pubsub", type: "leaf" }),
    xml("feature", { var: NS.PUBSUB }),
    dataForm("result", `${NS.PUBSUB}#meta-data`, [
      { var: "pubsub#type", values: [] },
      { var: "pubsub#title", values: [config["pubsub#title"] ?? ""] },
      { var: "pubsub#access_model", values: [config["pubsub#access_model"] ?? "open"] },
      { var: "pubsub#publish_model", values: [config["pubsub#publish_model"] ?? "publishers"] },
      { var: "pubsub#owner", type: "jid-multi", values: owners },
    ]),
  );
}

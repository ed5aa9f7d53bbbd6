// Private to the PEP and pubsub modules: the parts of XEP-0060 item handling both services
// share: the node of a request, the item of a publish request, items as XML, and the
// selection of an items request.
import type { PubsubItem } from "../storage/pubsub_store.ts";
import { loadXml, storedXmlBytes, storeXml } from "../storage/stored_xml.ts";
import { type Element, elements, xml } from "../xml/element.ts";
import { NS } from "../xml/ns.ts";
import { pubsubError } from "./_pep_config.ts";

/** The node of a request; XEP-0060 §7.1.3.3 and friends: <nodeid-required/> without one. */
export function nodeOf(el: Element): string {
  const node = el.attrs.node;
  if (!node) throw pubsubError("bad-request", "modify", "nodeid-required");
  return node;
}

/** Who publishes and when; the id of an item that has none (XEP-0060 §7.1.1). */
export interface PublishContext {
  /** The publisher's full JID. */
  readonly publisher: string;
  /** Now. */
  readonly stamp: Date;
  /** A new item id. */
  readonly newId: () => string;
  /** The largest payload, in bytes of serialized XML. */
  readonly maxItemBytes: number;
}

/**
 * The item of a `<publish/>` request.
 *
 * @throws {StanzaError} XEP-0060 §7.1.3.4-6: not exactly one item with exactly one payload,
 *   or a payload too big.
 */
export function publishedItem(request: Element, context: PublishContext): PubsubItem {
  const items = elements(request, "item", NS.PUBSUB);
  if (items.length !== 1) throw pubsubError("bad-request", "modify", "invalid-payload");
  const payloads = elements(items[0]);
  if (payloads.length === 0) throw pubsubError("bad-request", "modify", "payload-required");
  if (payloads.length > 1) throw pubsubError("bad-request", "modify", "invalid-payload");
  const payload = storeXml(payloads[0]);
  if (storedXmlBytes(payload) > context.maxItemBytes) {
    throw pubsubError("not-acceptable", "modify", "payload-too-big");
  }
  return {
    id: items[0].attrs.id || context.newId(),
    payload,
    publisher: context.publisher,
    stamp: context.stamp,
  };
}

/** An item as XML; without its payload for nodes that do not deliver payloads (§7.1.2.2). */
export function itemElement(item: PubsubItem, payload = true): Element {
  return xml(
    "item",
    { id: item.id, publisher: item.publisher },
    payload ? loadXml(item.payload) : [],
  );
}

/** What an `<items/>` request asks for (XEP-0060 §6.5.6-7): ids, or the newest `max`. */
export function requestedItems(request: Element): { ids?: string[]; max?: number } {
  const ids = elements(request, "item", NS.PUBSUB).map((i) => i.attrs.id).filter((
    id,
  ): id is string => !!id);
  const max = Number.parseInt(request.attrs.max_items ?? "", 10);
  return {
    ids: ids.length ? ids : undefined,
    max: Number.isInteger(max) && max > 0 ? max : undefined,
  };
}

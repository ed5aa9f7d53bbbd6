// Private to the pubsub module: event notifications of the XEP-0060 service (§7.1.2), one
// message per subscription that wants deliveries, typed by pubsub#notification_type.
import type { ModuleApi } from "../module/module_api.ts";
import type { NodeConfig } from "../storage/pubsub_store.ts";
import { type Element, xml } from "../xml/element.ts";
import { NS } from "../xml/ns.ts";
import type { NodeMeta } from "./_pubsub_meta.ts";

/** Where notifications come from. */
export interface Sender {
  readonly api: ModuleApi;
  /** The service's JID. */
  readonly service: string;
}

/** Sends one event to one JID. */
export async function send(
  from: Sender,
  to: string,
  config: NodeConfig,
  event: Element,
): Promise<void> {
  await from.api.router.route(xml(
    "message",
    {
      xmlns: NS.CLIENT,
      type: config["pubsub#notification_type"] ?? "headline",
      from: from.service,
      to,
      id: from.api.randomId(),
    },
    xml("event", { xmlns: NS.PUBSUB_EVENT }, event),
  ));
}

/** Sends an event to every subscriber that wants deliveries (XEP-0060 §6.3: pubsub#deliver). */
export async function notify(
  from: Sender,
  meta: NodeMeta,
  config: NodeConfig,
  event: Element,
): Promise<void> {
  for (const sub of meta.subscriptions) {
    if (sub.deliver) await send(from, sub.jid, config, event);
  }
}

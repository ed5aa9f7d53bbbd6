// Private to the pubsub module: subscriptions to nodes of the XEP-0060 service (§6.1-6.3):
// subscribe (the last item follows when the node is configured so), unsubscribe, and the
// subscription options form (pubsub#deliver).
import type { Jid } from "../jid/jid.ts";
import { tryParseJid } from "../jid/jid.ts";
import { StanzaError } from "../base/stanza_error.ts";
import type { NodeConfig } from "../storage/pubsub_store.ts";
import { child, type Element, xml } from "../xml/element.ts";
import { NS } from "../xml/ns.ts";
import { formFields, pubsubError } from "./_pep_config.ts";
import { itemElement, nodeOf } from "./_pubsub_items.ts";
import { requireAccess, type Subscription, subscriptionOf } from "./_pubsub_meta.ts";
import { send } from "./_pubsub_notify.ts";
import type { Outcome, PubsubService, ServiceDeps } from "./_pubsub_service.ts";
import { dataForm } from "./data_form.ts";

const SUBSCRIBE_OPTIONS = `${NS.PUBSUB}#subscribe_options`;

/** XEP-0060 §6.1.3.1: the JID to subscribe must be the requester's (bare or full). */
function subscriberJid(request: Element, from: Jid): string {
  const jid = tryParseJid(request.attrs.jid ?? "");
  if (!jid || jid.bare !== from.bare) throw pubsubError("bad-request", "modify", "invalid-jid");
  return jid.full;
}

/** XEP-0060 §6.3.5: the subscription options this service knows (pubsub#deliver). */
function subscriptionOptions(form: Element | undefined, base: boolean): boolean {
  let deliver = base;
  for (const [name, value] of Object.entries(formFields(form))) {
    if (name !== "pubsub#deliver" || !["0", "1", "true", "false"].includes(value)) {
      throw pubsubError("bad-request", "modify", "invalid-options");
    }
    deliver = value === "1" || value === "true";
  }
  return deliver;
}

/** A subscription as XEP-0060 §6.1.2 reports it. */
export function subscriptionElement(node: string, sub: Subscription): Element {
  return xml("subscription", {
    node,
    jid: sub.jid,
    subid: sub.subid,
    subscription: "subscribed",
  });
}

/** The subscriber use cases of one pubsub service. */
export class PubsubSubscriptions {
  readonly #d: ServiceDeps;
  readonly #service: PubsubService;

  constructor(deps: ServiceDeps, service: PubsubService) {
    this.#d = deps;
    this.#service = service;
  }

  /** XEP-0060 §6.1: subscribe, with options; the last item follows when configured. */
  async subscribe(from: Jid, request: Element, options: Element | undefined): Promise<Outcome> {
    const node = nodeOf(request);
    const jid = subscriberJid(request, from);
    const { config, meta } = await this.#service.node(node);
    requireAccess(meta, config, from);
    const deliver = subscriptionOptions(child(options ?? request, "x", NS.DATA_FORMS), true);
    let sub: Subscription | undefined;
    const updated = await this.#d.meta.update(node, (m) => {
      if (!m) return m;
      const existing = subscriptionOf(m, jid);
      sub = { jid, subid: existing?.subid ?? this.#d.api.randomId(), deliver };
      const others = m.subscriptions.filter((s) => s.jid !== jid);
      return { ...m, subscriptions: [...others, sub] };
    });
    if (!updated || !sub) throw new StanzaError("item-not-found", "cancel");
    const s = sub;
    return {
      payload: xml("pubsub", { xmlns: NS.PUBSUB }, subscriptionElement(node, s)),
      after: () => this.#sendLast(node, config, s),
    };
  }

  /** XEP-0060 §6.1.7: the last published item, when the node sends it on subscription. */
  async #sendLast(node: string, config: NodeConfig, sub: Subscription): Promise<void> {
    const when = config["pubsub#send_last_published_item"] ?? "never";
    if (when === "never" || !sub.deliver) return;
    const [last] = await this.#d.api.storage.pubsub.getItems(this.#d.service as never, node, {
      max: 1,
    });
    if (!last) return;
    const payloads = config["pubsub#deliver_payloads"] !== "false";
    await send(this.#d, sub.jid, config, xml("items", { node }, itemElement(last, payloads)));
  }

  /** XEP-0060 §6.2: unsubscribe; <not-subscribed/> when there is nothing to end. */
  async unsubscribe(from: Jid, request: Element): Promise<Outcome> {
    const node = nodeOf(request);
    const jid = subscriberJid(request, from);
    await this.#service.node(node);
    let found = false;
    await this.#d.meta.update(node, (m) => {
      const sub = m && subscriptionOf(m, jid);
      found = !!sub && (!request.attrs.subid || sub.subid === request.attrs.subid);
      if (!m || !found) return m;
      return { ...m, subscriptions: m.subscriptions.filter((s) => s.jid !== jid) };
    });
    if (!found) throw pubsubError("unexpected-request", "cancel", "not-subscribed");
    return {};
  }

  /** XEP-0060 §6.3: a subscription's options form. */
  async options(from: Jid, request: Element): Promise<Outcome> {
    const node = nodeOf(request);
    const jid = subscriberJid(request, from);
    const { meta } = await this.#service.node(node);
    const sub = subscriptionOf(meta, jid);
    if (!sub) throw pubsubError("unexpected-request", "cancel", "not-subscribed");
    const form = dataForm("form", SUBSCRIBE_OPTIONS, [{
      var: "pubsub#deliver",
      type: "boolean",
      label: "Enable delivery?",
      values: [sub.deliver ? "true" : "false"],
    }]);
    return {
      payload: xml("pubsub", { xmlns: NS.PUBSUB }, xml("options", { node, jid }, form)),
    };
  }

  /** XEP-0060 §6.3.5: submit subscription options. */
  async setOptions(from: Jid, request: Element): Promise<Outcome> {
    const node = nodeOf(request);
    const jid = subscriberJid(request, from);
    await this.#service.node(node);
    const form = child(request, "x", NS.DATA_FORMS);
    let found = false;
    await this.#d.meta.update(node, (m) => {
      const sub = m && subscriptionOf(m, jid);
      found = !!sub;
      if (!m || !sub) return m;
      const deliver = subscriptionOptions(form, sub.deliver);
      const others = m.subscriptions.filter((s) => s.jid !== jid);
      return { ...m, subscriptions: [...others, { ...sub, deliver }] };
    });
    if (!found) throw pubsubError("unexpected-request", "cancel", "not-subscribed");
    return {};
  }
}

// Private to the PEP module: one account's PEP service (XEP-0163) as named parts: access
// (XEP-0060 §6.5.9), notification recipients (XEP-0163 §4.3.1), the publish, retract, create,
// items and owner requests, and the last items a new resource gets (XEP-0163 §4.3.2).
import type { DiscoItem, ModuleApi } from "../module/module_api.ts";
import type { IqEvent } from "../hooks/iq_registry.ts";
import { type BareJid, parseJid } from "../jid/jid.ts";
import { StanzaError } from "../base/stanza_error.ts";
import type { NodeConfig, PubsubStore } from "../storage/pubsub_store.ts";
import { child, type Element, elements, xml } from "../xml/element.ts";
import { NS } from "../xml/ns.ts";
import { hasFrom } from "./subscription_states.ts";
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
import { accessModel, domainOf, lastItemsFor } from "./_pep_last_items.ts";

function accessError(config: NodeConfig): StanzaError {
  return config["pubsub#access_model"] === "presence"
    ? pubsubError("not-authorized", "auth", "presence-subscription-required")
    : pubsubError("not-allowed", "cancel", "closed-node");
}

/** XEP-0060 §7.1.3.1: only the owner publishes to, or manages, a PEP service. */
function owned(ev: IqEvent): BareJid {
  return ownAccount(ev, "auth");
}

/** The PEP services of all local accounts. */
export class PepService {
  readonly #api: ModuleApi;
  readonly #store: PubsubStore;
  readonly #maxItemBytes: number;
  /** What each available local resource wants (XEP-0115). */
  readonly caps: CapsTracker;

  /**
   * @param api The module API.
   * @param maxItemBytes The largest item payload, in bytes of serialized XML.
   */
  constructor(api: ModuleApi, maxItemBytes: number) {
    this.#api = api;
    this.#store = api.storage.pubsub;
    this.#maxItemBytes = maxItemBytes;
    this.caps = new CapsTracker(api, (full, owners) => this.sendLastItems(full, owners));
  }

  async #subscribed(owner: BareJid, contact: BareJid): Promise<boolean> {
    const item = await this.#api.storage.roster.getItem(owner, contact);
    return hasFrom(item?.subscription);
  }

  /** XEP-0060 §6.5.9: whether `who` may see the node's items. */
  async #canAccess(owner: BareJid, config: NodeConfig, who: BareJid): Promise<boolean> {
    if (who === owner) return true;
    const model = accessModel(config);
    if (model === "open") return true;
    if (model === "presence") return await this.#subscribed(owner, who);
    return false;
  }

  /** Full JIDs that get notifications of a node: +notify and allowed (XEP-0163 §4.3.1). */
  async #recipients(owner: BareJid, node: string, config: NodeConfig): Promise<string[]> {
    const out: string[] = [];
    const want = `${node}+notify`;
    const candidates = [owner];
    const model = accessModel(config);
    // open and presence: the owner and the contacts subscribed to the owner's presence
    // (canAccess() holds for each of them); whitelist: the owner only.
    if (model === "open" || model === "presence") {
      for (const item of (await this.#api.storage.roster.get(owner)).items) {
        if (hasFrom(item.subscription)) candidates.push(item.jid);
      }
    }
    for (const bare of candidates) {
      if (!this.#api.router.isLocal(domainOf(bare))) {
        // A remote contact: its resources whose presence (and caps) reached the owner.
        for (const full of this.caps.remoteResources(bare, owner)) {
          if (this.caps.features(full)?.has(want)) out.push(full);
        }
        continue;
      }
      for (const s of await this.#api.router.sessions(bare)) {
        if (s.presence && this.caps.features(s.jid)?.has(want)) out.push(s.jid);
      }
    }
    return out;
  }

  async #notify(owner: BareJid, to: readonly string[], event: Element): Promise<void> {
    for (const jid of to) {
      await this.#api.router.route(xml(
        "message",
        { xmlns: NS.CLIENT, type: "headline", from: owner, to: jid, id: this.#api.randomId() },
        xml("event", { xmlns: NS.PUBSUB_EVENT }, event),
      ));
    }
  }

  /**
   * XEP-0163 §4.3.2 (and §6.2): the last item of each node a new resource wants; a remote
   * resource gets those of `remoteOwners` (the local accounts its presence reached) whose
   * presence it is subscribed to.
   */
  async sendLastItems(full: string, remoteOwners?: readonly BareJid[]): Promise<void> {
    const features = this.caps.features(full);
    if (!features) return;
    let owners: BareJid[] | undefined;
    if (remoteOwners) {
      const user = parseJid(full).bare;
      owners = [];
      for (const owner of remoteOwners) {
        if (await this.#subscribed(owner, user)) owners.push(owner);
      }
      if (owners.length === 0) return;
    }
    for (const { owner, node, item } of await lastItemsFor(this.#api, full, features, owners)) {
      await this.#notify(owner, [full], xml("items", { node }, itemElement(item)));
    }
  }

  /** XEP-0060 §7.1: publishes an item, auto-creating the node (XEP-0163 §3). */
  async publish(ev: IqEvent, request: Element): Promise<Element> {
    const owner = owned(ev);
    const node = nodeOf(request);
    // XEP-0060 §7.1.3.4-6: one item, one payload, not too big; nothing stored otherwise.
    const item = publishedItem(request, {
      publisher: ev.from.full,
      stamp: this.#api.now(),
      newId: () => this.#api.randomId(),
      maxItemBytes: this.#maxItemBytes,
    });
    const options = formFields(
      child(child(ev.payload, "publish-options", NS.PUBSUB) ?? request, "x", NS.DATA_FORMS),
    );
    let config = await this.#store.getNode(owner, node);
    if (config) {
      checkPreconditions(config, options);
    } else {
      // XEP-0163 §3 auto-create, configured by publish-options (XEP-0060 §7.1.5).
      try {
        config = configure(DEFAULT_CONFIG, options);
      } catch {
        throw pubsubError("conflict", "cancel", "precondition-not-met");
      }
      await this.#store.setNode(owner, node, config);
    }
    await this.#store.publish(owner, node, item, maxItems(config));
    const to = await this.#recipients(owner, node, config);
    await this.#notify(owner, to, xml("items", { node }, itemElement(item)));
    return xml(
      "pubsub",
      { xmlns: NS.PUBSUB },
      xml("publish", { node }, xml("item", { id: item.id })),
    );
  }

  /** XEP-0060 §7.2: retracts one item. */
  async retract(ev: IqEvent, request: Element): Promise<void> {
    const owner = owned(ev);
    const node = nodeOf(request);
    const config = await this.#store.getNode(owner, node);
    if (!config) throw new StanzaError("item-not-found", "cancel");
    const ids = elements(request, "item", NS.PUBSUB).map((i) => i.attrs.id ?? "");
    if (ids.length !== 1 || !ids[0]) {
      throw pubsubError("bad-request", "modify", "item-required");
    }
    if (!await this.#store.retract(owner, node, ids[0])) {
      throw new StanzaError("item-not-found", "cancel");
    }
    // XEP-0060 §7.2.2.1: notify only when asked to.
    const flag = request.attrs.notify;
    if (flag === "true" || flag === "1") {
      const to = await this.#recipients(owner, node, config);
      await this.#notify(owner, to, xml("items", { node }, xml("retract", { id: ids[0] })));
    }
  }

  /** XEP-0060 §8.1: creates a node, configured by an optional form. */
  async create(ev: IqEvent, request: Element): Promise<void> {
    const owner = owned(ev);
    const node = nodeOf(request);
    if (await this.#store.getNode(owner, node)) throw new StanzaError("conflict", "cancel");
    const form = child(child(ev.payload, "configure", NS.PUBSUB) ?? request, "x", NS.DATA_FORMS);
    await this.#store.setNode(owner, node, configure(DEFAULT_CONFIG, formFields(form)));
  }

  /** XEP-0060 §6.5: the items of a node, to whoever may see them. */
  async items(ev: IqEvent): Promise<Element> {
    const request = child(ev.payload, "items", NS.PUBSUB);
    if (!request) throw pubsubError("feature-not-implemented", "cancel");
    const owner = targetAccount(ev);
    const node = nodeOf(request);
    const config = await this.#store.getNode(owner, node);
    if (!config) throw new StanzaError("item-not-found", "cancel");
    if (!await this.#canAccess(owner, config, ev.from.bare)) throw accessError(config);
    const items = await this.#store.getItems(owner, node, requestedItems(request));
    return xml(
      "pubsub",
      { xmlns: NS.PUBSUB },
      xml("items", { node }, items.map((i) => itemElement(i))),
    );
  }

  /** XEP-0060 §8.2: the configuration form of a node. */
  async configuration(ev: IqEvent): Promise<Element> {
    const owner = owned(ev);
    const request = child(ev.payload, "configure", NS.PUBSUB_OWNER);
    if (!request) throw pubsubError("feature-not-implemented", "cancel");
    const node = nodeOf(request);
    const config = await this.#store.getNode(owner, node);
    if (!config) throw new StanzaError("item-not-found", "cancel");
    return xml(
      "pubsub",
      { xmlns: NS.PUBSUB_OWNER },
      xml("configure", { node }, configForm(config)),
    );
  }

  /** XEP-0060 §8.2 and §8.4: configures or deletes a node. */
  async manage(ev: IqEvent): Promise<void> {
    const owner = owned(ev);
    const [request] = elements(ev.payload);
    const node = request ? nodeOf(request) : "";
    const config = await this.#store.getNode(owner, node);
    if (!config) throw new StanzaError("item-not-found", "cancel");
    if (request.name === "configure") {
      const form = child(request, "x", NS.DATA_FORMS);
      if (!form) throw new StanzaError("bad-request", "modify");
      if (form.attrs.type === "cancel") return;
      await this.#store.setNode(owner, node, configure(config, formFields(form)));
      return;
    }
    if (request.name === "delete") {
      // XEP-0060 §8.4.2: subscribers hear of the deletion.
      const to = await this.#recipients(owner, node, config);
      await this.#store.deleteNode(owner, node);
      await this.#notify(owner, to, xml("delete", { node }));
      return;
    }
    throw pubsubError("feature-not-implemented", "cancel");
  }

  /** XEP-0030 disco#items on an account: the PEP nodes the requester may see. */
  async visibleNodes(owner: BareJid, requester: BareJid): Promise<DiscoItem[]> {
    const visible: DiscoItem[] = [];
    for (const node of await this.#store.listNodes(owner)) {
      const config = await this.#store.getNode(owner, node);
      if (config && await this.#canAccess(owner, config, requester)) {
        visible.push({ jid: owner, node });
      }
    }
    return visible;
  }
}

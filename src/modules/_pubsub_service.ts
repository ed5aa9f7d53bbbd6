// Private to the pubsub module: the operations of an XEP-0060 service on its nodes: create,
// configure, delete, purge (owner use cases, §8), publish, retract (publisher, §7) and items
// (§6.5). Each returns the payload of the result and the notifications to send once the
// result is on its way. Subscriptions are in _pubsub_subscribe.ts.
import type { ModuleApi } from "../module/module_api.ts";
import type { Jid } from "../jid/jid.ts";
import { StanzaError } from "../base/stanza_error.ts";
import type { NodeConfig, PubsubItem } from "../storage/pubsub_store.ts";
import type { DocumentCollection } from "../storage/document_collection.ts";
import { child, type Element, xml } from "../xml/element.ts";
import { NS } from "../xml/ns.ts";
import {
  checkPreconditions,
  configForm,
  configure,
  formFields,
  maxItems,
  type NodePolicy,
  pubsubError,
} from "./_pep_config.ts";
import { itemElement, nodeOf, publishedItem, requestedItems } from "./_pubsub_items.ts";
import { type NodeMeta, requireAccess, requireOwner, requirePublisher } from "./_pubsub_meta.ts";
import { notify } from "./_pubsub_notify.ts";

/** The result payload of a request, and what to do after the result is sent. */
export interface Outcome {
  /** The result's payload; `undefined` for an empty result. */
  readonly payload?: Element;
  /** Notifications and the like, sent after the result (XEP-0060 §7.1.2: reply first). */
  readonly after?: () => Promise<void>;
}

/** Who may create nodes: local users, anyone, or these bare JIDs. */
export type CreatePolicy = "local" | "anyone" | readonly string[];

/** What the service needs. */
export interface ServiceDeps {
  readonly api: ModuleApi;
  /** The service's JID. */
  readonly service: string;
  readonly policy: NodePolicy;
  readonly meta: DocumentCollection<NodeMeta>;
  readonly createNodes: CreatePolicy;
  readonly maxItemBytes: number;
}

const MAX_NODE_BYTES = 512;

/** The operations of one pubsub service. */
export class PubsubService {
  readonly #d: ServiceDeps;

  constructor(deps: ServiceDeps) {
    this.#d = deps;
  }

  /** A node's configuration and members, or <item-not-found/> (XEP-0060 §6.1.3.12 etc.). */
  async node(node: string): Promise<{ config: NodeConfig; meta: NodeMeta }> {
    const config = await this.#d.api.storage.pubsub.getNode(this.#d.service as never, node);
    const meta = config && await this.#d.meta.get(node);
    if (!config || !meta) throw new StanzaError("item-not-found", "cancel");
    return { config, meta };
  }

  /** The names of every node, sorted. */
  listNodes(): Promise<string[]> {
    return this.#d.api.storage.pubsub.listNodes(this.#d.service as never);
  }

  /** XEP-0060 §8.1: create a node (instant without a name), configured by a form. */
  async create(from: Jid, request: Element, form: Element | undefined): Promise<Outcome> {
    const { api, policy } = this.#d;
    if (!this.#mayCreate(from)) throw pubsubError("forbidden", "auth");
    const instant = !request.attrs.node;
    const node = request.attrs.node || api.randomId();
    if (new TextEncoder().encode(node).length > MAX_NODE_BYTES) {
      throw new StanzaError("not-acceptable", "modify", "Node name too long");
    }
    // XEP-0060 §8.1.3: a bad configuration refuses the whole request; nothing is created.
    const config = configure(policy.defaults, formFields(form), policy);
    const meta: NodeMeta = { affiliations: { [from.bare]: "owner" }, subscriptions: [] };
    // The document is the creation lock: only one of two racing creators gets it.
    if (await this.#d.meta.put(node, meta, { ifVersion: 0 }) === undefined) {
      throw new StanzaError("conflict", "cancel", `Node "${node}" exists`);
    }
    await api.storage.pubsub.setNode(this.#d.service as never, node, config);
    // XEP-0060 §8.1.2: an instant node's name is in the result.
    const payload = instant
      ? xml("pubsub", { xmlns: NS.PUBSUB }, xml("create", { node }))
      : undefined;
    return { payload };
  }

  #mayCreate(from: Jid): boolean {
    const who = this.#d.createNodes;
    if (who === "anyone") return true;
    if (who === "local") return from.local !== "" && this.#d.api.domains.includes(from.domain);
    return who.includes(from.bare);
  }

  /** XEP-0060 §8.2: the configuration form of a node (owners only). */
  async configuration(from: Jid, request: Element): Promise<Outcome> {
    const node = nodeOf(request);
    const { config, meta } = await this.node(node);
    requireOwner(meta, from);
    return {
      payload: xml(
        "pubsub",
        { xmlns: NS.PUBSUB_OWNER },
        xml("configure", { node }, configForm(config, this.#d.policy)),
      ),
    };
  }

  /** XEP-0060 §8.3: the default configuration of a new node. */
  defaults(): Outcome {
    return {
      payload: xml(
        "pubsub",
        { xmlns: NS.PUBSUB_OWNER },
        xml("default", null, configForm(this.#d.policy.defaults, this.#d.policy)),
      ),
    };
  }

  /** XEP-0060 §8.2.4: submit a configuration form; subscribers hear of it with notify_config. */
  async configure(from: Jid, request: Element): Promise<Outcome> {
    const node = nodeOf(request);
    const { config, meta } = await this.node(node);
    requireOwner(meta, from);
    const form = child(request, "x", NS.DATA_FORMS);
    if (!form) throw new StanzaError("bad-request", "modify", "A configuration form is needed");
    if (form.attrs.type === "cancel") return {};
    const next = configure(config, formFields(form), this.#d.policy);
    await this.#d.api.storage.pubsub.setNode(this.#d.service as never, node, next);
    // A smaller max_items applies at once (XEP-0060 §7.1.2: the oldest items go).
    await this.#trim(node, next);
    if (next["pubsub#notify_config"] !== "true") return {};
    const body = next["pubsub#deliver_payloads"] === "false"
      ? []
      : configForm(next, this.#d.policy);
    return {
      after: () => notify(this.#d, meta, next, xml("configuration", { node }, body)),
    };
  }

  async #trim(node: string, config: NodeConfig): Promise<void> {
    const store = this.#d.api.storage.pubsub;
    const keep = maxItems(config, this.#d.policy);
    const items = await store.getItems(this.#d.service as never, node);
    for (const item of items.slice(keep)) {
      await store.retract(this.#d.service as never, node, item.id);
    }
  }

  /** XEP-0060 §8.4: delete a node; subscribers get <delete/> (with a redirect, if given). */
  async delete(from: Jid, request: Element): Promise<Outcome> {
    const node = nodeOf(request);
    const { config, meta } = await this.node(node);
    requireOwner(meta, from);
    await this.#d.api.storage.pubsub.deleteNode(this.#d.service as never, node);
    await this.#d.meta.delete(node);
    if (config["pubsub#notify_delete"] === "false") return {};
    const redirect = child(request, "redirect", NS.PUBSUB_OWNER);
    const event = xml(
      "delete",
      { node },
      redirect ? xml("redirect", { uri: redirect.attrs.uri }) : [],
    );
    return { after: () => notify(this.#d, meta, config, event) };
  }

  /** XEP-0060 §8.5: purge every item of a node; subscribers get <purge/>. */
  async purge(from: Jid, request: Element): Promise<Outcome> {
    const node = nodeOf(request);
    const { config, meta } = await this.node(node);
    requireOwner(meta, from);
    const store = this.#d.api.storage.pubsub;
    for (const item of await store.getItems(this.#d.service as never, node)) {
      await store.retract(this.#d.service as never, node, item.id);
    }
    if (config["pubsub#notify_retract"] === "false") return {};
    return { after: () => notify(this.#d, meta, config, xml("purge", { node })) };
  }

  /** XEP-0060 §7.1: publish an item; §7.1.5: publish-options are preconditions. */
  async publish(from: Jid, request: Element, options: Element | undefined): Promise<Outcome> {
    const node = nodeOf(request);
    const { config, meta } = await this.node(node);
    requirePublisher(meta, config, from);
    const item = publishedItem(request, {
      publisher: from.full,
      stamp: this.#d.api.now(),
      newId: () => this.#d.api.randomId(),
      maxItemBytes: this.#d.maxItemBytes,
    });
    checkPreconditions(config, formFields(options), this.#d.policy);
    if (config["pubsub#persist_items"] !== "false") {
      await this.#d.api.storage.pubsub.publish(
        this.#d.service as never,
        node,
        item,
        maxItems(config, this.#d.policy),
      );
    }
    return {
      payload: xml(
        "pubsub",
        { xmlns: NS.PUBSUB },
        xml("publish", { node }, xml("item", { id: item.id })),
      ),
      after: () => this.#notifyItem(node, meta, config, item),
    };
  }

  async #notifyItem(node: string, meta: NodeMeta, config: NodeConfig, item: PubsubItem) {
    if (config["pubsub#deliver_notifications"] === "false") return;
    const payloads = config["pubsub#deliver_payloads"] !== "false";
    await notify(this.#d, meta, config, xml("items", { node }, itemElement(item, payloads)));
  }

  /** XEP-0060 §7.2: retract an item; notify when asked or configured (notify_retract). */
  async retract(from: Jid, request: Element): Promise<Outcome> {
    const node = nodeOf(request);
    const { config, meta } = await this.node(node);
    const affiliation = meta.affiliations[from.bare];
    // XEP-0060 §7.2.3.1: only owners and publishers retract.
    if (affiliation !== "owner" && affiliation !== "publisher") {
      throw pubsubError("forbidden", "auth");
    }
    const ids = requestedItems(request).ids ?? [];
    if (ids.length !== 1) throw pubsubError("bad-request", "modify", "item-required");
    if (!await this.#d.api.storage.pubsub.retract(this.#d.service as never, node, ids[0])) {
      throw new StanzaError("item-not-found", "cancel");
    }
    const flag = request.attrs.notify;
    const wanted = flag === undefined
      ? config["pubsub#notify_retract"] !== "false"
      : flag === "true" || flag === "1";
    if (!wanted) return {};
    const event = xml("items", { node }, xml("retract", { id: ids[0] }));
    return { after: () => notify(this.#d, meta, config, event) };
  }

  /**
   * Forgets a removed account: its subscriptions and affiliations go; a node it alone owned is
   * deleted (with notifications), so that whoever registers the name later does not own it.
   */
  async removeAccount(jid: Jid): Promise<void> {
    const mine = (s: { jid: string }) => s.jid === jid.bare || s.jid.startsWith(`${jid.bare}/`);
    for await (const doc of this.#d.meta.all()) {
      const { affiliations, subscriptions } = doc.value;
      if (!affiliations[jid.bare] && !subscriptions.some(mine)) continue;
      const owners = Object.entries(affiliations).filter(([, a]) => a === "owner");
      if (owners.length === 1 && owners[0][0] === jid.bare) {
        const outcome = await this.delete(jid, xml("delete", { node: doc.key }));
        await outcome.after?.();
        continue;
      }
      await this.#d.meta.update(doc.key, (m) => {
        if (!m) return m;
        const rest = { ...m.affiliations };
        delete rest[jid.bare];
        return { affiliations: rest, subscriptions: m.subscriptions.filter((s) => !mine(s)) };
      });
    }
  }

  /** XEP-0060 §6.5: items, all, by id, or the newest `max_items`. */
  async items(from: Jid, request: Element): Promise<Outcome> {
    const node = nodeOf(request);
    const { config, meta } = await this.node(node);
    requireAccess(meta, config, from);
    const items = await this.#d.api.storage.pubsub.getItems(
      this.#d.service as never,
      node,
      requestedItems(request),
    );
    return {
      payload: xml(
        "pubsub",
        { xmlns: NS.PUBSUB },
        xml("items", { node }, items.map((i) => itemElement(i))),
      ),
    };
  }
}

// In-memory PubsubStore.
import type { BareJid } from "../jid/jid.ts";
import type { LastPublished, NodeConfig, PubsubItem, PubsubStore } from "./pubsub_store.ts";

interface Node {
  config: NodeConfig;
  items: PubsubItem[]; // newest first
}

export class MemoryPubsubStore implements PubsubStore {
  readonly #nodes = new Map<BareJid, Map<string, Node>>();

  listNodes(owner: BareJid) {
    return Promise.resolve([...(this.#nodes.get(owner)?.keys() ?? [])].sort());
  }
  getNode(owner: BareJid, node: string) {
    return Promise.resolve(this.#nodes.get(owner)?.get(node)?.config);
  }
  setNode(owner: BareJid, node: string, config: NodeConfig) {
    const nodes = this.#nodes.get(owner) ?? new Map<string, Node>();
    const existing = nodes.get(node);
    nodes.set(node, { config: { ...config }, items: existing?.items ?? [] });
    this.#nodes.set(owner, nodes);
    return Promise.resolve();
  }
  deleteNode(owner: BareJid, node: string) {
    return Promise.resolve(this.#nodes.get(owner)?.delete(node) ?? false);
  }
  publish(owner: BareJid, node: string, item: PubsubItem, maxItems: number) {
    const n = this.#nodes.get(owner)?.get(node);
    if (!n) return Promise.reject(new Error(`Cannot publish to node "${node}": no such node`));
    n.items = [item, ...n.items.filter((i) => i.id !== item.id)].slice(0, Math.max(1, maxItems));
    return Promise.resolve();
  }
  getItems(
    owner: BareJid,
    node: string,
    options?: { readonly ids?: readonly string[]; readonly max?: number },
  ) {
    const items = this.#nodes.get(owner)?.get(node)?.items ?? [];
    if (options?.ids) {
      const ids = new Set(options.ids);
      return Promise.resolve(items.filter((i) => ids.has(i.id)));
    }
    return Promise.resolve(items.slice(0, options?.max ?? items.length));
  }
  lastItems(owners: readonly BareJid[], nodes: readonly string[]) {
    const found: LastPublished[] = [];
    for (const owner of new Set(owners)) {
      for (const node of new Set(nodes)) {
        const n = this.#nodes.get(owner)?.get(node);
        if (n?.items[0]) found.push({ owner, node, config: { ...n.config }, item: n.items[0] });
      }
    }
    return Promise.resolve(found);
  }
  retract(owner: BareJid, node: string, id: string) {
    const n = this.#nodes.get(owner)?.get(node);
    if (!n || !n.items.some((i) => i.id === id)) return Promise.resolve(false);
    n.items = n.items.filter((i) => i.id !== id);
    return Promise.resolve(true);
  }
  removeAll(owner: BareJid) {
    this.#nodes.delete(owner);
    return Promise.resolve();
  }
}

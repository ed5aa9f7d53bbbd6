// In-memory message archive and pubsub stores.
import type { BareJid } from "../jid/jid.ts";
import type { ArchivedMessage, ArchivePage, ArchiveQuery, ArchiveStore } from "./archive_store.ts";
import type { NodeConfig, PubsubItem, PubsubStore } from "./pubsub_store.ts";

export class MemoryArchiveStore implements ArchiveStore {
  readonly #archives = new Map<BareJid, ArchivedMessage[]>();

  append(owner: BareJid, message: ArchivedMessage) {
    const list = this.#archives.get(owner) ?? [];
    list.push(message);
    this.#archives.set(owner, list);
    return Promise.resolve();
  }

  query(owner: BareJid, q: ArchiveQuery): Promise<ArchivePage> {
    let all = (this.#archives.get(owner) ?? []).filter((m) =>
      (q.with === undefined || m.with === q.with) &&
      (q.start === undefined || m.stamp >= q.start) &&
      (q.end === undefined || m.stamp <= q.end)
    );
    const count = all.length;
    if (q.after !== undefined) {
      const i = all.findIndex((m) => m.id === q.after);
      all = i === -1 ? [] : all.slice(i + 1);
    }
    if (q.before !== undefined && q.before !== "") {
      const i = all.findIndex((m) => m.id === q.before);
      all = i === -1 ? [] : all.slice(0, i);
    }
    if (q.before !== undefined) {
      // Paging backwards: the last `max` messages.
      const messages = all.slice(Math.max(0, all.length - q.max));
      return Promise.resolve({ messages, complete: all.length <= q.max, count });
    }
    return Promise.resolve({
      messages: all.slice(0, q.max),
      complete: all.length <= q.max,
      count,
    });
  }

  removeAll(owner: BareJid) {
    this.#archives.delete(owner);
    return Promise.resolve();
  }
}

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

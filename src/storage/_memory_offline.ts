// In-memory OfflineStore.
import type { BareJid } from "../jid/jid.ts";
import type { OfflineMessage, OfflineStore } from "./offline_store.ts";

export class MemoryOfflineStore implements OfflineStore {
  readonly #queues = new Map<BareJid, OfflineMessage[]>();
  #seq = 0;

  push(owner: BareJid, stanza: string, stamp: Date, limit: number) {
    const queue = this.#queues.get(owner) ?? [];
    if (queue.length >= limit) return Promise.resolve(undefined);
    const message: OfflineMessage = { id: String(++this.#seq), stamp, stanza };
    queue.push(message);
    this.#queues.set(owner, queue);
    return Promise.resolve(message);
  }
  list(owner: BareJid) {
    return Promise.resolve([...(this.#queues.get(owner) ?? [])]);
  }
  count(owner: BareJid) {
    return Promise.resolve(this.#queues.get(owner)?.length ?? 0);
  }
  remove(owner: BareJid, ids: readonly string[]) {
    const gone = new Set(ids);
    const rest = (this.#queues.get(owner) ?? []).filter((m) => !gone.has(m.id));
    if (rest.length) this.#queues.set(owner, rest);
    else this.#queues.delete(owner);
    return Promise.resolve();
  }
  removeAll(owner: BareJid) {
    this.#queues.delete(owner);
    return Promise.resolve();
  }
}

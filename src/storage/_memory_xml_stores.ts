// In-memory vCard, private XML and block list stores.
import type { BareJid } from "../jid/jid.ts";
import type { BlocklistStore, PrivateStore, VcardStore } from "./xml_stores.ts";

export class MemoryVcardStore implements VcardStore {
  readonly #cards = new Map<BareJid, string>();
  get(owner: BareJid) {
    return Promise.resolve(this.#cards.get(owner));
  }
  set(owner: BareJid, vcard: string | undefined) {
    if (vcard === undefined) this.#cards.delete(owner);
    else this.#cards.set(owner, vcard);
    return Promise.resolve();
  }
}

export class MemoryPrivateStore implements PrivateStore {
  readonly #docs = new Map<string, string>();
  #key(owner: BareJid, name: string, xmlns: string) {
    return `${owner}\u0000${name}\u0000${xmlns}`;
  }
  get(owner: BareJid, name: string, xmlns: string) {
    return Promise.resolve(this.#docs.get(this.#key(owner, name, xmlns)));
  }
  set(owner: BareJid, name: string, xmlns: string, fragment: string | undefined) {
    const key = this.#key(owner, name, xmlns);
    if (fragment === undefined) this.#docs.delete(key);
    else this.#docs.set(key, fragment);
    return Promise.resolve();
  }
  removeAll(owner: BareJid) {
    for (const key of [...this.#docs.keys()]) {
      if (key.startsWith(`${owner}\u0000`)) this.#docs.delete(key);
    }
    return Promise.resolve();
  }
}

export class MemoryBlocklistStore implements BlocklistStore {
  readonly #lists = new Map<BareJid, Set<string>>();
  list(owner: BareJid) {
    return Promise.resolve([...(this.#lists.get(owner) ?? [])].sort());
  }
  add(owner: BareJid, jids: readonly string[]) {
    const set = this.#lists.get(owner) ?? new Set<string>();
    const added = [...new Set(jids)].filter((j) => !set.has(j));
    for (const j of added) set.add(j);
    this.#lists.set(owner, set);
    return Promise.resolve(added);
  }
  listMany(owners: readonly BareJid[]) {
    return Promise.resolve(
      new Map(owners.map((o) => [o, [...(this.#lists.get(o) ?? [])].sort()] as const)),
    );
  }
  remove(owner: BareJid, jids: readonly string[] | undefined) {
    const set = this.#lists.get(owner) ?? new Set<string>();
    const removed = jids === undefined ? [...set] : [...new Set(jids)].filter((j) => set.has(j));
    for (const j of removed) set.delete(j);
    return Promise.resolve(removed.sort());
  }
}

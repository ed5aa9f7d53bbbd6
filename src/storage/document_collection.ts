/**
 * A typed view of one namespace of the {@linkcode DocumentStore}: what a module holds on to.
 *
 * @module
 */
import type {
  DocumentListOptions,
  DocumentPage,
  DocumentStore,
  DocumentUpdater,
  DocumentWriteOptions,
  StoredDocument,
} from "./document_store.ts";

/** The documents of one namespace, with values of type `T`. */
export interface DocumentCollection<T> {
  /** The namespace. */
  readonly ns: string;
  /** The value, or `undefined`. */
  get(key: string): Promise<T | undefined>;
  /** The value with its version, or `undefined`. */
  entry(key: string): Promise<StoredDocument<T> | undefined>;
  /** Stores a value. @returns The new version, or `undefined` when `ifVersion` did not match. */
  put(key: string, value: T, options?: DocumentWriteOptions): Promise<number | undefined>;
  /** Removes a document. @returns `false` when there was none or `ifVersion` did not match. */
  delete(key: string, options?: DocumentWriteOptions): Promise<boolean>;
  /** One page of documents, in key order. */
  list(options?: DocumentListOptions): Promise<DocumentPage<T>>;
  /** Every document (whose key starts with `prefix`), page by page, in key order. */
  all(prefix?: string): AsyncIterable<StoredDocument<T>>;
  /** Removes every document, or those whose key starts with `prefix`. @returns How many. */
  deleteAll(prefix?: string): Promise<number>;
  /** Changes a value atomically; see {@linkcode DocumentStore.update}. @returns The new value. */
  update(key: string, fn: DocumentUpdater<T>): Promise<T | undefined>;
}

/** Options of {@linkcode documentCollection}. */
export interface DocumentCollectionOptions<T> {
  /**
   * Checks (and upgrades) a value read back; throw to reject it. Default: trust the store.
   * Runs on every read, and before `update` hands the current value to its function.
   */
  readonly parse?: (value: unknown) => T;
}

/**
 * A typed view of one namespace: a module's own store.
 *
 * @param storage The storage (or anything with its `documents`).
 * @param ns The namespace, e.g. the module's name.
 * @param options How values are checked when read.
 * @returns The collection.
 * @example
 * ```ts
 * import { documentCollection } from "./document_collection.ts";
 * import { memoryStorage } from "./memory.ts";
 * interface Room { readonly name: string; readonly members: string[] }
 * const rooms = documentCollection<Room>(memoryStorage(), "muc:rooms");
 * await rooms.put("tea@conference.example.org", { name: "Tea", members: [] });
 * await rooms.update("tea@conference.example.org", (r) => r && { ...r, members: ["a@b"] });
 * const room = await rooms.get("tea@conference.example.org");
 * if (room?.members[0] !== "a@b") throw new Error();
 * ```
 */
export function documentCollection<T>(
  storage: { readonly documents: DocumentStore },
  ns: string,
  options: DocumentCollectionOptions<T> = {},
): DocumentCollection<T> {
  const store = storage.documents;
  const parse = options.parse ?? ((v: unknown) => v as T);
  const typed = (d: StoredDocument): StoredDocument<T> => ({ ...d, value: parse(d.value) });
  const collection: DocumentCollection<T> = {
    ns,
    async get(key) {
      const d = await store.get(ns, key);
      return d && parse(d.value);
    },
    async entry(key) {
      const d = await store.get(ns, key);
      return d && typed(d);
    },
    put: (key, value, o) => store.put(ns, key, value, o),
    delete: (key, o) => store.delete(ns, key, o),
    async list(o) {
      const page = await store.list(ns, o);
      return { documents: page.documents.map(typed), complete: page.complete };
    },
    async *all(prefix) {
      let after: string | undefined;
      for (;;) {
        const page = await store.list(ns, { prefix, after, limit: 500 });
        for (const d of page.documents) yield typed(d);
        if (page.complete || page.documents.length === 0) return;
        after = page.documents[page.documents.length - 1].key;
      }
    },
    deleteAll: (prefix) => store.deleteAll(ns, prefix),
    async update(key, fn) {
      // The untyped current value is kept so that returning it unchanged writes nothing.
      const d = await store.update(ns, key, (current) => {
        if (current === undefined) return fn(undefined);
        const value = parse(current);
        const next = fn(value);
        const same = (n: T | undefined) => n === value ? current : n;
        return next instanceof Promise ? next.then(same) : same(next);
      });
      return d && parse(d.value);
    },
  };
  return collection;
}

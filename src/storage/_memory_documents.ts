// In-memory DocumentStore: values kept as JSON text, so they read back as from a database.
// A refused argument rejects (never throws), as with the database drivers.
import {
  checkDocumentKey,
  compareDocumentKeys,
  documentJson,
  type DocumentListOptions,
  type DocumentPage,
  documentPageSize,
  type DocumentStore,
  type DocumentUpdater,
  type DocumentWriteOptions,
  type StoredDocument,
  updateDocument,
} from "./document_store.ts";

function attempt<T>(f: () => T): Promise<T> {
  try {
    return Promise.resolve(f());
  } catch (e) {
    return Promise.reject(e);
  }
}

interface Entry {
  readonly json: string;
  readonly version: number;
}

export class MemoryDocumentStore implements DocumentStore {
  readonly #namespaces = new Map<string, Map<string, Entry>>();

  get(ns: string, key: string): Promise<StoredDocument | undefined> {
    return attempt(() => {
      checkDocumentKey(ns, key);
      const e = this.#namespaces.get(ns)?.get(key);
      return e && { key, value: JSON.parse(e.json), version: e.version };
    });
  }

  put(
    ns: string,
    key: string,
    value: unknown,
    options: DocumentWriteOptions = {},
  ): Promise<number | undefined> {
    return attempt(() => {
      checkDocumentKey(ns, key);
      const json = documentJson(value);
      const docs = this.#namespaces.get(ns) ?? new Map<string, Entry>();
      const version = docs.get(key)?.version ?? 0;
      if (options.ifVersion !== undefined && options.ifVersion !== version) {
        return undefined;
      }
      docs.set(key, { json, version: version + 1 });
      this.#namespaces.set(ns, docs);
      return version + 1;
    });
  }

  delete(ns: string, key: string, options: DocumentWriteOptions = {}): Promise<boolean> {
    return attempt(() => {
      checkDocumentKey(ns, key);
      const docs = this.#namespaces.get(ns);
      const e = docs?.get(key);
      if (!e || (options.ifVersion !== undefined && options.ifVersion !== e.version)) {
        return false;
      }
      docs!.delete(key);
      if (docs!.size === 0) this.#namespaces.delete(ns);
      return true;
    });
  }

  list(ns: string, options: DocumentListOptions = {}): Promise<DocumentPage> {
    return attempt(() => {
      const limit = documentPageSize(options.limit);
      const prefix = options.prefix ?? "";
      checkDocumentKey(ns, prefix);
      if (options.after !== undefined) checkDocumentKey(ns, options.after);
      const after = options.after;
      const keys = [...this.#namespaces.get(ns)?.keys() ?? []]
        .filter((k) =>
          k.startsWith(prefix) && (after === undefined || compareDocumentKeys(k, after) > 0)
        )
        .sort(compareDocumentKeys);
      const docs = this.#namespaces.get(ns);
      const documents = keys.slice(0, limit).map((key) => {
        const e = docs!.get(key)!;
        return { key, value: JSON.parse(e.json), version: e.version };
      });
      return { documents, complete: keys.length <= limit };
    });
  }

  deleteAll(ns: string, prefix = ""): Promise<number> {
    return attempt(() => {
      checkDocumentKey(ns, prefix);
      const docs = this.#namespaces.get(ns);
      let n = 0;
      for (const key of [...docs?.keys() ?? []]) {
        if (key.startsWith(prefix)) {
          docs!.delete(key);
          n++;
        }
      }
      if (docs?.size === 0) this.#namespaces.delete(ns);
      return n;
    });
  }

  update(ns: string, key: string, fn: DocumentUpdater): Promise<StoredDocument | undefined> {
    return updateDocument(this, ns, key, fn);
  }
}

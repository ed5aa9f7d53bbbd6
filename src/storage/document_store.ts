/**
 * Module-owned storage: a namespaced key → JSON document store with compare-and-set, for what a
 * module keeps beyond the fixed stores (MUC rooms and affiliations, MAM preferences, push
 * registrations, upload quotas, FAST tokens…). XML goes in as a string written by `storeXml`.
 *
 * Keys sort in Unicode code point order (the order of UTF-8 bytes, PostgreSQL's `"C"`
 * collation), on every driver alike.
 *
 * @module
 */

/** One stored document. */
export interface StoredDocument<T = unknown> {
  /** The key, unique within its namespace. */
  readonly key: string;
  /** The value, as read back from JSON. */
  readonly value: T;
  /** Starts at 1 and grows by one with every write of the key: the token of compare-and-set. */
  readonly version: number;
}

/** Compare-and-set for {@linkcode DocumentStore.put} and {@linkcode DocumentStore.delete}. */
export interface DocumentWriteOptions {
  /**
   * Write only when the document's current version is this one; `0`: only when there is no
   * such document. Left out: write whatever is stored.
   */
  readonly ifVersion?: number;
}

/** Which documents {@linkcode DocumentStore.list} returns. */
export interface DocumentListOptions {
  /** Only keys that start with this. */
  readonly prefix?: string;
  /** Only keys after this one (the last key of the previous page). */
  readonly after?: string;
  /** Page size, 1 to {@linkcode DOCUMENT_LIMITS}`.maxPage`; default 100. */
  readonly limit?: number;
}

/** A page of documents, ordered by key. */
export interface DocumentPage<T = unknown> {
  /** The documents, in key order. */
  readonly documents: readonly StoredDocument<T>[];
  /** Whether no key follows this page (within the prefix). */
  readonly complete: boolean;
}

/**
 * Computes a document's next value from its current one (`undefined` when there is none).
 * Returns the new value; `undefined` to delete the document; or `current` itself (the same
 * object, or an equal primitive) to leave it as it is. It may run more than once, when another
 * writer got in between: keep it free of side effects.
 */
export type DocumentUpdater<T = unknown> = (
  current: T | undefined,
) => T | undefined | Promise<T | undefined>;

/**
 * Documents keyed by namespace and key. Every write is durable when it resolves.
 *
 * Values are JSON: what is read back is `JSON.parse(JSON.stringify(value))`, except that the
 * order of object keys is not kept. Strings in a value cannot hold U+0000 or a lone surrogate
 * (PostgreSQL cannot store them): such a value is refused with a `TypeError`.
 */
export interface DocumentStore {
  /** The document, or `undefined`. */
  get(ns: string, key: string): Promise<StoredDocument | undefined>;
  /**
   * Stores a value under a key.
   * @returns The new version, or `undefined` when `ifVersion` did not match (nothing written).
   */
  put(
    ns: string,
    key: string,
    value: unknown,
    options?: DocumentWriteOptions,
  ): Promise<number | undefined>;
  /**
   * Removes a document.
   * @returns `false` when there was none, or `ifVersion` did not match.
   */
  delete(ns: string, key: string, options?: DocumentWriteOptions): Promise<boolean>;
  /** One page of a namespace's documents, in key order. */
  list(ns: string, options?: DocumentListOptions): Promise<DocumentPage>;
  /**
   * Removes a namespace's documents, or those whose key starts with `prefix`.
   * @returns How many were removed.
   */
  deleteAll(ns: string, prefix?: string): Promise<number>;
  /**
   * Reads, changes and writes a document atomically (by compare-and-set: `fn` runs again when
   * another writer changed the document in between).
   * @returns The document as stored afterwards, or `undefined` when there is none.
   * @throws {Error} The document kept changing under `fn` ({@linkcode DOCUMENT_LIMITS}`.maxAttempts`).
   */
  update(ns: string, key: string, fn: DocumentUpdater): Promise<StoredDocument | undefined>;
}

/**
 * The limits every driver enforces alike.
 *
 * @example
 * ```ts
 * import { DOCUMENT_LIMITS } from "./document_store.ts";
 * import { memoryStorage } from "./memory.ts";
 * const { documents } = memoryStorage();
 * const page = await documents.list("muc:rooms", { limit: DOCUMENT_LIMITS.maxPage });
 * if (!page.complete) throw new Error();
 * ```
 */
export const DOCUMENT_LIMITS: {
  readonly maxNamespaceBytes: number;
  readonly maxKeyBytes: number;
  readonly maxPage: number;
  readonly maxAttempts: number;
} = {
  /** Namespaces are 1 to 256 bytes of UTF-8. */
  maxNamespaceBytes: 256,
  /** Keys are 0 to 1,024 bytes of UTF-8 (an index entry must stay small). */
  maxKeyBytes: 1024,
  /** The largest page of {@linkcode DocumentStore.list}. */
  maxPage: 1000,
  /** How often {@linkcode DocumentStore.update} tries before it gives up. */
  maxAttempts: 16,
};

const encoder = new TextEncoder();
// Lone surrogates (with U+0000, which PostgreSQL's text and jsonb cannot hold either).
const LONE_SURROGATE = /\p{Cs}/u;

/**
 * Checks a namespace and a key against {@linkcode DOCUMENT_LIMITS}.
 *
 * @param ns The namespace.
 * @param key The key.
 * @throws {TypeError} Either holds U+0000 or a lone surrogate, or the namespace is empty.
 * @throws {RangeError} Either is too long.
 * @example
 * ```ts
 * import { checkDocumentKey } from "./document_store.ts";
 * checkDocumentKey("muc", "room@conference.example.org");
 * let threw = false;
 * try { checkDocumentKey("", "k"); } catch { threw = true; }
 * if (!threw) throw new Error();
 * ```
 */
export function checkDocumentKey(ns: string, key: string): void {
  if (ns === "") throw new TypeError("Cannot use an empty document namespace");
  for (
    const [what, value, max] of [
      ["namespace", ns, DOCUMENT_LIMITS.maxNamespaceBytes],
      ["key", key, DOCUMENT_LIMITS.maxKeyBytes],
    ] as const
  ) {
    if (value.includes("\u0000") || LONE_SURROGATE.test(value)) {
      throw new TypeError(
        `Cannot use document ${what} "${value}": it holds U+0000 or a lone surrogate`,
      );
    }
    if (value.length > max / 3 && encoder.encode(value).length > max) {
      throw new RangeError(
        `Cannot use document ${what} "${value.slice(0, 40)}…": over ${max} bytes`,
      );
    }
  }
}

// An escape JSON.stringify writes for U+0000 or for a lone surrogate, not itself escaped.
const UNSTORABLE_ESCAPE = /(?<!\\)(?:\\\\)*\\u(?:0000|d[89a-f][0-9a-f]{2})/i;

/**
 * Serializes a document value to JSON text, refusing what a driver could not store.
 *
 * @param value A JSON-serializable value.
 * @returns The JSON text.
 * @throws {TypeError} The value has no JSON form (`undefined`, a function, a symbol), cannot be
 * serialized (a `bigint`, a cycle), or a string in it holds U+0000 or a lone surrogate.
 * @example
 * ```ts
 * import { documentJson } from "./document_store.ts";
 * if (documentJson({ a: [1, "x"] }) !== '{"a":[1,"x"]}') throw new Error();
 * ```
 */
export function documentJson(value: unknown): string {
  let text: string | undefined;
  try {
    text = JSON.stringify(value);
  } catch (e) {
    throw new TypeError(`Cannot store a document: ${e instanceof Error ? e.message : e}`);
  }
  if (text === undefined) throw new TypeError(`Cannot store a document of type ${typeof value}`);
  if (UNSTORABLE_ESCAPE.test(text)) {
    throw new TypeError("Cannot store a document: a string in it holds U+0000 or a lone surrogate");
  }
  return text;
}

/**
 * Checks a {@linkcode DocumentListOptions.limit}.
 *
 * @param limit The requested page size.
 * @returns The page size to use.
 * @throws {RangeError} Not an integer from 1 to {@linkcode DOCUMENT_LIMITS}`.maxPage`.
 * @example
 * ```ts
 * import { documentPageSize } from "./document_store.ts";
 * if (documentPageSize(undefined) !== 100) throw new Error();
 * ```
 */
export function documentPageSize(limit: number | undefined): number {
  const n = limit ?? 100;
  if (!Number.isInteger(n) || n < 1 || n > DOCUMENT_LIMITS.maxPage) {
    throw new RangeError(
      `Cannot list documents with limit ${n}: use 1 to ${DOCUMENT_LIMITS.maxPage}`,
    );
  }
  return n;
}

/**
 * Orders keys by Unicode code point, like UTF-8 bytes and PostgreSQL's `"C"` collation (plain
 * `<` on strings compares UTF-16 units, which puts U+10000 and up before U+E000).
 *
 * @param a A well-formed string.
 * @param b Another.
 * @returns Negative, zero or positive, as for `Array.prototype.sort`.
 * @example
 * ```ts
 * import { compareDocumentKeys } from "./document_store.ts";
 * const keys = ["\u{1F600}", "\uFFFD", "b", "a"].sort(compareDocumentKeys);
 * if (keys.join() !== ["a", "b", "\uFFFD", "\u{1F600}"].join()) throw new Error();
 * ```
 */
export function compareDocumentKeys(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x === y) continue;
    // Surrogates (U+D800–U+DFFF, the halves of U+10000 and up) go after U+E000–U+FFFF.
    const shift = (c: number) => c >= 0xe000 ? c - 0x800 : c >= 0xd800 ? c + 0x2000 : c;
    return shift(x) - shift(y);
  }
  return a.length - b.length;
}

/**
 * The smallest string after every string that starts with `prefix`, in code point order: the
 * exclusive upper bound of a prefix range. `undefined` when there is none.
 *
 * @param prefix A well-formed string.
 * @returns The bound.
 * @example
 * ```ts
 * import { prefixEnd } from "./document_store.ts";
 * if (prefixEnd("room:") !== "room;") throw new Error();
 * if (prefixEnd("") !== undefined) throw new Error();
 * ```
 */
export function prefixEnd(prefix: string): string | undefined {
  const points = [...prefix];
  while (points.length > 0) {
    const last = points.pop()!.codePointAt(0)!;
    if (last < 0x10ffff) {
      points.push(String.fromCodePoint(last === 0xd7ff ? 0xe000 : last + 1));
      return points.join("");
    }
  }
  return undefined;
}

/**
 * {@linkcode DocumentStore.update} on top of `get` and `put`/`delete` with `ifVersion`: what
 * every driver runs.
 *
 * @param store The store.
 * @param ns The namespace.
 * @param key The key.
 * @param fn Computes the next value.
 * @returns The document as stored afterwards, or `undefined` when there is none.
 * @example
 * ```ts
 * import { updateDocument } from "./document_store.ts";
 * import { memoryStorage } from "./memory.ts";
 * const { documents } = memoryStorage();
 * await updateDocument(documents, "counters", "a", (n) => ((n as number | undefined) ?? 0) + 1);
 * const doc = await updateDocument(documents, "counters", "a", (n) => (n as number) + 1);
 * if (doc?.value !== 2 || doc.version !== 2) throw new Error();
 * ```
 */
export async function updateDocument(
  store: Pick<DocumentStore, "get" | "put" | "delete">,
  ns: string,
  key: string,
  fn: DocumentUpdater,
): Promise<StoredDocument | undefined> {
  checkDocumentKey(ns, key);
  for (let attempt = 0; attempt < DOCUMENT_LIMITS.maxAttempts; attempt++) {
    const current = await store.get(ns, key);
    const next = await fn(current?.value);
    if (current !== undefined && next === current.value) return current;
    if (next === undefined) {
      if (current === undefined) return undefined;
      if (await store.delete(ns, key, { ifVersion: current.version })) return undefined;
      continue;
    }
    const json = documentJson(next);
    const version = await store.put(ns, key, next, { ifVersion: current?.version ?? 0 });
    if (version !== undefined) return { key, value: JSON.parse(json), version };
  }
  throw new Error(
    `Cannot update document "${key}" in "${ns}": it kept changing (${DOCUMENT_LIMITS.maxAttempts} attempts)`,
  );
}

// Private to the MAM module: archiving preferences (XEP-0313 §6), their XML, where they are
// kept (the document store) and a bounded cache, so that the path of a message reads none.
import { StanzaError } from "../base/stanza_error.ts";
import type { BareJid } from "../jid/jid.ts";
import { tryParseJid } from "../jid/jid.ts";
import type { ModuleApi } from "../module/module_api.ts";
import { child, type Element, elements, text, xml } from "../xml/element.ts";
import { NS } from "../xml/ns.ts";

/** Which messages an account archives by default (XEP-0313 §6). */
export type MamDefault = "always" | "never" | "roster";

/** An account's archiving preferences. */
export interface MamPrefs {
  /** For contacts on neither list. */
  readonly default: MamDefault;
  /** JIDs whose messages are always archived. */
  readonly always: readonly string[];
  /** JIDs whose messages are never archived (wins over `always`). */
  readonly never: readonly string[];
}

const DEFAULTS = new Set<string>(["always", "never", "roster"]);

/** Where preferences are kept, one document per account. */
export const PREFS_NS = `${NS.MAM}#prefs`;

function jidList(list: Element | undefined): string[] {
  if (!list) return [];
  const out = new Set<string>();
  for (const el of elements(list, "jid", NS.MAM)) {
    const jid = tryParseJid(text(el).trim());
    if (!jid) throw new StanzaError("jid-malformed", "modify", `Cannot read JID "${text(el)}"`);
    out.add(jid.full);
  }
  return [...out];
}

/**
 * Reads a `<prefs/>` set by a client.
 *
 * @throws {StanzaError} bad-request for a missing or unknown `default`, jid-malformed for a
 * JID that cannot be prepared.
 */
export function readPrefs(prefs: Element): MamPrefs {
  const def = prefs.attrs.default;
  if (def === undefined || !DEFAULTS.has(def)) {
    throw new StanzaError("bad-request", "modify", `Unknown default "${def ?? ""}"`);
  }
  return {
    default: def as MamDefault,
    always: jidList(child(prefs, "always", NS.MAM)),
    never: jidList(child(prefs, "never", NS.MAM)),
  };
}

/** The `<prefs/>` element of preferences (XEP-0313 §6.1). */
export function prefsElement(prefs: MamPrefs): Element {
  const list = (name: string, jids: readonly string[]) =>
    xml(name, null, ...jids.map((j) => xml("jid", null, j)));
  return xml(
    "prefs",
    { xmlns: NS.MAM, default: prefs.default },
    list("always", prefs.always),
    list("never", prefs.never),
  );
}

/**
 * The preferences of accounts, read once and kept (a bounded number, least recently used
 * first out). Only accounts that exist are kept, so a message to one that does not is never
 * archived.
 */
export class PrefsCache {
  readonly #api: ModuleApi;
  readonly #fallback: MamPrefs;
  readonly #limit: number;
  readonly #cache = new Map<BareJid, MamPrefs>();

  constructor(api: ModuleApi, fallback: MamDefault, limit: number) {
    this.#api = api;
    this.#fallback = { default: fallback, always: [], never: [] };
    this.#limit = limit;
  }

  /** An account's preferences, or `undefined` when there is no such account. */
  get(owner: BareJid): MamPrefs | undefined | Promise<MamPrefs | undefined> {
    const cached = this.#cache.get(owner);
    if (!cached) return this.#load(owner);
    this.#cache.delete(owner);
    this.#cache.set(owner, cached);
    return cached;
  }

  async #load(owner: BareJid): Promise<MamPrefs | undefined> {
    const doc = await this.#api.storage.documents.get(PREFS_NS, owner);
    if (!doc && !await this.#api.accountExists(owner)) return undefined;
    const prefs = (doc?.value as MamPrefs | undefined) ?? this.#fallback;
    this.#keep(owner, prefs);
    return prefs;
  }

  #keep(owner: BareJid, prefs: MamPrefs): void {
    this.#cache.delete(owner);
    this.#cache.set(owner, prefs);
    if (this.#cache.size > this.#limit) {
      this.#cache.delete(this.#cache.keys().next().value!);
    }
  }

  /** Stores an account's preferences. */
  async set(owner: BareJid, prefs: MamPrefs): Promise<void> {
    await this.#api.storage.documents.put(PREFS_NS, owner, prefs);
    this.#keep(owner, prefs);
  }

  /** Forgets what is kept of an account (removed, or changed elsewhere). */
  forget(owner: BareJid): void {
    this.#cache.delete(owner);
  }
}

/**
 * Whether a message exchanged with `contact` goes into the archive (XEP-0313 §6): the lists
 * first (`never` wins), then the default; "roster" asks whether the contact is in the roster.
 */
export function archives(
  prefs: MamPrefs,
  contact: BareJid,
  inRoster: () => Promise<boolean>,
): boolean | Promise<boolean> {
  if (prefs.never.includes(contact)) return false;
  if (prefs.always.includes(contact)) return true;
  if (prefs.default === "roster") return inRoster();
  return prefs.default === "always";
}

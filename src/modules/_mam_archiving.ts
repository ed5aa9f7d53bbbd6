// Private to the MAM module: which messages go into which archive, and the XEP-0359
// <stanza-id/> of the recipient's copy. Writes are not awaited on the path of a message (they
// are batched by the drivers); a query waits for its owner's writes in flight.
import type { BareJid } from "../jid/jid.ts";
import type { ModuleApi } from "../module/module_api.ts";
import type { RouteEvent } from "../hooks/server_hooks.ts";
import { messageType } from "../router/delivery.ts";
import { storeXml } from "../storage/stored_xml.ts";
import { type Element, xml } from "../xml/element.ts";
import { NS } from "../xml/ns.ts";
import { archives, type PrefsCache } from "./_mam_prefs.ts";

/**
 * Whether a message belongs in a user's archive (XEP-0313 §7.1.1): `chat` and `normal` with a
 * body, unless an XEP-0334 `<no-store/>` or `<no-permanent-store/>` hint says otherwise; a
 * `<store/>` hint archives any `chat` or `normal` message.
 */
export function archivable(message: Element): boolean {
  const type = messageType(message);
  if (type !== "chat" && type !== "normal") return false;
  let body = false;
  let store = false;
  for (const c of message.children) {
    if (typeof c === "string") continue;
    if (c.xmlns === NS.HINTS) {
      if (c.name === "no-store" || c.name === "no-permanent-store") return false;
      if (c.name === "store") store = true;
    } else if (c.name === "body") body = true;
  }
  return body || store;
}

/** The message without the `<stanza-id/>` elements that claim to be by one of `bys`. */
export function stripStanzaIds(message: Element, bys: readonly string[]): Element {
  const ours = (c: Element | string) =>
    typeof c !== "string" && c.name === "stanza-id" && c.xmlns === NS.STANZA_ID &&
    bys.includes(c.attrs.by ?? "");
  // No copy for the common case: nothing to strip.
  if (!message.children.some(ours)) return message;
  return { ...message, children: message.children.filter((c) => !ours(c)) };
}

/** Writes in flight, per owner. */
export class PendingWrites {
  readonly #pending = new Map<BareJid, Set<Promise<void>>>();

  /** Tracks a write; `onError` gets its failure (one promise more per write, no other). */
  add(owner: BareJid, write: Promise<void>, onError: (e: unknown) => void): void {
    let set = this.#pending.get(owner);
    if (!set) this.#pending.set(owner, set = new Set());
    set.add(write);
    const done = () => {
      set.delete(write);
      if (set.size === 0 && this.#pending.get(owner) === set) this.#pending.delete(owner);
    };
    write.then(done, (e) => {
      done();
      onError(e);
    });
  }

  /** Resolves once every write of `owner` issued so far has settled. */
  async settled(owner: BareJid): Promise<void> {
    const set = this.#pending.get(owner);
    if (set) await Promise.allSettled([...set]);
  }

  /** Resolves once every write has settled (unload). */
  async all(): Promise<void> {
    await Promise.allSettled([...this.#pending.values()].flatMap((s) => [...s]));
  }
}

/** Archives messages as the router routes them. */
export class Archiver {
  readonly #api: ModuleApi;
  readonly #prefs: PrefsCache;
  readonly pending: PendingWrites = new PendingWrites();

  constructor(api: ModuleApi, prefs: PrefsCache) {
    this.#api = api;
    this.#prefs = prefs;
  }

  /** Appends to `owner`'s archive when its preferences say so; returns the new id. */
  async #archive(
    owner: BareJid,
    contact: BareJid,
    direction: "in" | "out",
    stanza: string,
    stamp: Date,
  ): Promise<string | undefined> {
    const prefs = await this.#prefs.get(owner);
    if (!prefs) return undefined;
    const inRoster = async () =>
      await this.#api.storage.roster.getItem(owner, contact) !== undefined;
    if (!await archives(prefs, contact, inRoster)) return undefined;
    const id = this.#api.randomId();
    const write = this.#api.storage.archive.append(owner, {
      id,
      stamp,
      with: contact,
      direction,
      stanza,
    });
    this.pending.add(owner, write, (e) => {
      this.#api.logger.error("Cannot archive a message", {
        jid: owner,
        id,
        error: e instanceof Error ? e.message : String(e),
      });
    });
    return id;
  }

  /**
   * The `stanza/route` handler: strips `<stanza-id/>` elements that claim to be by the sender's
   * or the recipient's account (XEP-0359 §5), archives the message in the sender's archive
   * ("out") and the recipient's ("in") when they are local accounts, and gives the recipient's
   * copy its `<stanza-id by='recipient'/>`, so that carbons, offline storage and resumption
   * deliver the same id the archive has.
   */
  async route(ev: RouteEvent): Promise<void> {
    if (ev.stanza.name !== "message") return;
    const { from, to } = ev;
    const router = this.#api.router;
    const toAccount = to.local !== "" && router.isLocal(to.domain);
    const fromAccount = from.local !== "" && router.isLocal(from.domain);
    if (!toAccount && !fromAccount) return;
    const claimed = [...(toAccount ? [to.bare] : []), ...(fromAccount ? [from.bare] : [])];
    const message = stripStanzaIds(ev.stanza, claimed);
    ev.stanza = message;
    if (!archivable(message)) return;
    const stamp = this.#api.now();
    const stored = storeXml(message);
    // A message to oneself is archived once, as received; one to the server, not at all.
    const toServer = to.local === "" && router.isLocal(to.domain);
    if (fromAccount && !toServer && from.bare !== to.bare) {
      await this.#archive(from.bare, to.bare, "out", stored, stamp);
    }
    if (!toAccount) return;
    const id = await this.#archive(to.bare, from.bare, "in", stored, stamp);
    if (id === undefined) return;
    // XEP-0359 §3: the archiving entity's id, `by` its own (the account's bare) JID.
    const sid = xml("stanza-id", { xmlns: NS.STANZA_ID, by: to.bare, id });
    ev.stanza = { ...message, children: [...message.children, sid] };
  }
}

/** The id of the `<stanza-id/>` by `by` in a message, if any. */
export function stanzaIdBy(message: Element, by: string): string | undefined {
  for (const c of message.children) {
    if (typeof c === "string" || c.name !== "stanza-id" || c.xmlns !== NS.STANZA_ID) continue;
    if (c.attrs.by === by) return c.attrs.id;
  }
  return undefined;
}

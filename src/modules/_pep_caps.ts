// Private to the PEP module: what each available local resource can do, learned from the
// XEP-0115 <c/> element of its presence, verified and cached by `ver` (XEP-0115 §5.4, §8.4).
import type { ModuleApi } from "../module/module_api.ts";
import type { StanzaEvent } from "../hooks/server_hooks.ts";
import { child, xml } from "../xml/element.ts";
import { NS } from "../xml/ns.ts";
import { setBounded } from "../util/bounded_map.ts";
import { type CapsInfo, capsOf, capsVer } from "./caps.ts";

const MAX_PENDING = 1000;
/** Distinct `ver`s remembered (verified, or being asked about); clients choose them. */
const MAX_VERS = 10_000;
/** After this long without an answer, the next presence with the same `ver` asks again. */
const RETRY_MS = 30_000;

/** Learns and remembers the disco#info features of available local resources. */
export class CapsTracker {
  readonly #api: ModuleApi;
  readonly #onLearned: (full: string) => Promise<void>;
  /** Verified features by `ver` (hash:ver). */
  readonly #byVer = new Map<string, ReadonlySet<string>>();
  /** The caps each available resource announced. */
  readonly #bySession = new Map<string, CapsInfo>();
  /** Resources whose features are known and that have been told about (last items sent). */
  readonly #ready = new Set<string>();
  /** Outstanding disco#info queries by iq id. */
  readonly #pending = new Map<string, { readonly full: string; readonly caps: CapsInfo }>();
  /** `ver`s with a query in flight, and when it was sent. */
  readonly #asking = new Map<string, number>();

  /**
   * @param api The module API (to send disco#info queries).
   * @param onLearned Called once per available resource when its features become known.
   */
  constructor(api: ModuleApi, onLearned: (full: string) => Promise<void>) {
    this.#api = api;
    this.#onLearned = onLearned;
  }

  /** The features of an available resource, when known. */
  features(full: string): ReadonlySet<string> | undefined {
    const caps = this.#bySession.get(full);
    return caps ? this.#byVer.get(key(caps)) : undefined;
  }

  /** Follows a local client's broadcast presence ("presence/server" with no `to`). */
  async presence(ev: StanzaEvent): Promise<void> {
    const { stanza, origin } = ev;
    if (!origin || stanza.attrs.to !== undefined) return;
    const full = origin.jid as string;
    const type = stanza.attrs.type;
    if (type === "unavailable") return this.forget(full);
    if (type !== undefined) return;
    const caps = capsOf(stanza);
    if (!caps) {
      this.forget(full);
      return;
    }
    const previous = this.#bySession.get(full);
    this.#bySession.set(full, caps);
    if (previous && key(previous) !== key(caps)) this.#ready.delete(full);
    if (this.#byVer.has(key(caps))) return this.#learned(full);
    const since = this.#asking.get(key(caps));
    if (since !== undefined && this.#api.now().getTime() - since < RETRY_MS) return;
    // XEP-0115 §6.2: ask the resource itself, with node#ver, once per unknown ver. XEP-0163
    // §6.1: the PEP service, i.e. the account's bare JID, asks (not the server's domain).
    setBounded(this.#asking, key(caps), this.#api.now().getTime(), MAX_VERS);
    if (this.#pending.size >= MAX_PENDING) this.#pending.clear();
    const id = `caps-${this.#api.randomId()}`;
    this.#pending.set(id, { full, caps });
    await this.#api.router.route(
      xml(
        "iq",
        { xmlns: NS.CLIENT, type: "get", id, from: origin.bare, to: full },
        xml("query", { xmlns: NS.DISCO_INFO, node: `${caps.node}#${caps.ver}` }),
      ),
    );
  }

  /**
   * Handles an iq result or error addressed to an account, when it answers one of our queries.
   *
   * @returns `true` when it was ours.
   */
  async response(ev: StanzaEvent): Promise<boolean> {
    const id = ev.stanza.attrs.id;
    const pending = id === undefined ? undefined : this.#pending.get(id);
    if (!pending || ev.from.full !== pending.full || ev.to.full !== ev.from.bare) return false;
    this.#pending.delete(id!);
    const k = key(pending.caps);
    this.#asking.delete(k);
    const query = child(ev.stanza, "query", NS.DISCO_INFO);
    if (ev.stanza.attrs.type !== "result" || !query) return true;
    // XEP-0115 §5.4: only a result whose hash matches the ver may be cached and used.
    const ver = await capsVer(query, pending.caps.hash);
    if (ver !== pending.caps.ver) {
      this.#api.logger.warn("Entity capabilities do not match their hash", { ver: k });
      return true;
    }
    const features = new Set<string>();
    for (const c of query.children) {
      if (typeof c !== "string" && c.name === "feature" && c.attrs.var) features.add(c.attrs.var);
    }
    setBounded(this.#byVer, k, features, MAX_VERS);
    for (const [full, caps] of this.#bySession) {
      if (key(caps) === k) await this.#learned(full);
    }
    return true;
  }

  /** Forgets a resource that went unavailable or closed. */
  forget(full: string): void {
    this.#bySession.delete(full);
    this.#ready.delete(full);
  }

  async #learned(full: string): Promise<void> {
    if (this.#ready.has(full)) return;
    this.#ready.add(full);
    await this.#onLearned(full);
  }
}

function key(caps: CapsInfo): string {
  return `${caps.hash.toLowerCase()}:${caps.ver}`;
}

// Private to the PEP module: what each available resource can do, learned from the XEP-0115
// <c/> element of its presence, verified and cached by `ver` (XEP-0115 §5.4, §8.4): local
// resources from their broadcast presence, remote ones from the presence that reaches local
// accounts over s2s (issue #14 item 5).
import type { BareJid } from "../jid/jid.ts";
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
/** Remote resources followed at once. */
const MAX_REMOTE = 10_000;

/**
 * Called when a resource's features become known: for a local resource once (`owners`
 * undefined: the PEP services its roster follows), for a remote one with the local accounts
 * its presence reached that have not told it yet.
 */
export type OnLearned = (full: string, owners?: readonly BareJid[]) => Promise<void>;

/** Learns and remembers the disco#info features of available local resources. */
export class CapsTracker {
  readonly #api: ModuleApi;
  readonly #onLearned: OnLearned;
  /** Verified features by `ver` (hash:ver). */
  readonly #byVer = new Map<string, ReadonlySet<string>>();
  /** The caps each available resource announced. */
  readonly #bySession = new Map<string, CapsInfo>();
  /** Resources whose features are known and that have been told about (last items sent). */
  readonly #ready = new Set<string>();
  /** Outstanding disco#info queries by iq id. */
  readonly #pending = new Map<
    string,
    { readonly full: string; readonly asker: string; readonly caps: CapsInfo }
  >();
  /** Remote available resources with caps: full JID → the local accounts their presence reached. */
  readonly #remote = new Map<string, Set<BareJid>>();
  /** Remote full JIDs by bare JID. */
  readonly #remoteByBare = new Map<string, Set<string>>();
  /** Per remote resource, the local accounts whose last items it was sent. */
  readonly #told = new Map<string, Set<BareJid>>();
  /** `ver`s with a query in flight, and when it was sent. */
  readonly #asking = new Map<string, number>();

  /**
   * @param api The module API (to send disco#info queries).
   * @param onLearned Called once per available resource when its features become known.
   */
  constructor(api: ModuleApi, onLearned: OnLearned) {
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
    // XEP-0163 §6.1: the PEP service, i.e. the account's bare JID, asks (not the server's domain).
    await this.#ask(full, origin.bare, caps);
  }

  /**
   * Follows presence from a remote full JID to a local account ("presence/bare" and
   * "presence/full" from another server): its caps, and which local accounts it reached.
   */
  async remotePresence(ev: StanzaEvent): Promise<void> {
    const { stanza, from, to } = ev;
    if (from.resource === "" || to.local === "") return;
    if (this.#api.domainKind(from.domain) !== "remote") return;
    // An occupant's presence from a room (XEP-0045) is not a contact's resource.
    if (child(stanza, "x", NS.MUC_USER)) return;
    const full = from.full as string;
    const owner = to.bare;
    const type = stanza.attrs.type;
    if (type !== undefined && type !== "unavailable") return;
    const caps = type === undefined ? capsOf(stanza) : undefined;
    if (!caps) return this.#forgetRemote(full, owner);
    let audience = this.#remote.get(full);
    if (!audience) {
      if (this.#remote.size >= MAX_REMOTE) return;
      this.#remote.set(full, audience = new Set());
      let fulls = this.#remoteByBare.get(from.bare);
      if (!fulls) this.#remoteByBare.set(from.bare, fulls = new Set());
      fulls.add(full);
    }
    audience.add(owner);
    const previous = this.#bySession.get(full);
    this.#bySession.set(full, caps);
    if (previous && key(previous) !== key(caps)) this.#told.delete(full);
    if (this.#byVer.has(key(caps))) return this.#learnedRemote(full);
    // The first local account that got the presence asks on behalf of its PEP service.
    await this.#ask(full, owner, caps);
  }

  /** Remote available resources of `bare` whose presence reached `owner`. */
  remoteResources(bare: string, owner: BareJid): string[] {
    return [...this.#remoteByBare.get(bare) ?? []].filter((f) => this.#remote.get(f)?.has(owner));
  }

  /** XEP-0115 §6.2: asks the resource itself, with node#ver, once per unknown ver. */
  async #ask(full: string, asker: BareJid, caps: CapsInfo): Promise<void> {
    const since = this.#asking.get(key(caps));
    if (since !== undefined && this.#api.now().getTime() - since < RETRY_MS) return;
    setBounded(this.#asking, key(caps), this.#api.now().getTime(), MAX_VERS);
    if (this.#pending.size >= MAX_PENDING) this.#pending.clear();
    const id = `caps-${this.#api.randomId()}`;
    this.#pending.set(id, { full, asker, caps });
    await this.#api.router.route(
      xml(
        "iq",
        { xmlns: NS.CLIENT, type: "get", id, from: asker, to: full },
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
    if (!pending || ev.from.full !== pending.full || ev.to.full !== pending.asker) return false;
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
      if (key(caps) !== k) continue;
      if (this.#remote.has(full)) await this.#learnedRemote(full);
      else await this.#learned(full);
    }
    return true;
  }

  /** Forgets a resource that went unavailable or closed. */
  forget(full: string): void {
    this.#bySession.delete(full);
    this.#ready.delete(full);
  }

  /** A remote resource went unavailable to `owner` (or stopped announcing caps). */
  #forgetRemote(full: string, owner: BareJid): void {
    const audience = this.#remote.get(full);
    if (!audience) return;
    audience.delete(owner);
    this.#told.get(full)?.delete(owner);
    if (audience.size > 0) return;
    this.#remote.delete(full);
    this.#told.delete(full);
    this.#bySession.delete(full);
    const bare = full.slice(0, full.indexOf("/"));
    const fulls = this.#remoteByBare.get(bare);
    fulls?.delete(full);
    if (fulls?.size === 0) this.#remoteByBare.delete(bare);
  }

  async #learnedRemote(full: string): Promise<void> {
    const audience = this.#remote.get(full);
    if (!audience) return;
    let told = this.#told.get(full);
    if (!told) this.#told.set(full, told = new Set());
    const owners = [...audience].filter((o) => !told.has(o));
    if (owners.length === 0) return;
    for (const o of owners) told.add(o);
    await this.#onLearned(full, owners);
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

/**
 * XEP-0313 message archive management (`urn:xmpp:mam:2` and `#extended`) for accounts, on the
 * storage's archive store, with XEP-0059 result set management and XEP-0359 stanza ids.
 *
 * - Archiving (XEP-0313 §7.1.1): `chat` and `normal` messages with a body (XEP-0334 hints
 *   honoured) go into the sender's archive and the recipient's, when they are local accounts
 *   and their preferences (§6: default always/roster/never, always and never lists) say so.
 *   The recipient's copy gets `<stanza-id by='account'/>` (XEP-0359); one that claims the
 *   sender's or recipient's `by` is stripped first (XEP-0359 §5). The write is not awaited on
 *   the path of the message; a query waits for its owner's writes in flight.
 * - Offline messages are archived like any other (with the id the offline copy carries, so
 *   clients that sync from the archive recognise it); a session that got some of them from
 *   the archive before its initial presence is not sent those again (§7.1.1, see
 *   {@linkcode sentFromArchive}).
 * - Queries (§4): the form's `with`, `start`, `end`, `before-id`, `after-id`, `ids`, RSM
 *   `<max/>`, `<after/>`, `<before/>` in both directions, `<flip-page/>`, `<fin complete/>`
 *   with `<first index/>`, `<last/>` and `<count/>`; an id that is not in the archive is
 *   item-not-found, a malformed form bad-request, an unknown field feature-not-implemented.
 *   Metadata (§5) with `<start/>` and `<end/>`.
 *
 * @module
 */
import type { Session } from "../base/session.ts";
import { StanzaError } from "../base/stanza_error.ts";
import { HANDLED } from "../hooks/hook_registry.ts";
import type { IqEvent } from "../hooks/iq_registry.ts";
import type { BareJid } from "../jid/jid.ts";
import type { ModuleApi, XmppModule } from "../module/module_api.ts";
import type { ArchivedMessage, ArchivePage } from "../storage/archive_store.ts";
import { loadXml } from "../storage/stored_xml.ts";
import { type Element, xml } from "../xml/element.ts";
import { NS } from "../xml/ns.ts";
import { Archiver, stanzaIdBy } from "./_mam_archiving.ts";
import { type MamDefault, PREFS_NS, PrefsCache, prefsElement, readPrefs } from "./_mam_prefs.ts";
import { mamForm, type PageLimits, readMamQuery, resultMessage } from "./_archive_query.ts";
import { xep82DateTime } from "./time.ts";

export type { MamDefault } from "./_mam_prefs.ts";

/** Options of the MAM module. */
export interface MamOptions {
  /** What an account archives until it sets preferences; default "always" (as Prosody). */
  readonly defaultPolicy?: MamDefault;
  /** Messages in a page when the query has no `<max/>`; default 50. */
  readonly defaultPageSize?: number;
  /** The most messages in one page, whatever `<max/>` asks; default 250. */
  readonly maxPageSize?: number;
  /** Accounts whose preferences are kept in memory; default 10,000. */
  readonly prefsCacheSize?: number;
}

/** A session's record of the archive ids its queries sent it (a set, bounded). */
const SENT = `${NS.MAM}#sent`;
/** The most ids one session remembers (a client that pages further gets the rest twice). */
const MAX_SENT = 10_000;

function noteSent(session: Session, ids: readonly string[]): void {
  let sent = session.data.get(SENT) as Set<string> | undefined;
  if (!sent) session.data.set(SENT, sent = new Set());
  for (const id of ids) {
    if (sent.size >= MAX_SENT) return;
    sent.add(id);
  }
}

/**
 * Whether a session's archive queries sent it the message with this archive id. XEP-0313
 * §7.1.1 lets a server keep from a client the offline messages it already got from the
 * archive: the offline module skips those (the offline copy carries the archive id).
 *
 * @param session The session.
 * @param id An archive id of the session's account.
 * @returns `true` when a query result carried it.
 * @example
 * ```ts
 * import { sentFromArchive } from "./mam.ts";
 * import type { Session } from "../base/session.ts";
 * if (sentFromArchive({ data: new Map() } as unknown as Session, "x1")) throw new Error();
 * ```
 */
export function sentFromArchive(session: Session, id: string): boolean {
  return (session.data.get(SENT) as Set<string> | undefined)?.has(id) === true;
}

/**
 * The archive id a message carries for an account: its XEP-0359 `<stanza-id/>` whose `by` is
 * the account's bare JID.
 *
 * @param message The message.
 * @param account The account's bare JID.
 * @returns The id, or `undefined`.
 * @example
 * ```ts
 * import { archiveId } from "./mam.ts";
 * import { xml } from "../xml/element.ts";
 * const m = xml("message", {}, xml("stanza-id", { xmlns: "urn:xmpp:sid:0", by: "a@localhost", id: "x1" }));
 * if (archiveId(m, "a@localhost") !== "x1") throw new Error();
 * ```
 */
export function archiveId(message: Element, account: string): string | undefined {
  return stanzaIdBy(message, account);
}

/** The owner of the archive an iq asks about: only the account itself may (XEP-0313 §9.1). */
function ownerOf(ev: IqEvent): { owner: BareJid; session: Session } {
  const { origin, from, to, stanza } = ev;
  if (!origin || (stanza.attrs.to !== undefined && to.bare !== from.bare)) {
    throw new StanzaError("forbidden", "auth", "Only the account may use its archive");
  }
  return { owner: from.bare, session: origin };
}

function archivedResult(
  api: ModuleApi,
  session: Session,
  queryId: string | undefined,
  m: ArchivedMessage,
): Element | undefined {
  let inner: Element | undefined;
  try {
    inner = loadXml(m.stanza);
  } catch (e) {
    api.logger.warn("Cannot read an archived message; leaving it out", {
      jid: session.bare,
      id: m.id,
      error: e instanceof Error ? e.message : String(e),
    });
  }
  if (!inner) return undefined;
  return resultMessage(
    { from: session.bare, to: session.jid, id: api.randomId() },
    { queryId, id: m.id, stamp: xep82DateTime(m.stamp) },
    inner,
  );
}

/** `<fin/>` (XEP-0313 §4.3) with the page's XEP-0059 `<set/>`, first and last in archive order. */
function fin(page: ArchivePage): Element {
  const first = page.messages[0];
  const last = page.messages[page.messages.length - 1];
  const complete = page.complete || page.count === 0;
  return xml(
    "fin",
    { xmlns: NS.MAM, complete: complete ? "true" : undefined },
    xml(
      "set",
      { xmlns: NS.RSM },
      first && xml("first", { index: page.index?.toString() }, first.id),
      last && xml("last", null, last.id),
      page.count !== undefined && xml("count", null, String(page.count)),
    ),
  );
}

async function query(
  api: ModuleApi,
  archiver: Archiver,
  limits: PageLimits,
  ev: IqEvent,
): Promise<Element> {
  const { owner, session } = ownerOf(ev);
  const request = readMamQuery(ev.payload, limits);
  // What was routed before the query is in its answer.
  await archiver.pending.settled(owner);
  const named = [...new Set(request.named)];
  if (named.length > 0) {
    // XEP-0313 §4.1.3, §4.3.2: an id the archive does not have is item-not-found.
    const found = await api.storage.archive.query(owner, { ids: named, max: 0, count: true });
    if (found.count !== named.length) {
      throw new StanzaError("item-not-found", "cancel", "No such message in the archive");
    }
  }
  const page = await api.storage.archive.query(owner, request.query);
  noteSent(session, page.messages.map((m) => m.id));
  const results = page.messages.map((m) => archivedResult(api, session, request.queryId, m));
  // XEP-0313 §4.3.4: a flipped page is sent newest first; its <set/> is unchanged.
  if (request.flip) results.reverse();
  for (const r of results) if (r) await session.send(r);
  return fin(page);
}

async function metadata(api: ModuleApi, archiver: Archiver, ev: IqEvent): Promise<Element> {
  const { owner } = ownerOf(ev);
  await archiver.pending.settled(owner);
  const { first, last } = await api.storage.archive.metadata(owner);
  const bound = (name: string, b: typeof first) =>
    b && xml(name, { id: b.id, timestamp: xep82DateTime(b.stamp) });
  // XEP-0313 §5: an empty archive has an empty <metadata/>.
  return xml("metadata", { xmlns: NS.MAM }, bound("start", first), bound("end", last));
}

function registerIqs(api: ModuleApi, archiver: Archiver, prefs: PrefsCache, limits: PageLimits) {
  const account = { target: "account" } as const;
  api.iq("get", NS.MAM, "query", (ev) => {
    ownerOf(ev);
    return mamForm();
  }, account);
  api.iq("set", NS.MAM, "query", (ev) => query(api, archiver, limits, ev), account);
  api.iq("get", NS.MAM, "metadata", (ev) => metadata(api, archiver, ev), account);
  api.iq("get", NS.MAM, "prefs", async (ev) => {
    const { owner } = ownerOf(ev);
    const current = await prefs.get(owner);
    if (!current) throw new StanzaError("item-not-found", "cancel");
    return prefsElement(current);
  }, account);
  api.iq("set", NS.MAM, "prefs", async (ev) => {
    const { owner } = ownerOf(ev);
    const next = readPrefs(ev.payload);
    await prefs.set(owner, next);
    // XEP-0313 §6.1: the result holds the preferences as stored.
    return prefsElement(next);
  }, account);
}

/**
 * The message archive module (XEP-0313, XEP-0059, XEP-0359). On by default, as Prosody's
 * mod_mam for self-hosters; every account archives everything until it sets preferences.
 *
 * @param options The default preference and page sizes.
 * @returns The module.
 * @example
 * ```ts
 * import { mam } from "./mam.ts";
 * import { testServer } from "../testing/mod.ts";
 * import { child, xml } from "../xml/element.ts";
 * const t = await testServer({ users: ["a@localhost", "b@localhost"] });
 * await t.server.unload("mam");
 * await t.server.use(mam({ defaultPageSize: 10 }));
 * const a = await t.connect("a@localhost/r");
 * await a.send(xml("message", { to: "b@localhost", type: "chat" }, xml("body", null, "hi")));
 * const done = await a.iq(xml("iq", { type: "set" }, xml("query", { xmlns: "urn:xmpp:mam:2" })));
 * const set = child(child(done, "fin", "urn:xmpp:mam:2")!, "set", "http://jabber.org/protocol/rsm")!;
 * if (child(set, "count")?.children[0] !== "1") throw new Error();
 * await t.close();
 * ```
 */
export function mam(options: MamOptions = {}): XmppModule {
  const limits: PageLimits = {
    defaultMax: options.defaultPageSize ?? 50,
    maxMax: options.maxPageSize ?? 250,
  };
  return {
    name: "mam",
    specs: ["XEP-0313", "XEP-0059", "XEP-0359"],
    setup(api) {
      const prefs = new PrefsCache(
        api,
        options.defaultPolicy ?? "always",
        options.prefsCacheSize ?? 10_000,
      );
      const archiver = new Archiver(api, prefs);
      for (const feature of [NS.MAM, NS.MAM_EXTENDED, NS.STANZA_ID]) {
        api.feature(feature, { target: "account" });
      }
      registerIqs(api, archiver, prefs, limits);
      // After blocking (XEP-0191 §3.3: a blocked message is not archived, XEP-0313 §7.1),
      // before carbons, which copy the message with its stanza-id.
      api.hook("stanza/route", (ev) => archiver.route(ev), { priority: 50 });
      // Without the offline module, a message in the archive is not bounced as undelivered.
      api.hook("message/offline", ({ stanza, to }) => {
        if (stanzaIdBy(stanza, to.bare) !== undefined) return HANDLED;
      }, { priority: -10 });
      api.hook("session/bound", ({ session }) => prefs.forget(session.bare));
      api.hook("account/removed", async ({ jid }) => {
        prefs.forget(jid);
        await api.storage.documents.delete(PREFS_NS, jid);
      });
      api.onUnload(() => archiver.pending.all());
    },
  };
}

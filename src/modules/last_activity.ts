/**
 * XEP-0012 last activity (`jabber:iq:last`).
 *
 * - To an account's bare JID (XEP-0012 §4): `seconds` since the account's last resource went
 *   unavailable, with the status text of that unavailable presence; `0` while a resource is
 *   available. Only the account itself and contacts allowed to see its presence (subscription
 *   `from` or `both` on its roster) may ask: others get `<forbidden/>`. An account that never
 *   went offline since this module started recording gets `<item-not-found/>`.
 * - To the server (XEP-0012 §5): the time since the server started.
 * - To a full JID (XEP-0012 §3): the router hands the query to the client, which answers with
 *   its idle time; no such resource is `<service-unavailable/>` (RFC 6120 §10.5.3.1).
 *
 * The time of logout is stored per account in the document store.
 *
 * @module
 */
import type { Session } from "../base/session.ts";
import { StanzaError } from "../base/stanza_error.ts";
import type { BareJid } from "../jid/jid.ts";
import type { ModuleApi, XmppModule } from "../module/module_api.ts";
import { documentCollection } from "../storage/document_collection.ts";
import { child, type Element, text, xml } from "../xml/element.ts";
import { NS } from "../xml/ns.ts";

/** The last logout of an account, as stored. */
interface LastSeen {
  /** When, as an ISO 8601 date. */
  readonly at: string;
  /** The status text of its unavailable presence. */
  readonly status?: string;
}

/** The document namespace of logouts, keyed by account. */
const DOCUMENTS = "last-activity";
const STATUS_KEY = `${NS.LAST}#status`;

function query(seconds: number, status?: string): Element {
  return xml("query", { xmlns: NS.LAST, seconds: Math.max(0, Math.floor(seconds)) }, status);
}

async function mayAsk(api: ModuleApi, owner: BareJid, requester: BareJid): Promise<boolean> {
  if (owner === requester) return true;
  const item = await api.storage.roster.getItem(owner, requester);
  return item?.subscription === "from" || item?.subscription === "both";
}

async function available(api: ModuleApi, owner: BareJid, except?: Session): Promise<boolean> {
  for (const ref of await api.router.sessions(owner)) {
    if (ref.id === except?.id) continue;
    if (ref.presence !== undefined) return true;
  }
  return false;
}

/** Options of the last activity module. */
export interface LastActivityOptions {
  /** The clock (default the server's `api.now()`), for tests. */
  readonly now?: () => Date;
}

/**
 * The last activity module (XEP-0012).
 *
 * @param options The clock.
 * @returns The module.
 * @example
 * ```ts
 * import { lastActivity } from "./last_activity.ts";
 * import { testServer } from "../testing/mod.ts";
 * import { child, xml } from "../xml/element.ts";
 * const t = await testServer({ users: ["a@localhost"], modules: [] });
 * const a = await t.connect("a@localhost/r");
 * const up = await a.iq(xml("iq", { type: "get", to: "localhost" },
 *   xml("query", { xmlns: "jabber:iq:last" })));
 * if (child(up, "query")?.attrs.seconds === undefined) throw new Error();
 * await t.close();
 * ```
 */
export function lastActivity(options: LastActivityOptions = {}): XmppModule {
  return {
    name: "last-activity",
    specs: ["XEP-0012"],
    setup(api) {
      const now = options.now ?? (() => api.now());
      const started = now().getTime();
      const seen = documentCollection<LastSeen>(api.storage, DOCUMENTS);
      const elapsed = (since: number) => (now().getTime() - since) / 1000;
      api.feature(NS.LAST);
      api.feature(NS.LAST, { target: "account" });
      // XEP-0012 §5: the server's uptime.
      api.iq("get", NS.LAST, "query", () => query(elapsed(started)));
      api.iq("get", NS.LAST, "query", async ({ stanza, from, to }) => {
        const owner = stanza.attrs.to === undefined ? from.bare : to.bare;
        // XEP-0012 §4: only those allowed to see the account's presence.
        if (!await mayAsk(api, owner, from.bare)) throw new StanzaError("forbidden", "auth");
        if (await available(api, owner)) return query(0);
        const last = await seen.get(owner);
        if (!last) throw new StanzaError("item-not-found", "cancel");
        return query(elapsed(Date.parse(last.at)), last.status);
      }, { target: "account" });
      // The status of the unavailable presence a session sent, for when it ends.
      api.hook("presence/server", ({ stanza, origin }) => {
        if (!origin || stanza.attrs.type !== "unavailable") return;
        const status = child(stanza, "status");
        origin.data.set(STATUS_KEY, status ? text(status) : undefined);
      });
      api.hook("session/closed", async ({ session }) => {
        // The account is still online elsewhere: not its logout.
        if (await available(api, session.bare, session)) return;
        const status = session.data.get(STATUS_KEY) as string | undefined;
        await seen.put(session.bare, { at: now().toISOString(), status });
      });
      api.hook("account/removed", async ({ jid }) => void await seen.delete(jid));
    },
  };
}

/**
 * The archive of a room (XEP-0313 §5, `muc_mam`): groupchat messages kept in the archive
 * store under the room's JID with a XEP-0359 stanza id, and queries on the room's JID paged
 * with XEP-0059 result set management.
 *
 * TODO(#13): read queries with the user archive's reader (the mam module's `_mam_query.ts`)
 * once both are merged, for the `#extended` fields and flip-page.
 *
 * @module
 */
import { StanzaError } from "../../base/stanza_error.ts";
import type { BareJid, Jid } from "../../jid/jid.ts";
import type { ArchivedMessage, ArchiveQuery, ArchiveStore } from "../../storage/archive_store.ts";
import { loadXml, storeXml } from "../../storage/stored_xml.ts";
import { child, type Element, text, xml } from "../../xml/element.ts";
import { NS } from "../../xml/ns.ts";
import { formValues } from "./config.ts";
import type { Room } from "./room.ts";

/** Page sizes of room archive queries. */
export const PAGE = { defaultMax: 50, maxMax: 250 } as const;

/**
 * Marks a groupchat message for the archive: adds its stanza id (XEP-0359 §3, by the room)
 * and queues it for the store.
 *
 * @param room The room.
 * @param message The message as broadcast.
 * @param id A new unique id.
 * @param now The current time.
 * @returns The message with its `<stanza-id/>`.
 */
export function archiveMessage(room: Room, message: Element, id: string, now: Date): Element {
  const stamped = {
    ...message,
    children: [...message.children, xml("stanza-id", { xmlns: NS.STANZA_ID, id, by: room.jid })],
  };
  room.archiveQueue.push({
    id,
    stamp: now,
    with: String(message.attrs.from),
    direction: "in",
    stanza: storeXml(stamped),
  });
  return stamped;
}

/**
 * Removes stanza ids a sender put in under the room's name (XEP-0359 §3.1).
 *
 * @param children A message's children.
 * @param room The room's JID.
 * @returns The others.
 */
export function withoutForgedIds(children: Element[], room: string): Element[] {
  return children.filter((c) => !(c.xmlns === NS.STANZA_ID && c.attrs.by === room));
}

const FIELDS = new Set(["FORM_TYPE", "with", "start", "end"]);

function date(name: string, value: string | undefined): Date | undefined {
  if (value === undefined) return undefined;
  const d = new Date(value);
  if (!/^\d{4}-\d{2}-\d{2}T/.test(value) || isNaN(d.getTime())) {
    throw new StanzaError("bad-request", "modify", `Cannot read the "${name}" field`);
  }
  return d;
}

function readQuery(query: Element): ArchiveQuery {
  const form = child(query, "x", NS.DATA_FORMS);
  const values = form ? formValues(form) : new Map<string, string[]>();
  for (const name of values.keys()) {
    // XEP-0313 §4.1.5: a field the server does not know.
    if (!FIELDS.has(name)) throw new StanzaError("feature-not-implemented", "cancel", name);
  }
  const set = child(query, "set", NS.RSM);
  const maxText = set && child(set, "max") ? text(child(set, "max")) : undefined;
  if (maxText !== undefined && !/^\d{1,9}$/.test(maxText)) {
    throw new StanzaError("bad-request", "modify", "Cannot read <max/>");
  }
  const before = set && child(set, "before");
  return {
    with: values.get("with")?.[0],
    start: date("start", values.get("start")?.[0]),
    end: date("end", values.get("end")?.[0]),
    after: set && child(set, "after") ? text(child(set, "after")) : undefined,
    before: before ? text(before) : undefined,
    max: Math.min(maxText === undefined ? PAGE.defaultMax : Number(maxText), PAGE.maxMax),
    count: true,
  };
}

function mayRead(room: Room, from: Jid): void {
  const affiliation = room.affiliation(from.bare);
  if (affiliation === "outcast" || room.config.membersOnly && !room.isMember(from.bare)) {
    throw new StanzaError("forbidden", "auth", "You may not read this room's archive");
  }
}

function resultMessage(room: Room, to: string, queryId: string | undefined, m: ArchivedMessage) {
  const stanza = loadXml(m.stanza);
  return xml(
    "message",
    { xmlns: NS.CLIENT, from: room.jid, to },
    xml(
      "result",
      { xmlns: NS.MAM, queryid: queryId, id: m.id },
      xml(
        "forwarded",
        { xmlns: NS.FORWARD },
        xml("delay", { xmlns: NS.DELAY, stamp: m.stamp.toISOString() }),
        stanza,
      ),
    ),
  );
}

/**
 * Answers a query of the room's archive (XEP-0313 §4): each message in a `<result/>`, queued
 * in the room's outbox, then the `<fin/>` for the iq result.
 *
 * @param store The archive store.
 * @param room The room.
 * @param query The `<query xmlns='urn:xmpp:mam:2'/>`.
 * @param from Who asks.
 * @returns The `<fin/>`.
 * @throws {StanzaError} `forbidden` for someone who may not read it, `item-not-found` for an
 * unknown RSM id, `bad-request` or `feature-not-implemented` for a bad query.
 */
export async function queryArchive(
  store: ArchiveStore,
  room: Room,
  query: Element,
  from: Jid,
): Promise<Element> {
  mayRead(room, from);
  const q = readQuery(query);
  const owner = room.jid as BareJid;
  for (const id of [q.after, q.before]) {
    if (id && !await store.get(owner, id)) {
      throw new StanzaError("item-not-found", "cancel", `No message "${id}" in the archive`);
    }
  }
  const page = await store.query(owner, q);
  for (const m of page.messages) room.send(resultMessage(room, from.full, query.attrs.queryid, m));
  const first = page.messages[0];
  const last = page.messages[page.messages.length - 1];
  return xml(
    "fin",
    { xmlns: NS.MAM, complete: page.complete ? "true" : undefined },
    xml(
      "set",
      { xmlns: NS.RSM },
      first && xml("first", null, first.id),
      last && xml("last", null, last.id),
      page.count !== undefined ? xml("count", null, String(page.count)) : undefined,
    ),
  );
}

/**
 * The query form (XEP-0313 §4.1.5) a client asks for.
 *
 * @returns The `<query/>` with the form.
 */
export function queryForm(): Element {
  return xml(
    "query",
    { xmlns: NS.MAM },
    xml(
      "x",
      { xmlns: NS.DATA_FORMS, type: "form" },
      xml("field", { var: "FORM_TYPE", type: "hidden" }, xml("value", null, NS.MAM)),
      xml("field", { var: "with", type: "jid-single" }),
      xml("field", { var: "start", type: "text-single" }),
      xml("field", { var: "end", type: "text-single" }),
    ),
  );
}

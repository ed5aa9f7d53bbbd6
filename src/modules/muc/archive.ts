/**
 * The archive of a room (XEP-0313 §5, `muc_mam`): groupchat messages kept in the archive
 * store under the room's JID with a XEP-0359 stanza id, and queries on the room's JID paged
 * with XEP-0059 result set management.
 *
 * Queries are read as the user archive reads them (the shared `../_archive_query.ts`): form
 * filters with the `#extended` fields, RSM paging both ways, `<flip-page/>`.
 *
 * @module
 */
import { StanzaError } from "../../base/stanza_error.ts";
import { type BareJid, type Jid, tryParseJid } from "../../jid/jid.ts";
import type { ArchivedMessage, ArchiveStore } from "../../storage/archive_store.ts";
import { loadXml, storeXml } from "../../storage/stored_xml.ts";
import { child, type Element, xml } from "../../xml/element.ts";
import { NS } from "../../xml/ns.ts";
import { mamForm, readMamQuery, resultMessage } from "../_archive_query.ts";
import { submittedValues } from "../data_form.ts";
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

// XEP-0313 §5.1.1: in a room's archive, `with` is an occupant JID, matched in full (the
// user archive's reader keeps only the bare JID).
function occupantWith(query: Element): string | undefined {
  const value = submittedValues(child(query, "x", NS.DATA_FORMS)).with?.[0];
  return value === undefined ? undefined : tryParseJid(value)?.full;
}

function mayRead(room: Room, from: Jid): void {
  const affiliation = room.affiliation(from.bare);
  if (affiliation === "outcast" || room.config.membersOnly && !room.isMember(from.bare)) {
    throw new StanzaError("forbidden", "auth", "You may not read this room's archive");
  }
}

function archivedResult(room: Room, to: string, queryId: string | undefined, m: ArchivedMessage) {
  return resultMessage(
    { from: room.jid, to },
    { queryId, id: m.id, stamp: m.stamp.toISOString() },
    loadXml(m.stanza),
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
  const request = readMamQuery(query, PAGE);
  const owner = room.jid as BareJid;
  // XEP-0313 §4.1.5, XEP-0059 §2.4: an id the query names must be in the archive.
  const named = [...new Set(request.named)];
  if (named.length > 0) {
    const found = await store.query(owner, { ids: named, max: 0, count: true });
    if (found.count !== named.length) {
      throw new StanzaError(
        "item-not-found",
        "cancel",
        "A message the query names is not archived",
      );
    }
  }
  const page = await store.query(owner, { ...request.query, with: occupantWith(query) });
  const results = page.messages.map((m) => archivedResult(room, from.full, request.queryId, m));
  // XEP-0313 §4.3.4: a flipped page is sent newest first; its <set/> is unchanged.
  if (request.flip) results.reverse();
  for (const r of results) room.send(r);
  const first = page.messages[0];
  const last = page.messages[page.messages.length - 1];
  return xml(
    "fin",
    { xmlns: NS.MAM, complete: page.complete ? "true" : undefined },
    xml(
      "set",
      { xmlns: NS.RSM },
      first &&
        xml(
          "first",
          { index: page.index !== undefined ? String(page.index) : undefined },
          first.id,
        ),
      last && xml("last", null, last.id),
      page.count !== undefined ? xml("count", null, String(page.count)) : undefined,
    ),
  );
}

/**
 * The query form (XEP-0313 §4.1.5) a client asks for, with the `#extended` fields.
 *
 * @returns The `<query/>` with the form.
 */
export function queryForm(): Element {
  return mamForm();
}

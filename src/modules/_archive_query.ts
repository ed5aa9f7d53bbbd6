// Private to src/modules, shared by the archives that answer XEP-0313 queries: the user archive
// (mam.ts) and the room archive (muc/archive.ts). A query (its XEP-0004 form and XEP-0059
// <set/>) read into an archive query, and the form a client asks for (XEP-0313 §4.1.5).
import { StanzaError } from "../base/stanza_error.ts";
import { tryParseJid } from "../jid/jid.ts";
import type { ArchiveQuery } from "../storage/archive_store.ts";
import { child, type Element, elements, text, xml } from "../xml/element.ts";
import { NS } from "../xml/ns.ts";

/** A query as read from the client's `<query/>`, before the archive is asked. */
export interface MamRequest {
  /** The archive query (without `max`'s server cap applied yet). */
  readonly query: ArchiveQuery;
  /** The `queryid` attribute, echoed in every `<result/>`. */
  readonly queryId?: string;
  /** `<flip-page/>` (XEP-0313 §4.3.4): the page's messages are sent newest first. */
  readonly flip: boolean;
  /** Every id the query names (after-id, before-id, ids, RSM after and before): they must exist. */
  readonly named: readonly string[];
}

/** Page sizes: what a query without `<max/>` gets, and the most one may ask for. */
export interface PageLimits {
  readonly defaultMax: number;
  readonly maxMax: number;
}

const FIELDS = new Set(["FORM_TYPE", "with", "start", "end", "before-id", "after-id", "ids"]);

// XEP-0082 §3.2 DateTime: CCYY-MM-DDThh:mm:ss[.sss]TZD.
const DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

function badRequest(text: string): StanzaError {
  return new StanzaError("bad-request", "modify", text);
}

function dateTime(name: string, value: string): Date {
  const date = new Date(value);
  if (!DATE_TIME.test(value) || Number.isNaN(date.getTime())) {
    throw badRequest(`Cannot read the "${name}" field "${value}": not an XEP-0082 DateTime`);
  }
  return date;
}

function single(name: string, values: readonly string[]): string {
  if (values.length !== 1 || values[0] === "") {
    throw badRequest(`The "${name}" field takes exactly one value`);
  }
  return values[0];
}

/** The submitted fields, each with its values (XEP-0004 §3.3). */
function formValues(form: Element): Map<string, string[]> {
  if (form.attrs.type !== "submit") throw badRequest("The query form must be of type 'submit'");
  const out = new Map<string, string[]>();
  for (const field of elements(form, "field", NS.DATA_FORMS)) {
    const name = field.attrs.var;
    if (!name || out.has(name)) throw badRequest("Every field needs a 'var', once");
    out.set(name, elements(field, "value", NS.DATA_FORMS).map((v) => text(v)));
  }
  const type = out.get("FORM_TYPE");
  if (type && (type.length !== 1 || type[0] !== NS.MAM)) {
    throw badRequest(`The FORM_TYPE must be "${NS.MAM}"`);
  }
  for (const name of out.keys()) {
    // XEP-0313 §4.1.5: a field the server does not recognise is feature-not-implemented.
    if (!FIELDS.has(name)) {
      throw new StanzaError("feature-not-implemented", "cancel", `Unknown field "${name}"`);
    }
  }
  return out;
}

/** The form's filters (XEP-0313 §4.1). */
function filters(form: Element | undefined): Omit<ArchiveQuery, "max"> {
  if (!form) return {};
  const values = formValues(form);
  const get = (name: string) => {
    const v = values.get(name);
    return v && single(name, v);
  };
  const withValue = get("with");
  const withJid = withValue === undefined ? undefined : tryParseJid(withValue);
  if (withValue !== undefined && !withJid) {
    throw badRequest(`Cannot read the "with" field "${withValue}": not a JID`);
  }
  const start = get("start");
  const end = get("end");
  const ids = values.get("ids");
  if (ids?.some((id) => id === "")) throw badRequest('An empty id in the "ids" field');
  return {
    // The archive keeps the other party's bare JID (a full JID matches its account's messages).
    with: withJid?.bare,
    start: start === undefined ? undefined : dateTime("start", start),
    end: end === undefined ? undefined : dateTime("end", end),
    afterId: get("after-id"),
    beforeId: get("before-id"),
    ids,
  };
}

/** XEP-0059 §2: `<max/>`, `<after/>`, `<before/>`. */
function paging(set: Element | undefined, limits: PageLimits) {
  if (!set) return { max: limits.defaultMax };
  if (child(set, "index", NS.RSM)) {
    // XEP-0059 §2.4 (jumping to an index) is optional.
    throw new StanzaError("feature-not-implemented", "cancel", "RSM <index/> is not supported");
  }
  const maxEl = child(set, "max", NS.RSM);
  const raw = maxEl && text(maxEl).trim();
  if (raw !== undefined && !/^\d{1,9}$/.test(raw)) {
    throw badRequest(`Cannot read <max/> "${raw}": not a non-negative integer`);
  }
  const afterEl = child(set, "after", NS.RSM);
  const after = afterEl && text(afterEl);
  if (after === "") throw badRequest("An empty <after/>");
  const beforeEl = child(set, "before", NS.RSM);
  return {
    // XEP-0059 §2.1: the responding entity may return fewer than asked.
    max: raw === undefined ? limits.defaultMax : Math.min(Number(raw), limits.maxMax),
    after,
    before: beforeEl && text(beforeEl),
  };
}

/**
 * Reads a `<query xmlns='urn:xmpp:mam:2'/>`.
 *
 * @throws {StanzaError} bad-request for a malformed form or `<set/>`, feature-not-implemented
 * for a field it does not know (XEP-0313 §4.1.5).
 */
export function readMamQuery(query: Element, limits: PageLimits): MamRequest {
  const q = {
    ...filters(child(query, "x", NS.DATA_FORMS)),
    ...paging(child(query, "set", NS.RSM), limits),
    count: true,
  };
  // XEP-0059 §2.6: `<first index/>` is optional. It is given for forward pages only, as Prosody
  // does: slixmpp's RSM iterator (1.8.3) takes `index + items == count` as the end, which is
  // true of the first backward page, so with an index it never pages further back.
  const withIndex = { ...q, index: q.before === undefined };
  const named = [q.afterId, q.beforeId, q.after, q.before || undefined, ...(q.ids ?? [])]
    .filter((id): id is string => id !== undefined);
  return {
    query: withIndex,
    queryId: query.attrs.queryid,
    flip: child(query, "flip-page", NS.MAM) !== undefined,
    named,
  };
}

/** The query form (XEP-0313 §4.1.5), with the `#extended` fields. */
export function mamForm(): Element {
  const field = (name: string, type: string, ...children: Element[]) =>
    xml("field", { var: name, type }, ...children);
  return xml(
    "query",
    { xmlns: NS.MAM },
    xml(
      "x",
      { xmlns: NS.DATA_FORMS, type: "form" },
      field("FORM_TYPE", "hidden", xml("value", null, NS.MAM)),
      field("with", "jid-single"),
      field("start", "text-single"),
      field("end", "text-single"),
      field("before-id", "text-single"),
      field("after-id", "text-single"),
      // XEP-0313 §4.1.5: an open list (XEP-0122), never the list of every id.
      field(
        "ids",
        "list-multi",
        xml(
          "validate",
          { xmlns: NS.XDATA_VALIDATE, datatype: "xs:string" },
          xml("open", null),
        ),
      ),
    ),
  );
}

/**
 * One archived message as a query's answer (XEP-0313 §4.2): a message with a `<result/>`
 * that forwards the stanza as received (XEP-0297), with the time it was archived (XEP-0203).
 *
 * @param attrs The answer message's attributes (`from`, `to`, maybe `id`).
 * @param result The `queryid` echoed, the archive id, and the stamp as the archive writes it.
 * @param stanza The archived stanza (left out when it cannot be read back).
 * @returns The message.
 */
export function resultMessage(
  attrs: Readonly<Record<string, string | undefined>>,
  result: { readonly queryId?: string; readonly id: string; readonly stamp: string },
  stanza: Element | undefined,
): Element {
  return xml(
    "message",
    { xmlns: NS.CLIENT, ...attrs },
    xml(
      "result",
      { xmlns: NS.MAM, queryid: result.queryId, id: result.id },
      xml(
        "forwarded",
        { xmlns: NS.FORWARD },
        xml("delay", { xmlns: NS.DELAY, stamp: result.stamp }),
        stanza,
      ),
    ),
  );
}

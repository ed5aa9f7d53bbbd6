// In-memory ArchiveStore: each owner's messages kept sorted by (stamp, arrival), with an index
// by id, so that a page costs its own length (plus the filter's misses), not the archive's.
import type { BareJid } from "../jid/jid.ts";
import type {
  ArchivedMessage,
  ArchiveMetadata,
  ArchivePage,
  ArchiveQuery,
  ArchiveStore,
} from "./archive_store.ts";

interface Entry {
  message: ArchivedMessage;
  readonly seq: number;
}

interface Archive {
  readonly list: Entry[];
  readonly byId: Map<string, Entry>;
}

function before(a: Entry, b: Entry): boolean {
  const d = a.message.stamp.getTime() - b.message.stamp.getTime();
  return d < 0 || (d === 0 && a.seq < b.seq);
}

/** The index of the first entry not before `e` (where `e` is, or would go). */
function position(list: readonly Entry[], e: Entry): number {
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (before(list[mid], e)) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function matcher(q: ArchiveQuery): (m: ArchivedMessage) => boolean {
  const ids = q.ids && new Set(q.ids);
  const start = q.start?.getTime();
  const end = q.end?.getTime();
  return (m) =>
    (q.with === undefined || m.with === q.with) &&
    (start === undefined || m.stamp.getTime() >= start) &&
    (end === undefined || m.stamp.getTime() <= end) &&
    (ids === undefined || ids.has(m.id));
}

export class MemoryArchiveStore implements ArchiveStore {
  readonly #archives = new Map<BareJid, Archive>();
  #seq = 0;

  append(owner: BareJid, message: ArchivedMessage): Promise<void> {
    const a: Archive = this.#archives.get(owner) ?? { list: [], byId: new Map() };
    if (a.byId.has(message.id)) {
      return Promise.reject(
        new Error(`Cannot archive message "${message.id}": the archive has that id already`),
      );
    }
    const e: Entry = { message: { ...message, stamp: new Date(message.stamp) }, seq: ++this.#seq };
    const last = a.list[a.list.length - 1];
    if (!last || before(last, e)) a.list.push(e);
    else a.list.splice(position(a.list, e), 0, e);
    a.byId.set(message.id, e);
    this.#archives.set(owner, a);
    return Promise.resolve();
  }

  query(owner: BareJid, q: ArchiveQuery): Promise<ArchivePage> {
    const a = this.#archives.get(owner);
    const list = a?.list ?? [];
    const at = (id: string) => {
      const e = a?.byId.get(id);
      return e && position(list, e);
    };
    const matches = matcher(q);
    const countIn = (lo: number, hi: number) => {
      let n = 0;
      for (let i = lo; i < hi; i++) if (matches(list[i].message)) n++;
      return n;
    };
    // XEP-0313 #extended: after-id and before-id bound the result set itself.
    let from = 0;
    let to = list.length;
    if (q.afterId !== undefined) from = (at(q.afterId) ?? list.length) + 1;
    if (q.beforeId !== undefined) to = at(q.beforeId) ?? -1;
    to = Math.max(from, to);
    const count = q.count ? countIn(from, to) : undefined;
    const done = (found: number[], backwards: boolean, complete: boolean) => {
      if (backwards) found.reverse();
      const page: ArchivePage = {
        messages: found.map((i) => list[i].message),
        complete,
        ...(count === undefined ? {} : { count }),
      };
      return Promise.resolve(
        q.index && found.length > 0 ? { ...page, index: countIn(from, found[0]) } : page,
      );
    };
    // XEP-0059 §2.2, §2.5: the page starts after `after` and ends before `before`.
    let lo = from;
    let hi = to;
    if (q.after !== undefined) {
      const i = at(q.after);
      if (i === undefined) return done([], false, true);
      lo = Math.max(lo, i + 1);
    }
    if (q.before !== undefined && q.before !== "") {
      const i = at(q.before);
      if (i === undefined) return done([], true, true);
      hi = Math.min(hi, i);
    }
    const found: number[] = [];
    const backwards = q.before !== undefined;
    for (let i = backwards ? hi - 1 : lo; backwards ? i >= lo : i < hi; i += backwards ? -1 : 1) {
      if (!matches(list[i].message)) continue;
      if (found.length === q.max) return done(found, backwards, false);
      found.push(i);
    }
    return done(found, backwards, true);
  }

  get(owner: BareJid, id: string): Promise<ArchivedMessage | undefined> {
    return Promise.resolve(this.#archives.get(owner)?.byId.get(id)?.message);
  }

  replace(owner: BareJid, id: string, stanza: string): Promise<boolean> {
    const e = this.#archives.get(owner)?.byId.get(id);
    if (e) e.message = { ...e.message, stanza };
    return Promise.resolve(e !== undefined);
  }

  remove(owner: BareJid, id: string): Promise<boolean> {
    const a = this.#archives.get(owner);
    const e = a?.byId.get(id);
    if (!a || !e) return Promise.resolve(false);
    a.list.splice(position(a.list, e), 1);
    a.byId.delete(id);
    if (a.list.length === 0) this.#archives.delete(owner);
    return Promise.resolve(true);
  }

  metadata(owner: BareJid): Promise<ArchiveMetadata> {
    const list = this.#archives.get(owner)?.list ?? [];
    if (list.length === 0) return Promise.resolve({});
    const bound = (e: Entry) => ({ id: e.message.id, stamp: e.message.stamp });
    return Promise.resolve({ first: bound(list[0]), last: bound(list[list.length - 1]) });
  }

  removeAll(owner: BareJid): Promise<void> {
    this.#archives.delete(owner);
    return Promise.resolve();
  }
}

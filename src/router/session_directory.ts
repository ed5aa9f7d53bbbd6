/**
 * Records which sessions are bound, by full and bare JID, as plain references
 * ({@linkcode SessionRef}: node id, session id, JID, presence). Asynchronous, so that a
 * directory on a distributed engine (PostgreSQL, NATS) can implement the same interface for a
 * cluster; the in-memory one is the default. Modules never see it: they ask the router.
 *
 * @module
 */
import type { SessionRef } from "../base/session.ts";
import type { BareJid, FullJid } from "../jid/jid.ts";

/** Who is bound where. */
export interface SessionDirectory {
  /**
   * Registers a session, replacing any other on the same full JID.
   *
   * @returns The session it displaced, if any (RFC 6120 §7.7.2.2: it gets `<conflict/>`).
   */
  add(ref: SessionRef): Promise<SessionRef | undefined>;
  /** Records a changed presence or priority of a registered session. */
  update(ref: SessionRef): Promise<void>;
  /** Unregisters a session; does nothing when another session holds its JID now. */
  remove(ref: SessionRef): Promise<void>;
  /** The session bound to a full JID. */
  get(jid: FullJid): Promise<SessionRef | undefined>;
  /** Every session of an account. */
  byBare(jid: BareJid): Promise<readonly SessionRef[]>;
}

const NONE: readonly SessionRef[] = Object.freeze([]);

function bareOf(jid: FullJid): BareJid {
  return jid.slice(0, jid.indexOf("/")) as BareJid;
}

/**
 * Creates the in-process session directory.
 *
 * @returns An empty directory.
 * @example
 * ```ts
 * import { memoryDirectory } from "./session_directory.ts";
 * import type { FullJid } from "../jid/jid.ts";
 * const directory = memoryDirectory();
 * const jid = "alice@localhost/phone" as FullJid;
 * await directory.add({ node: "n1", id: "s1", jid, priority: 0 });
 * const displaced = await directory.add({ node: "n1", id: "s2", jid, priority: 0 });
 * if (displaced?.id !== "s1" || (await directory.get(jid))?.id !== "s2") throw new Error();
 * ```
 */
export function memoryDirectory(): SessionDirectory {
  const byFull = new Map<FullJid, SessionRef>();
  const byBare = new Map<BareJid, SessionRef[]>();
  const drop = (ref: SessionRef) => {
    byFull.delete(ref.jid);
    const bare = bareOf(ref.jid);
    const rest = (byBare.get(bare) ?? NONE).filter((r) => r.id !== ref.id);
    if (rest.length) byBare.set(bare, rest);
    else byBare.delete(bare);
  };
  const holds = (ref: SessionRef) => byFull.get(ref.jid)?.id === ref.id;
  return {
    add(ref) {
      const old = byFull.get(ref.jid);
      if (old) drop(old);
      byFull.set(ref.jid, ref);
      const bare = bareOf(ref.jid);
      byBare.set(bare, [...(byBare.get(bare) ?? NONE), ref]);
      return Promise.resolve(old);
    },
    update(ref) {
      if (holds(ref)) {
        byFull.set(ref.jid, ref);
        const bare = bareOf(ref.jid);
        byBare.set(bare, (byBare.get(bare) ?? NONE).map((r) => r.id === ref.id ? ref : r));
      }
      return Promise.resolve();
    },
    remove(ref) {
      if (holds(ref)) drop(ref);
      return Promise.resolve();
    },
    get: (jid) => Promise.resolve(byFull.get(jid)),
    byBare: (jid) => Promise.resolve(byBare.get(jid) ?? NONE),
  };
}

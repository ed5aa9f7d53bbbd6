/**
 * Records which sessions are bound, by full and bare JID. A distributed engine can implement the
 * same interface later; modules never see it.
 *
 * @module
 */
import type { BareJid, FullJid } from "../jid/jid.ts";
import type { LocalSession } from "../base/session.ts";

/** Who is bound where. */
export interface SessionDirectory {
  /**
   * Registers a session.
   * @returns The session it displaced on the same full JID, if any.
   */
  add(session: LocalSession): LocalSession | undefined;
  /** Unregisters a session; does nothing when another session holds its JID now. */
  remove(session: LocalSession): void;
  /** The session bound to a full JID. */
  get(jid: FullJid): LocalSession | undefined;
  /** Every session of an account. */
  byBare(jid: BareJid): readonly LocalSession[];
  /** Every session. */
  all(): Iterable<LocalSession>;
  /** How many sessions are bound. */
  readonly size: number;
}

const NONE: readonly LocalSession[] = Object.freeze([]);

/**
 * Creates the in-process session directory.
 *
 * @returns An empty directory.
 * @example
 * ```ts
 * import { memoryDirectory } from "./session_directory.ts";
 * if (memoryDirectory().size !== 0) throw new Error();
 * ```
 */
export function memoryDirectory(): SessionDirectory {
  const byFull = new Map<FullJid, LocalSession>();
  const byBare = new Map<BareJid, LocalSession[]>();
  return {
    add(session) {
      const old = byFull.get(session.jid);
      if (old) this.remove(old);
      byFull.set(session.jid, session);
      byBare.set(session.bare, [...(byBare.get(session.bare) ?? NONE), session]);
      return old;
    },
    remove(session) {
      if (byFull.get(session.jid) !== session) return;
      byFull.delete(session.jid);
      const rest = (byBare.get(session.bare) ?? NONE).filter((s) => s !== session);
      if (rest.length) byBare.set(session.bare, rest);
      else byBare.delete(session.bare);
    },
    get: (jid) => byFull.get(jid),
    byBare: (jid) => byBare.get(jid) ?? NONE,
    all: () => byFull.values(),
    get size() {
      return byFull.size;
    },
  };
}

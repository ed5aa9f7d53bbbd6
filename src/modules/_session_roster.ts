// A login reads its roster once (private): the presence, blocking and PEP modules share one
// read of the roster per session for a short while, and every roster change forgets it.
import type { Session } from "../base/session.ts";
import type { ModuleApi } from "../module/module_api.ts";
import type { BareJid } from "../jid/jid.ts";
import type { Roster } from "../storage/roster_store.ts";

// session.data key: the roster read for this session, and when.
const KEY = "roster:snapshot";
/** How long a read serves: a login's burst of work, not the session's life. */
const FRESH_MS = 10_000;

interface Snapshot {
  readonly at: number;
  readonly roster: Promise<Roster>;
}

/** The session owner's roster, read once for the modules that all need it at login. */
export function sessionRoster(api: ModuleApi, session: Session): Promise<Roster> {
  const now = api.now().getTime();
  const cached = session.data.get(KEY) as Snapshot | undefined;
  if (cached && now - cached.at < FRESH_MS) return cached.roster;
  const roster = api.storage.roster.get(session.bare);
  session.data.set(KEY, { at: now, roster });
  // A failed read is not kept.
  roster.catch(() => {
    if ((session.data.get(KEY) as Snapshot | undefined)?.roster === roster) {
      session.data.delete(KEY);
    }
  });
  return roster;
}

/** The owner's roster changed: its sessions read it again. */
export async function forgetRoster(api: ModuleApi, owner: BareJid): Promise<void> {
  for (const ref of await api.router.sessions(owner)) api.router.local(ref)?.data.delete(KEY);
}

// Helpers shared by the parts of the storage contract.
import type { BareJid } from "../../src/jid/jid.ts";
import type { Credentials } from "../../src/storage/account_store.ts";
import type { RosterItem } from "../../src/storage/roster_store.ts";

export const jid = (s: string) => s as BareJid;

export function credentials(seed: string): Credentials {
  return {
    sha1: { salt: `s1${seed}`, iterations: 4096, storedKey: `k1${seed}`, serverKey: `v1${seed}` },
    sha256: { salt: `s2${seed}`, iterations: 8192, storedKey: `k2${seed}`, serverKey: `v2${seed}` },
  };
}

export function item(contact: string, extra: Partial<RosterItem> = {}): RosterItem {
  return {
    jid: jid(contact),
    groups: [],
    subscription: "none",
    ask: false,
    approved: false,
    ...extra,
  };
}

/** The ids of a page. */
export const ids = (p: { messages: readonly { id: string }[] }) => p.messages.map((m) => m.id);

// Which account an iq "to the account" is about, and the check that it is the sender's own
// (private; vcard, private storage and PEP).
import type { IqEvent } from "../hooks/iq_registry.ts";
import type { BareJid } from "../jid/jid.ts";
import { StanzaError, type StanzaErrorType } from "../base/stanza_error.ts";

/** The account an iq addressed "to the account" is about: its own when it has no `to`. */
export function targetAccount(ev: IqEvent): BareJid {
  return ev.stanza.attrs.to === undefined ? ev.from.bare : ev.to.bare;
}

/**
 * The account an iq is about, when the sender is that account; otherwise a `forbidden` error
 * of `type` (each protocol names its own).
 */
export function ownAccount(ev: IqEvent, type: StanzaErrorType): BareJid {
  const owner = targetAccount(ev);
  if (!ev.from.local || owner !== ev.from.bare) throw new StanzaError("forbidden", type);
  return owner;
}

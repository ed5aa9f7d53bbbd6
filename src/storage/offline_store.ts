/**
 * Offline messages (XEP-0160): kept for an account with no session, delivered at the next login.
 *
 * @module
 */
import type { BareJid } from "../jid/jid.ts";

/** One stored message. */
export interface OfflineMessage {
  /** Store-assigned id, increasing in arrival order. */
  readonly id: string;
  /** When the server accepted it (for the XEP-0203 delay stamp). */
  readonly stamp: Date;
  /** The message as received (serialized XML, `from` stamped). */
  readonly stanza: string;
}

/** Stores offline messages. A message is durable once `push` resolves. */
export interface OfflineStore {
  /**
   * Stores a message unless the owner already has `limit` of them.
   * @returns The stored message, or `undefined` when the limit was reached.
   */
  push(
    owner: BareJid,
    stanza: string,
    stamp: Date,
    limit: number,
  ): Promise<OfflineMessage | undefined>;
  /** The owner's messages, oldest first. */
  list(owner: BareJid): Promise<OfflineMessage[]>;
  /** How many messages the owner has. */
  count(owner: BareJid): Promise<number>;
  /** Removes delivered messages by id. */
  remove(owner: BareJid, ids: readonly string[]): Promise<void>;
  /** Removes everything of an owner. */
  removeAll(owner: BareJid): Promise<void>;
}

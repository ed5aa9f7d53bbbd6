/**
 * The message archive of XEP-0313 (per user now, per room later).
 *
 * @module
 */
import type { BareJid } from "../jid/jid.ts";

/** One archived message. */
export interface ArchivedMessage {
  /** The stanza id (XEP-0359), unique per archive, ordered by `stamp` then insertion. */
  readonly id: string;
  /** When it was archived. */
  readonly stamp: Date;
  /** The bare JID of the other party. */
  readonly with: BareJid;
  /** Whether the owner sent or received it. */
  readonly direction: "in" | "out";
  /** The message (serialized XML). */
  readonly stanza: string;
}

/** A page request (XEP-0313 §4 with XEP-0059 result set management). */
export interface ArchiveQuery {
  /** Only messages with this bare JID. */
  readonly with?: BareJid;
  /** Only messages at or after. */
  readonly start?: Date;
  /** Only messages at or before. */
  readonly end?: Date;
  /** Only messages after this id. */
  readonly after?: string;
  /** Only messages before this id (`""`: the last page). */
  readonly before?: string;
  /** Page size. */
  readonly max: number;
}

/** A page of the archive. */
export interface ArchivePage {
  /** The messages, oldest first. */
  readonly messages: readonly ArchivedMessage[];
  /** Whether this page reaches the end of the result set in the direction of paging. */
  readonly complete: boolean;
  /** How many messages match the query without paging, when cheap to tell. */
  readonly count?: number;
}

/** Stores archives, keyed by owner (a user's or, later, a room's bare JID). */
export interface ArchiveStore {
  /** Appends a message; durable when it resolves. */
  append(owner: BareJid, message: ArchivedMessage): Promise<void>;
  /** One page of the archive. */
  query(owner: BareJid, query: ArchiveQuery): Promise<ArchivePage>;
  /** Removes everything of an owner. */
  removeAll(owner: BareJid): Promise<void>;
}

/**
 * Message archives (XEP-0313): a user's archive (owner: the user's bare JID) or a room's
 * (owner: the room's bare JID), append-only but for moderation, paged with XEP-0059 result set
 * management in both directions.
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
  /**
   * Who the message was exchanged with, as the archive's `with` filter matches it (exactly):
   * the other party's bare JID in a user's archive, the sender's occupant JID
   * (`room@service/nick`) in a room's archive (XEP-0313 §4.1.1).
   */
  readonly with: string;
  /** Whether the owner sent or received it (a room's archive: "in"). */
  readonly direction: "in" | "out";
  /** The message (serialized XML). */
  readonly stanza: string;
}

/** A page request (XEP-0313 §4 with XEP-0059 result set management). */
export interface ArchiveQuery {
  /** Only messages whose {@linkcode ArchivedMessage.with} is this. */
  readonly with?: string;
  /** Only messages at or after. */
  readonly start?: Date;
  /** Only messages at or before. */
  readonly end?: Date;
  /** Only these ids (the `ids` field of `urn:xmpp:mam:2#extended`), in archive order. */
  readonly ids?: readonly string[];
  /**
   * Only messages after this id (the `after-id` field of `urn:xmpp:mam:2#extended`): a filter
   * of the result set, counted, unlike RSM {@linkcode ArchiveQuery.after}. An id that is not in
   * the archive matches nothing.
   */
  readonly afterId?: string;
  /** Only messages before this id (the `before-id` field): a filter, counted, not a direction. */
  readonly beforeId?: string;
  /** Only messages after this id (RSM `<after/>`). */
  readonly after?: string;
  /**
   * Only messages before this id (RSM `<before/>`); `""`: the last page. Given (even with
   * `after`), the page is the last `max` messages of what matches: paging backwards.
   */
  readonly before?: string;
  /** Page size (0: none, for a count alone). */
  readonly max: number;
  /** Also count the messages that match without `after`, `before` and `max` (RSM `<count/>`). */
  readonly count?: boolean;
  /**
   * Also give the page's position in the result set: how many messages that match (without
   * `after`, `before` and `max`) come before its first one (RSM `<first index/>`).
   */
  readonly index?: boolean;
}

/** A page of the archive. */
export interface ArchivePage {
  /** The messages, oldest first. */
  readonly messages: readonly ArchivedMessage[];
  /** Whether this page reaches the end of the result set in the direction of paging. */
  readonly complete: boolean;
  /** How many messages match the query without paging: when `count` was asked for. */
  readonly count?: number;
  /** The position of the first message in the result set: when `index` was asked for (and the page has messages). */
  readonly index?: number;
}

/** The id and time of one archived message. */
export interface ArchiveBound {
  /** The stanza id. */
  readonly id: string;
  /** When it was archived. */
  readonly stamp: Date;
}

/** The archive's extent (XEP-0313 archive metadata: `<start/>` and `<end/>`). */
export interface ArchiveMetadata {
  /** The oldest message, or `undefined` when the archive is empty. */
  readonly first?: ArchiveBound;
  /** The newest message, or `undefined` when the archive is empty. */
  readonly last?: ArchiveBound;
}

/** Stores archives, keyed by owner (a user's or a room's bare JID). */
export interface ArchiveStore {
  /** Appends a message; durable when it resolves. Fails when the owner has its id already. */
  append(owner: BareJid, message: ArchivedMessage): Promise<void>;
  /** One page of the archive. */
  query(owner: BareJid, query: ArchiveQuery): Promise<ArchivePage>;
  /** One message by id, or `undefined`. */
  get(owner: BareJid, id: string): Promise<ArchivedMessage | undefined>;
  /**
   * Replaces a message's stanza, keeping its id, time, `with` and place: a retraction or
   * moderation tombstone (XEP-0424, XEP-0425). @returns `false` when there is no such message.
   */
  replace(owner: BareJid, id: string, stanza: string): Promise<boolean>;
  /** Removes one message. @returns `false` when there was none. */
  remove(owner: BareJid, id: string): Promise<boolean>;
  /** The first and last message of the archive. */
  metadata(owner: BareJid): Promise<ArchiveMetadata>;
  /** Removes everything of an owner. */
  removeAll(owner: BareJid): Promise<void>;
}

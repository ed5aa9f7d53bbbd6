/**
 * What the router and modules know of a bound client session: a plain reference that a session
 * directory can keep anywhere ({@linkcode SessionRef}), and the live session on this node
 * ({@linkcode Session}).
 *
 * @module
 */
import type { BareJid, FullJid } from "../jid/jid.ts";
import type { TransportInfo } from "./transport.ts";
import type { StreamError } from "./stream_error.ts";
import type { Element } from "../xml/element.ts";

/**
 * A bound session as a session directory records it: plain, structured-cloneable data, so that
 * a directory on another engine (PostgreSQL, NATS) can hold it for a cluster.
 */
export interface SessionRef {
  /** The node (server process) the session lives on. */
  readonly node: string;
  /** The session's id, unique on its node and stable across XEP-0198 resumption. */
  readonly id: string;
  /** The bound full JID. */
  readonly jid: FullJid;
  /** The last available presence the client broadcast; `undefined` while unavailable. */
  readonly presence?: Element;
  /** Priority of that presence (RFC 6121 §4.7.2.3); 0 when unavailable. */
  readonly priority: number;
}

/**
 * Where a session stands.
 *
 * - `active`: attached to a connection.
 * - `hibernated`: its connection is gone but a module (XEP-0198) keeps it routable; stanzas sent
 *   to it pass `stanza/out` and are not written until a connection is attached again.
 * - `closing`, `closed`: it left the directory; a stanza sent to it is handled as for an
 *   unavailable resource (RFC 6121 §8.5).
 */
export type SessionState = "active" | "hibernated" | "closing" | "closed";

/** A bound client session on this node. */
export interface Session extends SessionRef {
  /** The account's bare JID. */
  readonly bare: BareJid;
  /** The bound resource. */
  readonly resource: string;
  /** Facts about the current (or last) connection. */
  readonly info: TransportInfo;
  /** The SASL mechanism the client authenticated with, e.g. "SCRAM-SHA-1". */
  readonly mechanism?: string;
  /** Where the session stands. */
  readonly state: SessionState;
  /**
   * The last available presence the client broadcast; `undefined` while unavailable. The one
   * record of the session's availability: only the router sets it, from the client's own
   * broadcast presence (RFC 6121 §4.2, §4.7.2.3).
   */
  presence: Element | undefined;
  /** Priority of that presence; 0 when unavailable. Set by the router with `presence`. */
  priority: number;
  /** Per-session state kept by modules, keyed by module-chosen names. */
  readonly data: Map<string, unknown>;
  /**
   * Sends a stanza to the client: it passes the `stanza/out` hook (where modules count, rewrite,
   * hold or drop it), then goes to the connection. A session that is closing hands it to the
   * rules for an unavailable resource instead.
   *
   * @returns When the connection can take more: a sender that awaits it is slowed down while
   * the client reads slowly (bounded in time).
   */
  send(stanza: Element): Promise<void>;
  /**
   * Writes an element straight to the connection, past `stanza/out`: for nonzas (XEP-0198
   * `<a/>`) and for stanzas a `stanza/out` handler held and now releases (XEP-0352). Nothing
   * happens while no connection is attached.
   */
  write(element: Element): void;
  /** Ends the session, with a stream error when one is given. */
  close(error?: StreamError): Promise<void>;
}

/**
 * A client connection that is still negotiating, as a module sees it when the negotiation hands
 * it an element of a feature the module offered (the `stream/delegate` hook): XEP-0198
 * `<resume/>` after authentication, for instance.
 */
export interface StreamHandle {
  /** The stream id. */
  readonly id: string;
  /** Facts about the connection. */
  readonly info: TransportInfo;
  /** The authenticated account, once SASL succeeded. */
  readonly account?: BareJid;
  /** Writes an element to the client. */
  write(element: Element): void;
  /**
   * Attaches this connection to a hibernated session of the same account (XEP-0198 §5): the
   * negotiation ends and the connection's elements go to that session from now on. The
   * session's old connection, if it still has one, is closed.
   *
   * @returns `false` when the session cannot be resumed (another account's, or closed).
   */
  resume(session: Session): boolean;
  /** Ends the connection, with a stream error when one is given. */
  close(error?: StreamError): Promise<void>;
}

/**
 * The events modules can hook, and their data.
 *
 * @module
 */
import type { Jid } from "../jid/jid.ts";
import type { LocalSession } from "../router/local_session.ts";
import type { Element } from "../xml/element.ts";

/** A stanza on its way through the router. */
export interface StanzaEvent {
  /** The stanza, `from` stamped by the server. */
  readonly stanza: Element;
  /** The parsed sender. */
  readonly from: Jid;
  /** The parsed recipient (the sender's domain when the stanza had no `to`). */
  readonly to: Jid;
  /** The local session the stanza came from, when it came from one. */
  readonly origin?: LocalSession;
}

/** A session event. */
export interface SessionEvent {
  /** The session. */
  readonly session: LocalSession;
}

/** A session that ended. */
export interface SessionClosedEvent extends SessionEvent {
  /** Whether the client ended the stream itself (`</stream:stream>` after unavailable presence). */
  readonly clean: boolean;
}

/** A non-stanza top-level element from a bound client (e.g. XEP-0198 `<r/>`). */
export interface NonzaEvent extends SessionEvent {
  /** The element. */
  readonly element: Element;
}

/**
 * Every hookable event. Stanza hooks run before the router's default handling; a handler that
 * returns `HANDLED` replaces it.
 */
export interface ServerHooks {
  /** Every stanza from a local client, after validation and `from` stamping. */
  "stanza/in": StanzaEvent;
  /**
   * Every stanza the router routes, from a client, a module or the server, before its
   * destination is looked at (e.g. XEP-0191 blocking). Runs after "stanza/in".
   */
  "stanza/route": StanzaEvent;
  /** A message to the server's domain. */
  "message/server": StanzaEvent;
  /** A message to a local account's bare JID. */
  "message/bare": StanzaEvent;
  /** A message to a local full JID (whether the session exists or not). */
  "message/full": StanzaEvent;
  /** A message for an existing local account with no session to take it (offline storage). */
  "message/offline": StanzaEvent;
  /** Presence to the server (no `to`: broadcast presence, RFC 6121 §4.2). */
  "presence/server": StanzaEvent;
  /** Presence to a local account's bare JID. */
  "presence/bare": StanzaEvent;
  /** Presence to a local full JID. */
  "presence/full": StanzaEvent;
  /** An iq result or error addressed to the server. */
  "iq/server-response": StanzaEvent;
  /**
   * An iq result or error addressed to a local account's bare JID: answers to queries a module
   * sent on the account's behalf (e.g. PEP's XEP-0115 disco#info queries, XEP-0163 §6.1).
   */
  "iq/account-response": StanzaEvent;
  /** A stanza to a domain this server does not host. */
  "stanza/remote": StanzaEvent;
  /** A session bound its resource. */
  "session/bound": SessionEvent;
  /** A session ended, cleanly or not. */
  "session/closed": SessionClosedEvent;
  /** A top-level element that is not a stanza, from a bound client. */
  "nonza": NonzaEvent;
}

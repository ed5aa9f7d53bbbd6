/**
 * The events modules can hook, and their data.
 *
 * The way of a stanza: a connection reads it, the intake checks it and stamps `from`
 * (`stanza/in`), the router runs `stanza/route`, classifies the destination and runs that
 * destination's hooks (`message/bare`, `presence/server`, a component, `stanza/remote`…), and
 * every stanza written to a local session passes `stanza/out` before the connection writes it.
 *
 * @module
 */
import type { BareJid, Jid } from "../jid/jid.ts";
import type { Session, StreamHandle } from "../base/session.ts";
import type { StreamError } from "../base/stream_error.ts";
import type { Element } from "../xml/element.ts";
import type { RosterItem } from "../storage/roster_store.ts";

/** A stanza on its way through the router. */
export interface StanzaEvent {
  /** The stanza, `from` stamped by the server. */
  readonly stanza: Element;
  /** The parsed sender. */
  readonly from: Jid;
  /** The parsed recipient (the sender's domain when the stanza had no `to`). */
  readonly to: Jid;
  /** The local session the stanza came from, when it came from one. */
  readonly origin?: Session;
}

/**
 * A stanza the router is about to route (`stanza/route`). A handler may replace `stanza`: the
 * next handlers and the rest of the route see the new one (XEP-0359: the message archive adds
 * its `<stanza-id/>` there, and strips one that claims its `by`).
 */
export interface RouteEvent extends StanzaEvent {
  /** The stanza; a handler may replace it (same `from` and `to`). */
  stanza: Element;
}

/** The client's own broadcast presence (RFC 6121 §4.2), with what it changed. */
export interface PresenceEvent extends StanzaEvent {
  /** The session's presence before this one; `undefined` when it was unavailable. */
  readonly previous: { readonly presence: Element | undefined; readonly priority: number };
}

/**
 * A top-level element a bound client sent, once the intake looked at it: every stanza passes,
 * also those the intake answers with an error or drops (XEP-0198 counts them all).
 */
export interface InboundEvent {
  /** The session it came from. */
  readonly session: Session;
  /** The stanza, `from` stamped when the intake accepted it. */
  readonly stanza: Element;
  /**
   * What the intake decided: "route" (valid, routed next), "reply" (answered with an error) or
   * "drop" (an error stanza that cannot be answered).
   */
  readonly verdict: "route" | "reply" | "drop";
}

/**
 * A stanza about to be written to a local session. Handlers run synchronously, highest
 * priority first; they may count it, replace `stanza` (the next handlers and the connection see
 * the new one), or return `HANDLED` to hold or drop it. A handler that holds stanzas and
 * releases them later (XEP-0352) writes them with `Session.write` and must run after any
 * handler that counts them (XEP-0198): give it a lower priority.
 */
export interface OutboundEvent {
  /** The session it goes to. */
  readonly session: Session;
  /** The stanza; a handler may replace it. */
  stanza: Element;
}

/** A session event. */
export interface SessionEvent {
  /** The session. */
  readonly session: Session;
}

/**
 * A session's connection ended without the session being closed on purpose. A handler that
 * returns `HANDLED` keeps the session hibernated (XEP-0198 §5): routable, its stanzas passing
 * `stanza/out`, until the module attaches a new connection or closes it. Otherwise it closes.
 */
export interface SessionEndingEvent extends SessionEvent {
  /** The stream error that ended the connection, if one was sent or received. */
  readonly error?: StreamError;
}

/** A session that ended. */
export interface SessionClosedEvent extends SessionEvent {
  /** Whether the client ended the stream itself (`</stream:stream>` after unavailable presence). */
  readonly clean: boolean;
}

/** An account that was removed with everything the core stores for it. */
export interface AccountEvent {
  /** The account's bare JID. */
  readonly jid: BareJid;
}

/** What changed in the application-provided part of a roster. */
export interface ProvidedRosterEvent extends AccountEvent {
  /** Items added or changed (subscription `both`). */
  readonly changed: readonly RosterItem[];
  /** Contacts no longer provided. */
  readonly removed: readonly BareJid[];
  /** The roster's new version. */
  readonly version: string;
}

/** A non-stanza top-level element from a bound client (e.g. XEP-0198 `<r/>`). */
export interface NonzaEvent extends SessionEvent {
  /** The element. */
  readonly element: Element;
}

/** A stanza a session took but could not write: it closed, or its client stopped reading. */
export interface UndeliverableEvent extends SessionEvent {
  /** The stanza, as it was sent to the session. */
  readonly stanza: Element;
}

/**
 * An element a negotiating client sent in the namespace of a stream feature a module offered
 * (`ModuleApi.streamFeature`), e.g. XEP-0198 `<resume/>`. Unhandled, it ends the stream with
 * `<unsupported-stanza-type/>`.
 */
export interface DelegateEvent {
  /** The connection. */
  readonly stream: StreamHandle;
  /** The element. */
  readonly element: Element;
}

/**
 * Every hookable event. Stanza hooks run before the router's default handling; a handler that
 * returns `HANDLED` replaces it.
 */
export interface ServerHooks {
  /** Every top-level stanza from a local client, after the intake looked at it. */
  "stanza/in": InboundEvent;
  /**
   * Every stanza the router routes, from a client, a module or another server, before its
   * destination is looked at (e.g. XEP-0191 blocking).
   */
  "stanza/route": RouteEvent;
  /** A message to the server's domain. */
  "message/server": StanzaEvent;
  /** A message to a local account's bare JID. */
  "message/bare": StanzaEvent;
  /** A message to a local full JID (whether the session exists or not). */
  "message/full": StanzaEvent;
  /** A message for an existing local account with no session to take it (offline storage). */
  "message/offline": StanzaEvent;
  /** The client's own broadcast presence (no `to`, RFC 6121 §4.2), after it was recorded. */
  "presence/server": PresenceEvent;
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
  /** A stanza to a domain that is neither hosted nor a component (before remote routing). */
  "stanza/remote": StanzaEvent;
  /** A stanza about to be written to a local session (synchronous handlers). */
  "stanza/out": OutboundEvent;
  /** A stanza a session took but could not write (`HANDLED`: a module keeps it). */
  "stanza/undeliverable": UndeliverableEvent;
  /** A session bound its resource. */
  "session/bound": SessionEvent;
  /** A session's connection ended unexpectedly (`HANDLED`: keep it hibernated). */
  "session/ending": SessionEndingEvent;
  /** A hibernated session got a new connection. */
  "session/resumed": SessionEvent;
  /** A session ended, cleanly or not. */
  "session/closed": SessionClosedEvent;
  /** A top-level element that is not a stanza, from a bound client. */
  "nonza": NonzaEvent;
  /**
   * An account was removed (XEP-0077, an admin command, `XmppServer.removeUser`): modules that
   * keep data of their own for accounts (documents) remove it here.
   */
  "account/removed": AccountEvent;
  /** An account was created by in-band registration (XEP-0077 §3.1), e.g. for a welcome message. */
  "account/created": AccountEvent;
  /**
   * The host application's contacts of an account changed (`XmppServer.rosterChanged`, #15):
   * the roster module pushes the changes.
   */
  "roster/provided": ProvidedRosterEvent;
  /** An element of a module's stream feature during negotiation. */
  "stream/delegate": DelegateEvent;
}

/** The hooks whose handlers must be synchronous (they run on the hot path of every stanza). */
export type SyncHooks = "stanza/out";

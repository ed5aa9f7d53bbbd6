/**
 * A bound client session: the routable entity (JID, presence, module data) that a connection
 * carries. It can outlive its connection (hibernation, XEP-0198 §5) and be attached to a new
 * one (resumption).
 *
 * @module
 */
import type { Logger } from "../base/logger.ts";
import type { Session, SessionState } from "../base/session.ts";
import type { StreamError } from "../base/stream_error.ts";
import type { TransportInfo } from "../base/transport.ts";
import type { BareJid, FullJid } from "../jid/jid.ts";
import type { Element } from "../xml/element.ts";
import type { Attachment, Connection } from "./connection.ts";

/** What a session needs from its server. */
export interface SessionHost {
  /** This node's id. */
  readonly node: string;
  /** Where to log. */
  readonly logger: Logger;
  /**
   * Runs `stanza/out`.
   *
   * @returns The stanza to write (a module may have replaced it), or `undefined` when a module
   * held or dropped it.
   */
  outbound(session: Session, stanza: Element): Element | undefined;
  /** A stanza the session took but cannot write: `stanza/undeliverable`, then RFC 6121 §8.5. */
  undeliverable(session: Session, stanza: Element): void;
  /** The session leaves the directory (it is closing). */
  detach(session: Session): Promise<void>;
  /** Its connection ended unexpectedly: `true` when a module keeps it hibernated. */
  ending(session: Session, error: StreamError | undefined): Promise<boolean>;
  /** A hibernated session got a new connection. */
  resumed(session: Session): Promise<void>;
  /** The session ended. */
  closed(session: Session, clean: boolean): Promise<void>;
  /** A top-level element from the client: intake, `stanza/in`, routing, nonzas. */
  receive(session: Session, element: Element): Promise<void>;
}

const RESOLVED: Promise<void> = Promise.resolve();

/** A bound client session on this node. */
export class ClientSession implements Session, Attachment {
  readonly node: string;
  readonly id: string;
  readonly jid: FullJid;
  readonly bare: BareJid;
  readonly resource: string;
  readonly mechanism?: string;
  presence: Element | undefined;
  priority = 0;
  readonly data: Map<string, unknown> = new Map();
  readonly #host: SessionHost;
  #conn: Connection | undefined;
  #info: TransportInfo;
  #state: SessionState = "active";
  #closing: Promise<void> | undefined;
  // Stanzas sent while the connection is ending and the session's fate is not decided yet.
  #limbo: Element[] | undefined;

  /**
   * @param conn The connection it was bound on.
   * @param jid The bound full JID.
   * @param host The server side.
   * @param mechanism The SASL mechanism used.
   */
  constructor(conn: Connection, jid: FullJid, host: SessionHost, mechanism?: string) {
    this.#conn = conn;
    this.#info = conn.info;
    this.#host = host;
    this.node = host.node;
    this.id = conn.id;
    this.jid = jid;
    const slash = jid.indexOf("/");
    this.bare = jid.slice(0, slash) as BareJid;
    this.resource = jid.slice(slash + 1);
    this.mechanism = mechanism;
  }

  /** The session itself (what a connection's attachment exposes). */
  get session(): Session {
    return this;
  }

  get info(): TransportInfo {
    return this.#info;
  }

  get state(): SessionState {
    return this.#state;
  }

  send(stanza: Element): Promise<void> {
    if (this.#state === "closing" || this.#state === "closed") {
      // RFC 6120 §4.4: nothing after our stream end; it goes elsewhere (RFC 6121 §8.5).
      this.#host.undeliverable(this, stanza);
      return RESOLVED;
    }
    const out = this.#host.outbound(this, stanza);
    if (out === undefined) return RESOLVED;
    const conn = this.#conn;
    if (conn && !conn.closing && conn.writeStanza(out)) return conn.drained();
    // Hibernated: the module that keeps the session counted the stanza in `stanza/out`.
    if (this.#state === "hibernated") return RESOLVED;
    // The connection is ending: decided once the session's fate is.
    (this.#limbo ??= []).push(out);
    return RESOLVED;
  }

  write(element: Element): void {
    const conn = this.#conn;
    if (conn && !conn.closing) conn.writeElement(element);
  }

  close(error?: StreamError): Promise<void> {
    this.#closing ??= this.#end(error, false);
    return this.#closing;
  }

  /**
   * Attaches a new connection (XEP-0198 resumption); the old one, if any, is closed.
   *
   * @param conn The new connection, authenticated as this session's account.
   * @returns `false` when the session has ended.
   */
  attach(conn: Connection): boolean {
    if (this.#state === "closing" || this.#state === "closed") return false;
    const old = this.#conn;
    this.#conn = conn;
    this.#info = conn.info;
    this.#state = "active";
    this.#limbo = undefined;
    conn.attach(this);
    // XEP-0198 §5: the old connection is closed when the session resumes elsewhere.
    if (old && old !== conn) void old.close();
    this.#host.resumed(this).catch((e) => this.#log("Resumption handling failed", e));
    return true;
  }

  receive(_conn: Connection, element: Element): Promise<void> {
    return this.#host.receive(this, element);
  }

  clientClosed(conn: Connection): Promise<void> {
    if (conn !== this.#conn) return RESOLVED;
    this.#closing ??= this.#end(undefined, true);
    return this.#closing;
  }

  connectionClosing(conn: Connection, error: StreamError | undefined): void {
    if (conn !== this.#conn || this.#closing || this.#state !== "active") return;
    this.#limbo ??= [];
    this.#decide(error).catch((e) => this.#log("Session end handling failed", e));
  }

  unsent(conn: Connection, stanzas: Element[]): void {
    if (conn !== this.#conn) return;
    if (this.#state === "active") {
      (this.#limbo ??= []).push(...stanzas);
      return;
    }
    if (this.#state === "closing") { for (const s of stanzas) this.#host.undeliverable(this, s); }
  }

  /** The connection is gone: hibernate when a module keeps the session, else end it. */
  async #decide(error: StreamError | undefined): Promise<void> {
    if (await this.#host.ending(this, error)) {
      if (this.#closing) return;
      // The module that keeps it counted every stanza in `stanza/out`.
      this.#state = "hibernated";
      this.#conn = undefined;
      this.#limbo = undefined;
      return;
    }
    await this.close(error);
  }

  async #end(error: StreamError | undefined, clean: boolean): Promise<void> {
    this.#state = "closing";
    // Out of the directory first: what is routed from now on goes to another resource or to
    // offline storage; what was queued before is written before our stream end.
    const leaving = this.#host.detach(this);
    const closing = this.#conn?.close(error);
    await leaving;
    // What the connection could not take goes elsewhere now, not once the transport is gone.
    for (const stanza of this.#limbo ?? []) this.#host.undeliverable(this, stanza);
    this.#limbo = undefined;
    await closing;
    this.#state = "closed";
    try {
      await this.#host.closed(this, clean);
    } catch (e) {
      this.#log("Session end handling failed", e);
    }
  }

  #log(message: string, e: unknown): void {
    this.#host.logger.error(message, {
      session: this.id,
      error: e instanceof Error ? e.message : String(e),
    });
  }
}

/**
 * This node's sessions and what connections and sessions ask of the server: binding a
 * resource, taking in a client's elements (intake, `stanza/in`, routing), `stanza/out`,
 * stanzas a session could not write, hibernation and resumption, and the end of a session.
 *
 * @module
 */
import type { Logger } from "../base/logger.ts";
import type { Session, StreamHandle } from "../base/session.ts";
import { errorReply, StanzaError } from "../base/stanza_error.ts";
import { StreamError } from "../base/stream_error.ts";
import type { HookRegistry } from "../hooks/hook_registry.ts";
import type { OutboundEvent, ServerHooks } from "../hooks/server_hooks.ts";
import type { FullJid } from "../jid/jid.ts";
import { type LocalRouter, refOf } from "../router/router.ts";
import type { SessionDirectory } from "../router/session_directory.ts";
import { ClientSession, type SessionHost } from "../stream/client_session.ts";
import type { Attachment, Connection } from "../stream/connection.ts";
import { intake } from "../stream/intake.ts";
import type { Element } from "../xml/element.ts";

/** What the hub is built from. */
export interface SessionHubDeps {
  /** This node's id. */
  readonly node: string;
  /** Who is bound where. */
  readonly directory: SessionDirectory;
  /** The router. */
  readonly router: LocalRouter;
  /** The modules' hooks. */
  readonly hooks: HookRegistry<ServerHooks>;
  /** The logger. */
  readonly logger: Logger;
}

function message(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** This node's live sessions and the server's side of their lifecycle. */
export class SessionHub implements SessionHost {
  readonly node: string;
  readonly logger: Logger;
  readonly #deps: SessionHubDeps;
  readonly #sessions = new Map<string, ClientSession>();
  readonly #logOutError = (e: unknown) =>
    this.logger.error("A stanza/out handler failed", { error: message(e) });

  /**
   * @param deps What the hub is built from.
   */
  constructor(deps: SessionHubDeps) {
    this.#deps = deps;
    this.node = deps.node;
    this.logger = deps.logger;
  }

  /** The live session with this id. */
  get(id: string): ClientSession | undefined {
    return this.#sessions.get(id);
  }

  /** Every live session, hibernated ones included. */
  all(): ClientSession[] {
    return [...this.#sessions.values()];
  }

  /** How many live sessions there are. */
  get size(): number {
    return this.#sessions.size;
  }

  /**
   * Creates the session a connection bound and registers it (RFC 6120 §7).
   *
   * @param conn The connection.
   * @param jid The bound full JID.
   * @param mechanism The SASL mechanism used.
   * @returns The session, as the connection's attachment.
   */
  async bind(conn: Connection, jid: FullJid, mechanism: string | undefined): Promise<Attachment> {
    const session = new ClientSession(conn, jid, this, mechanism);
    this.#sessions.set(session.id, session);
    const displaced = await this.#deps.directory.add(refOf(session));
    // RFC 6120 §7.7.2.2: the older session with the same full JID gets <conflict/>.
    const old = displaced && this.#deps.router.local(displaced);
    if (old) void old.close(new StreamError("conflict", "Replaced by a new session"));
    this.logger.info("Session bound", { session: session.id, transport: conn.info.kind });
    try {
      await this.#deps.hooks.run("session/bound", { session });
    } catch (e) {
      // A module failed (storage lost): the session never was; nothing may route to it.
      this.#sessions.delete(session.id);
      await this.#deps.directory.remove(refOf(session)).catch(() => {});
      await this.#deps.hooks.run("session/closed", { session, clean: false }).catch(() => {});
      throw e;
    }
    return session;
  }

  /**
   * Hands a negotiating connection's element to the module that offered its feature; the
   * handle lets that module resume a hibernated session of the same account on it.
   *
   * @param conn The connection.
   * @param element The element.
   * @returns Whether a module took it.
   */
  delegate(conn: Connection, element: Element): Promise<boolean> {
    return this.#deps.hooks.run("stream/delegate", { stream: this.streamHandle(conn), element });
  }

  /**
   * A negotiating connection as modules see it: it may resume a hibernated session of the
   * same account.
   *
   * @param conn The connection.
   * @returns The handle.
   */
  streamHandle(conn: Connection): StreamHandle {
    return conn.handle((target) => {
      const session = this.#sessions.get(target.id);
      if (!session || session.bare !== conn.account) return false;
      return session.attach(conn);
    });
  }

  /** @inheritdoc */
  async receive(session: Session, element: Element): Promise<void> {
    const result = intake(element, session.jid);
    const { hooks } = this.#deps;
    switch (result.kind) {
      case "route":
        if (await hooks.run("stanza/in", { session, stanza: result.stanza, verdict: "route" })) {
          return;
        }
        return this.#route(session, element, result.stanza);
      case "reply":
        if (await hooks.run("stanza/in", { session, stanza: result.stanza, verdict: "reply" })) {
          return;
        }
        await session.send(errorReply(result.stanza, result.error));
        return;
      case "drop":
        await hooks.run("stanza/in", { session, stanza: element, verdict: "drop" });
        return;
      case "nonza":
        if (await hooks.run("nonza", { session, element })) return;
        // RFC 6120 §4.9.3.24: a top-level element that is no stanza the server knows.
        throw new StreamError("unsupported-stanza-type");
      case "stream-error":
        throw result.error;
    }
  }

  async #route(session: Session, raw: Element, stanza: Element): Promise<void> {
    try {
      await this.#deps.router.route(stanza, session);
    } catch (e) {
      if (e instanceof StreamError) throw e;
      this.logger.error("Routing failed", {
        session: session.id,
        stanza: raw.name,
        error: message(e),
      });
      // Straight back to the sender: routing the error could fail the same way again.
      if (stanza.attrs.type !== "error") {
        await session.send(errorReply(stanza, new StanzaError("internal-server-error", "wait")));
      }
    }
  }

  /** @inheritdoc */
  outbound(session: Session, stanza: Element): Element | undefined {
    const { hooks } = this.#deps;
    // Most stanzas meet no handler: no event object for them.
    if (!hooks.has("stanza/out")) return stanza;
    const event: OutboundEvent = { session, stanza };
    return hooks.runSync("stanza/out", event, this.#logOutError) ? undefined : event.stanza;
  }

  /** @inheritdoc */
  undeliverable(session: Session, stanza: Element): void {
    (async () => {
      if (await this.#deps.hooks.run("stanza/undeliverable", { session, stanza })) return;
      await this.#deps.router.undeliverable(stanza);
    })().catch((e) =>
      this.logger.error("Redelivery failed", {
        session: session.id,
        stanza: stanza.name,
        error: message(e),
      })
    );
  }

  /** @inheritdoc */
  detach(session: Session): Promise<void> {
    return this.#deps.directory.remove(refOf(session));
  }

  /** @inheritdoc */
  ending(session: Session, error: StreamError | undefined): Promise<boolean> {
    return this.#deps.hooks.run("session/ending", { session, error });
  }

  /** @inheritdoc */
  async resumed(session: Session): Promise<void> {
    this.logger.info("Session resumed", { session: session.id, transport: session.info.kind });
    await this.#deps.hooks.run("session/resumed", { session });
  }

  /** @inheritdoc */
  async closed(session: Session, clean: boolean): Promise<void> {
    this.#sessions.delete(session.id);
    await this.#deps.hooks.run("session/closed", { session, clean });
  }
}

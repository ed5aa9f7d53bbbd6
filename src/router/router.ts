/**
 * The router: delivers stanzas whose `from` is trusted, per RFC 6120 §10 and RFC 6121 §8.5,
 * running the modules' hooks and IQ handlers on the way. Local sessions are found through the
 * session directory (references) and this node's live sessions; components and the remote
 * router take what is theirs.
 *
 * @module
 */
import type { Logger } from "../base/logger.ts";
import type { Session, SessionRef } from "../base/session.ts";
import { errorReply, StanzaError } from "../base/stanza_error.ts";
import { HANDLED, type HookRegistry } from "../hooks/hook_registry.ts";
import type { IqRegistry } from "../hooks/iq_registry.ts";
import type { RouteEvent, ServerHooks, StanzaEvent } from "../hooks/server_hooks.ts";
import { type BareJid, type FullJid, type Jid, parseJid, tryParseJid } from "../jid/jid.ts";
import { child, type Element, text } from "../xml/element.ts";
import { NS } from "../xml/ns.ts";
import { classify, type Destination } from "./classify.ts";
import { bareMessageTargets, messageType, missingFullMessage } from "./delivery.ts";
import type { DomainTable } from "./domains.ts";
import { dispatchIq, type IqDispatchDeps } from "./iq_dispatch.ts";
import type { SessionDirectory } from "./session_directory.ts";

/** What modules use to send stanzas and find sessions. */
export interface Router {
  /**
   * Routes a stanza whose `from` is set and trusted.
   *
   * @param stanza The stanza.
   * @param origin The local session it came from, if any.
   */
  route(stanza: Element, origin?: Session): Promise<void>;
  /** Answers a stanza with an error, unless it is an error itself (RFC 6120 §8.3.1). */
  bounce(stanza: Element, error: StanzaError): Promise<void>;
  /**
   * Handles a stanza that a local session took but can no longer write (it closed or stopped
   * reading) as for an unavailable resource (RFC 6121 §8.5): a `chat` or `normal` message goes
   * to the account's other resources or to offline storage, an iq request is answered with
   * `<service-unavailable/>`, anything else is dropped. The session has left the directory.
   *
   * @param stanza The stanza, as routed to the session.
   */
  undeliverable(stanza: Element): Promise<void>;
  /** The session bound to a full JID, on any node. */
  session(jid: FullJid): Promise<SessionRef | undefined>;
  /** Every session of an account, on any node. */
  sessions(jid: BareJid): Promise<readonly SessionRef[]>;
  /** The live session a reference names, when it lives on this node. */
  local(ref: SessionRef): Session | undefined;
  /** Whether a domain is hosted here (it has local accounts). */
  isLocal(domain: string): boolean;
}

/** This node's live sessions, by session id. */
export interface LocalSessions {
  /** The session with this id, if it lives here. */
  get(id: string): Session | undefined;
}

/** What the router is built from. */
export interface RouterDeps {
  /** This node's id (the `node` of its session references). */
  readonly node: string;
  /** Hosted and component domains, and the remote router. */
  readonly domains: DomainTable;
  /** Who is bound where. */
  readonly directory: SessionDirectory;
  /** This node's live sessions. */
  readonly locals: LocalSessions;
  /** The modules' hooks. */
  readonly hooks: HookRegistry<ServerHooks>;
  /** The modules' IQ handlers. */
  readonly iqs: IqRegistry;
  /** Whether an account exists. */
  accountExists(jid: BareJid): Promise<boolean>;
  /** Where failures of handlers are logged. */
  readonly logger: Logger;
}

/** A session's reference as a directory keeps it: a snapshot, not the live object. */
export function refOf(session: Session): SessionRef {
  return {
    node: session.node,
    id: session.id,
    jid: session.jid,
    presence: session.presence,
    priority: session.priority,
  };
}

/** RFC 6121 §4.7.2.3: the priority of a presence, clamped to -128..127; 0 when absent. */
function priorityOf(presence: Element): number {
  const raw = Number.parseInt(text(child(presence, "priority", NS.CLIENT)), 10);
  return Number.isNaN(raw) ? 0 : Math.max(-128, Math.min(127, raw));
}

/**
 * The router of one node.
 *
 * @example
 * ```ts
 * import { LocalRouter } from "./router.ts";
 * import { DomainTable } from "./domains.ts";
 * import { memoryDirectory } from "./session_directory.ts";
 * import { HookRegistry } from "../hooks/hook_registry.ts";
 * import { IqRegistry } from "../hooks/iq_registry.ts";
 * import { silentLogger } from "../base/logger.ts";
 * import { xml } from "../xml/element.ts";
 * const bounced: string[] = [];
 * const router = new LocalRouter({
 *   node: "n1", domains: new DomainTable(["localhost"]), directory: memoryDirectory(),
 *   locals: new Map(), hooks: new HookRegistry(), iqs: new IqRegistry(),
 *   accountExists: () => Promise.resolve(false), logger: silentLogger,
 * });
 * // Nobody serves example.org: an iq to it comes back as remote-server-not-found.
 * router.bounce = (stanza, error) => Promise.resolve(void bounced.push(error.condition));
 * await router.route(xml("iq", { type: "get", id: "1", from: "localhost", to: "example.org" }));
 * if (bounced[0] !== "remote-server-not-found") throw new Error(bounced.join());
 * ```
 */
export class LocalRouter implements Router {
  readonly #deps: RouterDeps;
  readonly #iq: IqDispatchDeps;

  /**
   * @param deps What the router is built from.
   */
  constructor(deps: RouterDeps) {
    this.#deps = deps;
    this.#iq = {
      iqs: deps.iqs,
      logger: deps.logger,
      route: (stanza) => this.route(stanza),
      bounce: (stanza, error) => this.bounce(stanza, error),
      accountExists: (jid) => this.#accountExists(parseJid(jid).bare),
    };
  }

  /** @inheritdoc */
  session(jid: FullJid): Promise<SessionRef | undefined> {
    return this.#deps.directory.get(jid);
  }

  /** @inheritdoc */
  sessions(jid: BareJid): Promise<readonly SessionRef[]> {
    return this.#deps.directory.byBare(jid);
  }

  /** @inheritdoc */
  local(ref: SessionRef): Session | undefined {
    return ref.node === this.#deps.node ? this.#deps.locals.get(ref.id) : undefined;
  }

  /** @inheritdoc */
  isLocal(domain: string): boolean {
    return this.#deps.domains.isHosted(domain);
  }

  /** @inheritdoc */
  async bounce(stanza: Element, error: StanzaError): Promise<void> {
    if (stanza.attrs.type === "error" || !stanza.attrs.from) return;
    // RFC 6120 §10.3.3: a stanza with no 'to' was handled on behalf of the sender's account.
    await this.route(
      errorReply(stanza, error, stanza.attrs.to ?? parseJid(stanza.attrs.from).bare),
    );
  }

  /** @inheritdoc */
  async route(stanza: Element, origin?: Session): Promise<void> {
    const from = parseJid(stanza.attrs.from!);
    const rawTo = stanza.attrs.to;
    const to = rawTo === undefined ? parseJid(from.domain) : tryParseJid(rawTo);
    if (!to) return this.bounce(stanza, new StanzaError("jid-malformed", "modify"));
    const ev: RouteEvent = { stanza, from, to, origin };
    // A handler may replace ev.stanza (RouteEvent): what follows routes the new one.
    if (await this.#deps.hooks.run("stanza/route", ev)) return;
    const dest = classify(to, this.#deps.domains);
    if (dest.kind === "component") return this.#toComponent(ev);
    if (dest.kind === "remote") return this.#toRemote(ev);
    switch (stanza.name) {
      case "iq":
        return this.#routeIq(ev, dest);
      case "message":
        return this.#routeMessage(ev, dest);
      case "presence":
        return this.#routePresence(ev, dest);
    }
  }

  /** @inheritdoc */
  async undeliverable(stanza: Element): Promise<void> {
    if (stanza.name === "iq") {
      const type = stanza.attrs.type;
      if (type === "get" || type === "set") {
        await this.bounce(stanza, new StanzaError("service-unavailable", "cancel"));
      }
      return;
    }
    if (stanza.name !== "message") return;
    const type = messageType(stanza);
    if (missingFullMessage(type) !== "as-bare") return;
    const from = tryParseJid(stanza.attrs.from ?? "");
    const to = tryParseJid(stanza.attrs.to ?? "");
    if (!from || !to || !this.isLocal(to.domain) || !to.local) return;
    // Only sessions that can still take it (a directory on another engine may lag behind).
    const open = (await this.sessions(to.bare)).filter((ref) => {
      const state = this.local(ref)?.state;
      return state !== "closing" && state !== "closed";
    });
    const decision = bareMessageTargets(open, type);
    // A message to the bare JID went to every top-priority resource at once: when another one
    // is available it had its copy, so only a message no other resource took is redelivered.
    if (!to.resource && decision.kind === "deliver") return;
    return this.#deliverBare({ stanza, from, to }, decision);
  }

  async #accountExists(jid: BareJid): Promise<boolean> {
    // A bound session proves the account exists without a storage round trip.
    return (await this.sessions(jid)).length > 0 || await this.#deps.accountExists(jid);
  }

  /** Sends to the live session a reference names; `undefined` when it is not here. */
  #toSession(ref: SessionRef | undefined, stanza: Element): Promise<void> | undefined {
    const session = ref && this.local(ref);
    return session?.send(stanza);
  }

  async #toComponent(ev: StanzaEvent): Promise<void> {
    const handler = this.#deps.domains.component(ev.to.domain);
    if (handler && await handler(ev) === HANDLED) return;
    const { stanza } = ev;
    const type = stanza.attrs.type;
    if (stanza.name === "presence") return;
    if (stanza.name === "iq" && type !== "get" && type !== "set") return;
    await this.bounce(stanza, new StanzaError("service-unavailable", "cancel"));
  }

  async #toRemote(ev: StanzaEvent): Promise<void> {
    if (await this.#deps.hooks.run("stanza/remote", ev)) return;
    const remote = this.#deps.domains.remote;
    if (remote) return remote.route(ev);
    // RFC 6120 §10.4.3: no route to the domain. Presence is dropped rather than bounced.
    if (ev.stanza.name === "presence") return;
    await this.bounce(ev.stanza, new StanzaError("remote-server-not-found", "cancel"));
  }

  async #routeIq(ev: StanzaEvent, dest: Destination): Promise<void> {
    const { stanza } = ev;
    const request = stanza.attrs.type === "get" || stanza.attrs.type === "set";
    switch (dest.kind) {
      case "server":
        if (!request) {
          await this.#deps.hooks.run("iq/server-response", ev);
          return;
        }
        return dispatchIq(this.#iq, ev, stanza.attrs.to === undefined ? "self" : "server");
      case "bare":
        if (!request) {
          await this.#deps.hooks.run("iq/account-response", ev);
          return;
        }
        return dispatchIq(this.#iq, ev, ev.origin?.bare === dest.jid.bare ? "self" : "account");
      case "full": {
        const sent = this.#toSession(await this.session(dest.jid.full as FullJid), stanza);
        if (sent) return sent;
        // RFC 6120 §10.5.3.1: no such resource.
        if (request) await this.bounce(stanza, new StanzaError("service-unavailable", "cancel"));
        return;
      }
    }
  }

  async #deliverBare(
    ev: StanzaEvent,
    decision: ReturnType<typeof bareMessageTargets>,
  ): Promise<void> {
    switch (decision.kind) {
      case "deliver":
        for (const ref of decision.to) await this.#toSession(ref, ev.stanza);
        return;
      case "offline":
        if (await this.#deps.hooks.run("message/offline", ev)) return;
        return this.bounce(ev.stanza, new StanzaError("service-unavailable", "cancel"));
      case "error":
        return this.bounce(ev.stanza, new StanzaError(decision.condition, "cancel"));
      case "drop":
        return;
    }
  }

  async #toBare(ev: StanzaEvent, jid: Jid): Promise<void> {
    if (await this.#deps.hooks.run("message/bare", ev)) return;
    const sessions = await this.sessions(jid.bare);
    if (sessions.length === 0 && !await this.#deps.accountExists(jid.bare)) {
      // RFC 6121 §8.5.1: no such account.
      return this.bounce(ev.stanza, new StanzaError("service-unavailable", "cancel"));
    }
    return this.#deliverBare(ev, bareMessageTargets(sessions, messageType(ev.stanza)));
  }

  async #routeMessage(ev: StanzaEvent, dest: Destination): Promise<void> {
    const { stanza } = ev;
    switch (dest.kind) {
      case "server":
        if (await this.#deps.hooks.run("message/server", ev)) return;
        return this.bounce(stanza, new StanzaError("service-unavailable", "cancel"));
      case "bare":
        return this.#toBare(ev, dest.jid);
      case "full": {
        if (await this.#deps.hooks.run("message/full", ev)) return;
        const sent = this.#toSession(await this.session(dest.jid.full as FullJid), stanza);
        if (sent) return sent;
        if (missingFullMessage(messageType(stanza)) === "as-bare") {
          return this.#toBare(ev, dest.jid);
        }
        return;
      }
    }
  }

  /** RFC 6121 §4.2, §4.7.2.3: the one record of a session's availability and priority. */
  async #recordPresence(ev: StanzaEvent, session: Session): Promise<void> {
    const previous = { presence: session.presence, priority: session.priority };
    const type = ev.stanza.attrs.type;
    if (type === undefined) {
      session.presence = ev.stanza;
      session.priority = priorityOf(ev.stanza);
    } else if (type === "unavailable") {
      session.presence = undefined;
      session.priority = 0;
    }
    if (session.presence !== previous.presence) await this.#deps.directory.update(refOf(session));
    await this.#deps.hooks.run("presence/server", { ...ev, previous });
  }

  async #routePresence(ev: StanzaEvent, dest: Destination): Promise<void> {
    const { stanza, origin } = ev;
    switch (dest.kind) {
      case "server":
        if (origin && stanza.attrs.to === undefined) return this.#recordPresence(ev, origin);
        return;
      case "bare": {
        if (await this.#deps.hooks.run("presence/bare", ev)) return;
        for (const ref of await this.sessions(dest.jid.bare)) {
          if (ref.presence) await this.#toSession(ref, stanza);
        }
        return;
      }
      case "full": {
        if (await this.#deps.hooks.run("presence/full", ev)) return;
        await this.#toSession(await this.session(dest.jid.full as FullJid), stanza);
        return;
      }
    }
  }
}

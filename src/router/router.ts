/**
 * The local router: delivers stamped stanzas per RFC 6120 §10 and RFC 6121 §8.5, running the
 * modules' hooks and IQ handlers on the way.
 *
 * @module
 */
import type { HookRegistry } from "../hooks/hook_registry.ts";
import type { IqRegistry, IqTarget } from "../hooks/iq_registry.ts";
import type { ServerHooks, StanzaEvent } from "../hooks/server_hooks.ts";
import { type BareJid, type FullJid, type Jid, parseJid, tryParseJid } from "../jid/jid.ts";
import type { Logger } from "../server/logger.ts";
import type { AccountStore } from "../storage/account_store.ts";
import { child, type Element, elements, text, xml } from "../xml/element.ts";
import { NS } from "../xml/ns.ts";
import { classify, type Destination } from "./classify.ts";
import { bareMessageTargets, messageType, missingFullMessage } from "./delivery.ts";
import type { LocalSession } from "./local_session.ts";
import type { SessionDirectory } from "./session_directory.ts";
import { errorReply, StanzaError } from "./stanza_error.ts";

/** What modules use to send stanzas and find sessions. */
export interface Router {
  /**
   * Routes a stanza whose `from` is set and trusted.
   *
   * @param stanza The stanza.
   * @param origin The local session it came from, if any.
   */
  route(stanza: Element, origin?: LocalSession): Promise<void>;
  /** Answers a stanza with an error, unless it is an error itself (RFC 6120 §8.3.1). */
  bounce(stanza: Element, error: StanzaError): Promise<void>;
  /** The session bound to a full JID on this server. */
  session(jid: FullJid): LocalSession | undefined;
  /** Every session of an account on this server. */
  sessions(jid: BareJid): readonly LocalSession[];
  /** Whether a domain is hosted here. */
  isLocal(domain: string): boolean;
}

/**
 * Records a client's own broadcast presence on its session (RFC 6121 §4.2, §4.7.2.3): the
 * router needs availability and priority to deliver messages to bare JIDs.
 */
function trackPresence(session: LocalSession, stanza: Element): void {
  const type = stanza.attrs.type;
  if (type === undefined) {
    const raw = Number.parseInt(text(child(stanza, "priority", NS.CLIENT)), 10);
    session.priority = Number.isNaN(raw) ? 0 : Math.max(-128, Math.min(127, raw));
    session.presence = stanza;
  } else if (type === "unavailable") {
    session.presence = undefined;
    session.priority = 0;
  }
}

/** What the router is built from. */
export interface RouterDeps {
  /** Hosted domains. */
  readonly hosted: ReadonlySet<string>;
  /** Who is bound where. */
  readonly directory: SessionDirectory;
  /** The modules' hooks. */
  readonly hooks: HookRegistry<ServerHooks>;
  /** The modules' IQ handlers. */
  readonly iqs: IqRegistry;
  /** To tell existing accounts from unknown ones. */
  readonly accounts: AccountStore;
  /** Where failures of handlers are logged. */
  readonly logger: Logger;
}

/**
 * Creates the local router.
 *
 * @param deps What the router is built from.
 * @returns The router.
 * @example
 * ```ts
 * import { createRouter } from "./router.ts";
 * import { HookRegistry } from "../hooks/hook_registry.ts";
 * import { IqRegistry } from "../hooks/iq_registry.ts";
 * import { memoryDirectory } from "./session_directory.ts";
 * import { memoryStorage } from "../storage/memory.ts";
 * import { silentLogger } from "../server/logger.ts";
 * const router = createRouter({
 *   hosted: new Set(["localhost"]), directory: memoryDirectory(), hooks: new HookRegistry(),
 *   iqs: new IqRegistry(), accounts: memoryStorage().accounts, logger: silentLogger,
 * });
 * if (!router.isLocal("localhost")) throw new Error();
 * ```
 */
export function createRouter(deps: RouterDeps): Router {
  const { hosted, directory, hooks, iqs, accounts, logger } = deps;

  async function bounce(stanza: Element, error: StanzaError): Promise<void> {
    if (stanza.attrs.type === "error" || !stanza.attrs.from) return;
    // RFC 6120 §10.3.3: a stanza with no 'to' was handled on behalf of the sender's account.
    await route(errorReply(stanza, error, stanza.attrs.to ?? parseJid(stanza.attrs.from).bare));
  }

  async function accountExists(jid: BareJid): Promise<boolean> {
    return directory.byBare(jid).length > 0 || await accounts.exists(jid);
  }

  async function runIq(ev: StanzaEvent, target: IqTarget | "self"): Promise<void> {
    const { stanza } = ev;
    const payload = elements(stanza)[0];
    const type = stanza.attrs.type!;
    const handler = target === "self"
      ? iqs.find("account", type, payload) ?? iqs.find("server", type, payload)
      : iqs.find(target, type, payload);
    if (!handler) return bounce(stanza, new StanzaError("service-unavailable", "cancel"));
    if (target === "account" && !await accountExists(ev.to.bare)) {
      // RFC 6121 §8.5.1: an iq to an account that does not exist.
      return bounce(stanza, new StanzaError("service-unavailable", "cancel"));
    }
    let result: Element | undefined | void;
    const after: (() => void | Promise<void>)[] = [];
    try {
      result = await handler({ ...ev, payload, afterReply: (fn) => void after.push(fn) });
    } catch (e) {
      if (e instanceof StanzaError) return bounce(stanza, e);
      logger.error("IQ handler failed", {
        xmlns: payload.xmlns,
        name: payload.name,
        error: e instanceof Error ? e.message : String(e),
      });
      return bounce(stanza, new StanzaError("internal-server-error", "wait"));
    }
    await route(xml("iq", {
      xmlns: NS.CLIENT,
      type: "result",
      id: stanza.attrs.id,
      to: stanza.attrs.from,
      from: stanza.attrs.to ?? ev.from.bare,
    }, result ?? undefined));
    for (const fn of after) {
      try {
        await fn();
      } catch (e) {
        logger.error("IQ after-reply callback failed", {
          xmlns: payload.xmlns,
          name: payload.name,
          error: e instanceof Error ? e.message : String(e),
        });
      }
    }
  }

  async function routeIq(ev: StanzaEvent, dest: Destination): Promise<void> {
    const { stanza } = ev;
    const request = stanza.attrs.type === "get" || stanza.attrs.type === "set";
    switch (dest.kind) {
      case "server":
        if (!request) {
          await hooks.run("iq/server-response", ev);
          return;
        }
        return runIq(ev, stanza.attrs.to === undefined ? "self" : "server");
      case "bare":
        if (!request) {
          await hooks.run("iq/account-response", ev);
          return;
        }
        return runIq(ev, ev.origin?.bare === dest.jid.bare ? "self" : "account");
      case "full": {
        const session = directory.get(dest.jid.full as FullJid);
        if (session) return session.send(stanza);
        // RFC 6120 §10.5.3.1: no such resource.
        if (request) return bounce(stanza, new StanzaError("service-unavailable", "cancel"));
        return;
      }
      case "remote":
        return bounce(stanza, new StanzaError("remote-server-not-found", "cancel"));
    }
  }

  async function deliverToBare(ev: StanzaEvent, jid: Jid): Promise<void> {
    const { stanza } = ev;
    if (await hooks.run("message/bare", ev)) return;
    const sessions = directory.byBare(jid.bare);
    if (sessions.length === 0 && !await accounts.exists(jid.bare)) {
      // RFC 6121 §8.5.1: no such account.
      return bounce(stanza, new StanzaError("service-unavailable", "cancel"));
    }
    const decision = bareMessageTargets(sessions, messageType(stanza));
    switch (decision.kind) {
      case "deliver":
        for (const s of decision.to) s.send(stanza);
        return;
      case "offline":
        if (await hooks.run("message/offline", ev)) return;
        return bounce(stanza, new StanzaError("service-unavailable", "cancel"));
      case "error":
        return bounce(stanza, new StanzaError(decision.condition, "cancel"));
      case "drop":
        return;
    }
  }

  async function routeMessage(ev: StanzaEvent, dest: Destination): Promise<void> {
    const { stanza } = ev;
    switch (dest.kind) {
      case "server":
        if (await hooks.run("message/server", ev)) return;
        return bounce(stanza, new StanzaError("service-unavailable", "cancel"));
      case "bare":
        return deliverToBare(ev, dest.jid);
      case "full": {
        if (await hooks.run("message/full", ev)) return;
        const session = directory.get(dest.jid.full as FullJid);
        if (session) return session.send(stanza);
        if (missingFullMessage(messageType(stanza)) === "as-bare") {
          return deliverToBare(ev, dest.jid);
        }
        return;
      }
      case "remote":
        if (await hooks.run("stanza/remote", ev)) return;
        return bounce(stanza, new StanzaError("remote-server-not-found", "cancel"));
    }
  }

  async function routePresence(ev: StanzaEvent, dest: Destination): Promise<void> {
    const { stanza, origin } = ev;
    switch (dest.kind) {
      case "server":
        if (origin && stanza.attrs.to === undefined) trackPresence(origin, stanza);
        await hooks.run("presence/server", ev);
        return;
      case "bare": {
        if (await hooks.run("presence/bare", ev)) return;
        for (const s of directory.byBare(dest.jid.bare)) if (s.presence) s.send(stanza);
        return;
      }
      case "full": {
        if (await hooks.run("presence/full", ev)) return;
        directory.get(dest.jid.full as FullJid)?.send(stanza);
        return;
      }
      case "remote":
        if (await hooks.run("stanza/remote", ev)) return;
        return bounce(stanza, new StanzaError("remote-server-not-found", "cancel"));
    }
  }

  async function route(stanza: Element, origin?: LocalSession): Promise<void> {
    const from = parseJid(stanza.attrs.from!);
    const rawTo = stanza.attrs.to;
    const to = rawTo === undefined ? parseJid(from.domain) : tryParseJid(rawTo);
    if (!to) return bounce(stanza, new StanzaError("jid-malformed", "modify"));
    const ev: StanzaEvent = { stanza, from, to, origin };
    if (origin && await hooks.run("stanza/in", ev)) return;
    if (await hooks.run("stanza/route", ev)) return;
    const dest = classify(to, hosted);
    switch (stanza.name) {
      case "iq":
        return routeIq(ev, dest);
      case "message":
        return routeMessage(ev, dest);
      case "presence":
        return routePresence(ev, dest);
    }
  }

  return {
    route,
    bounce,
    session: (jid) => directory.get(jid),
    sessions: (jid) => directory.byBare(jid),
    isLocal: (domain) => hosted.has(domain),
  };
}

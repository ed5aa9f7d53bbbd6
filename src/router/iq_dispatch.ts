/**
 * Runs the IQ handler registered for a request and sends exactly one reply (RFC 6120 §8.2.3):
 * the handler's payload as a result, its `StanzaError`, or `internal-server-error` when it
 * failed otherwise.
 *
 * @module
 */
import type { Logger } from "../base/logger.ts";
import { StanzaError } from "../base/stanza_error.ts";
import type { IqRegistry, IqTarget } from "../hooks/iq_registry.ts";
import type { StanzaEvent } from "../hooks/server_hooks.ts";
import { type Element, elements, xml } from "../xml/element.ts";
import { NS } from "../xml/ns.ts";

/** What {@linkcode dispatchIq} needs of the router. */
export interface IqDispatchDeps {
  /** The handlers. */
  readonly iqs: IqRegistry;
  /** Where handler failures are logged. */
  readonly logger: Logger;
  /** Routes the reply. */
  route(stanza: Element): Promise<void>;
  /** Answers with an error. */
  bounce(stanza: Element, error: StanzaError): Promise<void>;
  /** Whether an account exists (an iq to one that does not is service-unavailable). */
  accountExists(jid: string): Promise<boolean>;
}

async function runAfter(deps: IqDispatchDeps, payload: Element, after: (() => unknown)[]) {
  for (const fn of after) {
    try {
      await fn();
    } catch (e) {
      deps.logger.error("IQ after-reply callback failed", {
        xmlns: payload.xmlns,
        name: payload.name,
        error: e instanceof Error ? e.message : String(e),
      });
    }
  }
}

/**
 * Answers an iq get or set with the handler registered for its payload.
 *
 * @param deps The handlers and the way back.
 * @param ev The iq.
 * @param target Whom it is addressed to; "self" for the sender's own account (an account
 * handler first, then a server one).
 * @example
 * ```ts
 * import { dispatchIq } from "./iq_dispatch.ts";
 * import { IqRegistry } from "../hooks/iq_registry.ts";
 * import { silentLogger } from "../base/logger.ts";
 * import { parseJid } from "../jid/jid.ts";
 * import { xml, type Element } from "../xml/element.ts";
 * const iqs = new IqRegistry();
 * iqs.add("get", "urn:xmpp:ping", "ping", () => undefined);
 * const out: Element[] = [];
 * const stanza = xml("iq", { type: "get", id: "1", from: "a@localhost/r" }, xml("ping", { xmlns: "urn:xmpp:ping" }));
 * await dispatchIq({
 *   iqs, logger: silentLogger, route: (s) => void out.push(s) as never,
 *   bounce: () => Promise.resolve(), accountExists: () => Promise.resolve(true),
 * }, { stanza, from: parseJid("a@localhost/r"), to: parseJid("localhost") }, "server");
 * if (out[0]?.attrs.type !== "result") throw new Error();
 * ```
 */
export async function dispatchIq(
  deps: IqDispatchDeps,
  ev: StanzaEvent,
  target: IqTarget | "self",
): Promise<void> {
  const { stanza } = ev;
  const payload = elements(stanza)[0];
  const type = stanza.attrs.type!;
  const { iqs } = deps;
  const handler = target === "self"
    ? iqs.find("account", type, payload) ?? iqs.find("server", type, payload)
    : iqs.find(target, type, payload);
  if (!handler) return deps.bounce(stanza, new StanzaError("service-unavailable", "cancel"));
  if (target === "account" && !await deps.accountExists(ev.to.bare)) {
    // RFC 6121 §8.5.1: an iq to an account that does not exist.
    return deps.bounce(stanza, new StanzaError("service-unavailable", "cancel"));
  }
  let result: Element | undefined | void;
  const after: (() => unknown)[] = [];
  try {
    result = await handler({ ...ev, payload, afterReply: (fn) => void after.push(fn) });
  } catch (e) {
    if (e instanceof StanzaError) return deps.bounce(stanza, e);
    deps.logger.error("IQ handler failed", {
      xmlns: payload.xmlns,
      name: payload.name,
      error: e instanceof Error ? e.message : String(e),
    });
    return deps.bounce(stanza, new StanzaError("internal-server-error", "wait"));
  }
  await deps.route(xml("iq", {
    xmlns: NS.CLIENT,
    type: "result",
    id: stanza.attrs.id,
    to: stanza.attrs.from,
    from: stanza.attrs.to ?? ev.from.bare,
  }, result ?? undefined));
  await runAfter(deps, payload, after);
}

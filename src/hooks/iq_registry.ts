/**
 * IQ handlers keyed by type, payload namespace and payload name (RFC 6120 §8.2.3).
 *
 * @module
 */
import type { StanzaEvent } from "./server_hooks.ts";
import type { Element } from "../xml/element.ts";

/** Whom an IQ handler answers for: the server's domain, or accounts' bare JIDs. */
export type IqTarget = "server" | "account";

/**
 * What an IQ handler receives.
 *
 * A handler that must act only once its answer has been sent (roster pushes after the result
 * of a versioned get, RFC 6121 §2.6.3; ending the sessions of a removed account, XEP-0077
 * §3.2) registers that work with {@linkcode IqEvent.afterReply} instead of timers or hooks.
 */
export interface IqEvent extends StanzaEvent {
  /** The single child of the iq. */
  readonly payload: Element;
  /**
   * Runs `fn` right after the `result` of this iq has been routed, in registration order.
   * When the handler throws (the reply is an error), the callbacks are dropped. A callback
   * that throws is logged and does not stop the others.
   *
   * @param fn The work to do after the result.
   */
  afterReply(fn: () => void | Promise<void>): void;
}

/**
 * An IQ handler: returns the payload of the result (`undefined` for an empty result) or throws
 * a `StanzaError`. The framework sends exactly one reply.
 */
export type IqHandler = (
  event: IqEvent,
) => Element | undefined | void | Promise<Element | undefined | void>;

/** Options of an IQ handler registration. */
export interface IqOptions {
  /** Whom it answers for; default "server". */
  readonly target?: IqTarget;
}

function key(target: IqTarget, type: string, xmlns: string, name: string): string {
  return `${target}\u0000${type}\u0000${xmlns}\u0000${name}`;
}

/** The IQ handlers of a server. */
export class IqRegistry {
  readonly #handlers = new Map<string, IqHandler>();

  /**
   * Registers a handler.
   *
   * @param type "get" or "set".
   * @param xmlns Namespace of the payload.
   * @param name Local name of the payload.
   * @param handler The handler.
   * @param options Target.
   * @returns A function that removes the handler.
   * @throws {Error} When another handler holds the same key.
   */
  add(
    type: "get" | "set",
    xmlns: string,
    name: string,
    handler: IqHandler,
    options?: IqOptions,
  ): () => void {
    const k = key(options?.target ?? "server", type, xmlns, name);
    if (this.#handlers.has(k)) {
      throw new Error(`Cannot register IQ handler "${type} ${xmlns} ${name}": already taken`);
    }
    this.#handlers.set(k, handler);
    return () => {
      if (this.#handlers.get(k) === handler) this.#handlers.delete(k);
    };
  }

  /**
   * Finds the handler for a payload.
   *
   * @param target Whom the iq is addressed to.
   * @param type The iq type.
   * @param payload The iq's child.
   * @returns The handler, or `undefined`.
   */
  find(target: IqTarget, type: string, payload: Element): IqHandler | undefined {
    return this.#handlers.get(key(target, type, payload.xmlns, payload.name));
  }
}

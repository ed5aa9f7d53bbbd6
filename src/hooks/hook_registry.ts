/**
 * Typed hooks with priorities. A handler stops the chain only by returning {@linkcode HANDLED}.
 *
 * @module
 */

/** The type of {@linkcode HANDLED}; an object type, so async handlers keep it when inferred. */
export interface Handled {
  /** Brand: only {@linkcode HANDLED} has it. */
  readonly __handled: true;
}

/** Returned by a hook handler to stop the chain: the event is dealt with. */
export const HANDLED: Handled = Object.freeze({}) as Handled;

const NOT_HANDLED: Promise<boolean> = Promise.resolve(false);

/** What a hook handler may return. */
export type HookResult = Handled | void | undefined;

/** A hook handler for events of type `E`. */
export type HookHandler<E> = (event: E) => HookResult | Promise<HookResult>;

/** Options of a hook registration. */
export interface HookOptions {
  /** Higher runs first; default 0. */
  readonly priority?: number;
}

interface Entry<E> {
  readonly fn: HookHandler<E>;
  readonly priority: number;
  readonly seq: number;
}

/**
 * Holds the handlers of a set of named events, described by the map type `M`.
 *
 * @example
 * ```ts
 * import { HANDLED, HookRegistry } from "./hook_registry.ts";
 * const hooks = new HookRegistry<{ greet: { name: string } }>();
 * hooks.add("greet", () => HANDLED, { priority: 1 });
 * if (!(await hooks.run("greet", { name: "a" }))) throw new Error("not handled");
 * ```
 */
export class HookRegistry<M> {
  readonly #hooks = new Map<keyof M, Entry<unknown>[]>();
  #seq = 0;

  /**
   * Adds a handler.
   *
   * @param event The event name.
   * @param fn The handler.
   * @param options Priority.
   * @returns A function that removes the handler.
   */
  add<K extends keyof M>(event: K, fn: HookHandler<M[K]>, options?: HookOptions): () => void {
    const entry: Entry<M[K]> = { fn, priority: options?.priority ?? 0, seq: this.#seq++ };
    const list = [...(this.#hooks.get(event) ?? []), entry as Entry<unknown>];
    list.sort((a, b) => b.priority - a.priority || a.seq - b.seq);
    this.#hooks.set(event, list);
    return () => {
      const current = (this.#hooks.get(event) ?? []).filter((e) => e !== entry);
      if (current.length > 0) this.#hooks.set(event, current);
      else this.#hooks.delete(event);
    };
  }

  /**
   * Tells whether any handler listens to an event.
   *
   * @param event The event name.
   * @returns `true` when at least one handler is registered.
   */
  has<K extends keyof M>(event: K): boolean {
    return (this.#hooks.get(event)?.length ?? 0) > 0;
  }

  /**
   * Runs synchronous handlers in priority order until one returns {@linkcode HANDLED}, without
   * a promise per call (for hooks on the path of every stanza). A handler that throws is
   * reported to `onError` and the next one runs.
   *
   * @param event The event name.
   * @param data The event data.
   * @param onError Receives what a handler threw.
   * @returns `true` when a handler returned {@linkcode HANDLED}.
   * @example
   * ```ts
   * import { HANDLED, HookRegistry } from "./hook_registry.ts";
   * const hooks = new HookRegistry<{ out: { n: number } }>();
   * hooks.add("out", (e) => e.n > 1 ? HANDLED : undefined);
   * if (hooks.runSync("out", { n: 1 }, () => {})) throw new Error("1 is not handled");
   * if (!hooks.runSync("out", { n: 2 }, () => {})) throw new Error("2 is handled");
   * ```
   */
  runSync<K extends keyof M>(event: K, data: M[K], onError: (error: unknown) => void): boolean {
    const list = this.#hooks.get(event);
    if (!list) return false;
    for (const entry of list) {
      try {
        if ((entry.fn as HookHandler<M[K]>)(data) === HANDLED) return true;
      } catch (e) {
        onError(e);
      }
    }
    return false;
  }

  /**
   * Runs the handlers in priority order until one returns {@linkcode HANDLED}.
   *
   * @param event The event name.
   * @param data The event data.
   * @returns `true` when a handler returned {@linkcode HANDLED}.
   */
  run<K extends keyof M>(event: K, data: M[K]): Promise<boolean> {
    const list = this.#hooks.get(event);
    // No handler: no promise of its own (this runs for several events of every stanza).
    if (!list) return NOT_HANDLED;
    return runList(list as Entry<unknown>[] as Entry<M[K]>[], data);
  }
}

async function runList<E>(list: readonly Entry<E>[], data: E): Promise<boolean> {
  for (const entry of list) {
    if (await entry.fn(data) === HANDLED) return true;
  }
  return false;
}

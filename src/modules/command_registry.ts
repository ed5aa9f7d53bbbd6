/**
 * The XEP-0050 ad-hoc commands a server offers: a registry any module adds commands to, and
 * the shape of a command (one function called once per stage of a session).
 *
 * @module
 */
import type { Jid } from "../jid/jid.ts";
import type { Element } from "../xml/element.ts";

/** A `<note/>` of a command's answer (XEP-0050 §6.3). */
export interface CommandNote {
  /** "info" (default), "warn" or "error". */
  readonly type?: "info" | "warn" | "error";
  /** The text. */
  readonly text: string;
}

/** The actions a requester may take next (XEP-0050 §6.1). */
export type CommandAction = "next" | "prev" | "complete";

/** What a command is asked to do at one stage. */
export interface CommandRequest {
  /** Who runs it. */
  readonly from: Jid;
  /** "execute" on the first stage, else the requester's action. */
  readonly action: "execute" | CommandAction;
  /** 0 on the first stage, then one more with every stage. */
  readonly stage: number;
  /** The submitted form's values by field name (empty on the first stage). */
  readonly fields: Readonly<Record<string, readonly string[]>>;
  /** The submitted `<x/>` form, if any. */
  readonly form?: Element;
  /** What the previous stage returned as `state`. */
  readonly state?: unknown;
}

/** A command's answer at one stage. */
export interface CommandResponse {
  /** "executing": more stages follow; "completed": the session ends. */
  readonly status: "executing" | "completed";
  /** A form to fill in (executing) or a result form (completed). */
  readonly form?: Element;
  /** Notes for the requester. */
  readonly notes?: readonly CommandNote[];
  /** The actions allowed next (executing); default `["complete"]`. */
  readonly actions?: readonly CommandAction[];
  /** Kept for the next stage. */
  readonly state?: unknown;
}

/** One ad-hoc command (XEP-0050). */
export interface AdhocCommand {
  /** Its node, e.g. "urn:example:hello". */
  readonly node: string;
  /** Its human-readable name, listed in disco#items. */
  readonly name: string;
  /**
   * Whether `from` may see and run it; default: accounts of a hosted domain. A requester that
   * may not gets `<forbidden/>`.
   */
  allowed?(from: Jid): boolean | Promise<boolean>;
  /** Runs one stage; throws a `StanzaError` to fail it (the session ends). */
  run(request: CommandRequest): CommandResponse | Promise<CommandResponse>;
}

/**
 * The commands a server offers. Pass one to `createServer({ commands })` (or to `adhoc()`),
 * and add commands from any module, before or after the server starts.
 *
 * @example
 * ```ts
 * import { CommandRegistry } from "./command_registry.ts";
 * const commands = new CommandRegistry();
 * const remove = commands.registerCommand({
 *   node: "urn:example:hello",
 *   name: "Say hello",
 *   run: () => ({ status: "completed", notes: [{ text: "Hello" }] }),
 * });
 * if (commands.get("urn:example:hello")?.name !== "Say hello") throw new Error();
 * remove();
 * ```
 */
export class CommandRegistry {
  readonly #commands = new Map<string, AdhocCommand>();

  /**
   * Adds a command.
   *
   * @param command The command.
   * @returns A function that removes it (e.g. for `api.onUnload`).
   * @throws {Error} When a command has the same node.
   */
  registerCommand(command: AdhocCommand): () => void {
    if (this.#commands.has(command.node)) {
      throw new Error(`Cannot register command "${command.node}": already taken`);
    }
    this.#commands.set(command.node, command);
    return () => {
      if (this.#commands.get(command.node) === command) this.#commands.delete(command.node);
    };
  }

  /**
   * A command by node.
   *
   * @param node The node.
   * @returns The command, or `undefined`.
   */
  get(node: string): AdhocCommand | undefined {
    return this.#commands.get(node);
  }

  /**
   * Every command, in registration order.
   *
   * @returns The commands.
   */
  list(): AdhocCommand[] {
    return [...this.#commands.values()];
  }
}

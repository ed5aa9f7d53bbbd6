/**
 * XEP-0050 Ad-Hoc Commands on the server's domain: the command list in disco#items of node
 * `http://jabber.org/protocol/commands`, sessions with execute, next, prev, complete and
 * cancel, data forms, a ping command, and the XEP-0133 administration commands for the
 * configured admins (`_admin_commands.ts`). Other modules add commands through a
 * {@linkcode CommandRegistry}.
 *
 * @module
 */
import type { XmppModule } from "../module/module_api.ts";
import type { IqEvent } from "../hooks/iq_registry.ts";
import { type Jid, parseJid } from "../jid/jid.ts";
import { StanzaError } from "../base/stanza_error.ts";
import { child, type Element, xml } from "../xml/element.ts";
import { NS } from "../xml/ns.ts";
import {
  type AdhocCommand,
  type CommandAction,
  CommandRegistry,
  type CommandResponse,
} from "./command_registry.ts";
import { submittedValues } from "./data_form.ts";
import { adminCommands } from "./_admin_commands.ts";

/** Options of {@linkcode adhoc}. */
export interface AdhocOptions {
  /** Where commands are registered; default a new registry. */
  readonly commands?: CommandRegistry;
  /** Bare JIDs allowed to run the XEP-0133 commands; default none. */
  readonly admins?: readonly string[];
  /** PBKDF2 iterations for passwords set by admins; default 4096. */
  readonly scramIterations?: number;
  /** How long an idle session is kept, in ms; default 600,000 (10 minutes). */
  readonly sessionTimeoutMs?: number;
}

/** The node of XEP-0050's ping command (as Prosody names it). */
export const PING_COMMAND = "ping";

const ACTIONS = ["execute", "next", "prev", "complete", "cancel"];
const MAX_SESSIONS = 10_000;

interface Session {
  readonly node: string;
  readonly owner: string;
  stage: number;
  state: unknown;
  actions: readonly CommandAction[];
  touched: number;
}

/** An XEP-0050 §6 error: a stanza error with its commands-namespace condition. */
function commandError(
  condition: "bad-request" | "not-allowed",
  app: string,
  text?: string,
): StanzaError {
  return new StanzaError(condition, "modify", text, xml(app, { xmlns: NS.COMMANDS }));
}

/** Open sessions by id, bound to the requester's full JID (XEP-0050 §4.4). */
class CommandSessions {
  readonly #sessions = new Map<string, Session>();
  readonly #timeoutMs: number;

  constructor(timeoutMs: number) {
    this.#timeoutMs = timeoutMs;
  }

  open(id: string, session: Session): void {
    this.#sweep(session.touched);
    if (this.#sessions.size >= MAX_SESSIONS) {
      throw new StanzaError("resource-constraint", "wait", "Too many command sessions");
    }
    this.#sessions.set(id, session);
  }

  /** The requester's session, or the XEP-0050 §6 error. */
  find(id: string, owner: string, now: number): Session {
    const session = this.#sessions.get(id);
    if (!session || session.owner !== owner) throw commandError("bad-request", "bad-sessionid");
    if (now - session.touched > this.#timeoutMs) {
      this.#sessions.delete(id);
      throw commandError("not-allowed", "session-expired");
    }
    return session;
  }

  close(id: string): void {
    this.#sessions.delete(id);
  }

  #sweep(now: number): void {
    for (const [id, s] of this.#sessions) {
      if (now - s.touched > this.#timeoutMs) this.#sessions.delete(id);
    }
  }
}

function pingCommand(): AdhocCommand {
  return {
    node: PING_COMMAND,
    name: "Ping",
    run: () => ({ status: "completed", notes: [{ type: "info", text: "Pong" }] }),
  };
}

function answer(
  node: string,
  sessionid: string,
  response: CommandResponse | { status: "canceled" },
): Element {
  const r = response as CommandResponse;
  const actions = r.status === "executing" ? r.actions ?? ["complete"] : [];
  return xml(
    "command",
    { xmlns: NS.COMMANDS, node, sessionid, status: response.status },
    actions.length
      ? xml(
        "actions",
        { execute: actions.includes("complete") ? "complete" : actions[0] },
        actions.map((a) => xml(a, null)),
      )
      : [],
    (r.notes ?? []).map((n) => xml("note", { type: n.type ?? "info" }, n.text)),
    r.form ?? [],
  );
}

/**
 * The ad-hoc commands module.
 *
 * @param options The registry to serve, the admins, SCRAM iterations and session timeout.
 * @returns The module.
 * @example
 * ```ts
 * import { adhoc } from "./adhoc.ts";
 * import { testServer } from "../testing/mod.ts";
 * import { child, xml } from "../xml/element.ts";
 * const t = await testServer({ users: ["a@localhost"] });
 * const a = await t.connect("a@localhost/r");
 * const done = await a.iq(xml("iq", { type: "set", to: "localhost" },
 *   xml("command", { xmlns: "http://jabber.org/protocol/commands", node: "ping", action: "execute" })));
 * if (child(done, "command")?.attrs.status !== "completed") throw new Error();
 * await t.close();
 * ```
 */
export function adhoc(options: AdhocOptions = {}): XmppModule {
  const registry = options.commands ?? new CommandRegistry();
  return {
    name: "adhoc",
    specs: ["XEP-0050", "XEP-0133"],
    setup(api) {
      const sessions = new CommandSessions(options.sessionTimeoutMs ?? 600_000);
      const admins = new Set(options.admins ?? []);
      for (
        const command of [
          pingCommand(),
          ...adminCommands(api, { admins, scramIterations: options.scramIterations }),
        ]
      ) api.onUnload(registry.registerCommand(command));

      async function allowed(command: AdhocCommand, from: Jid): Promise<boolean> {
        if (command.allowed) return await command.allowed(from);
        return from.local !== "" && api.domains.includes(from.domain);
      }

      async function visible(requester: string) {
        const from = parseJid(requester);
        const out = [];
        for (const c of registry.list()) {
          if (await allowed(c, from)) out.push({ jid: api.domain, node: c.node, name: c.name });
        }
        return out;
      }

      api.feature(NS.COMMANDS);
      // XEP-0050 §2.1-2.2: the command list, and each command's disco#info.
      api.discoNode(NS.COMMANDS, {
        info: () => ({
          identities: [{ category: "automation", type: "command-list", name: "Commands" }],
          features: [NS.COMMANDS],
        }),
        items: (requester) => visible(requester),
      });
      api.iq("set", NS.COMMANDS, "command", (ev) => execute(ev));

      async function execute(ev: IqEvent): Promise<Element> {
        const { payload, from } = ev;
        const node = payload.attrs.node ?? "";
        const action = payload.attrs.action ?? "execute";
        if (!ACTIONS.includes(action)) throw commandError("bad-request", "malformed-action");
        const command = registry.get(node);
        if (!command) throw new StanzaError("item-not-found", "cancel");
        // XEP-0133 §3 and XEP-0050 §4.6: a requester without the privilege gets forbidden.
        if (!await allowed(command, from)) throw new StanzaError("forbidden", "auth");
        const now = api.now().getTime();
        const id = payload.attrs.sessionid;
        if (id === undefined) {
          if (action !== "execute") throw commandError("bad-request", "bad-sessionid");
          return await step(command, ev, api.randomId(), undefined, "execute", now);
        }
        const session = sessions.find(id, from.full, now);
        if (session.node !== node) throw commandError("bad-request", "bad-sessionid");
        if (action === "cancel") {
          sessions.close(id);
          return answer(node, id, { status: "canceled" });
        }
        // XEP-0050 §4.4: "execute" means the default action; others must have been offered.
        const chosen = action === "execute" ? defaultAction(session.actions) : action;
        if (!session.actions.includes(chosen as CommandAction)) {
          throw commandError("bad-request", "bad-action");
        }
        return await step(command, ev, id, session, chosen as CommandAction, now);
      }

      async function step(
        command: AdhocCommand,
        ev: IqEvent,
        id: string,
        session: Session | undefined,
        action: "execute" | CommandAction,
        now: number,
      ): Promise<Element> {
        const form = child(ev.payload, "x", NS.DATA_FORMS);
        const stage = session ? session.stage + (action === "prev" ? -1 : 1) : 0;
        let response: CommandResponse;
        try {
          response = await command.run({
            from: ev.from,
            action,
            stage,
            fields: submittedValues(form),
            form,
            state: session?.state,
          });
        } catch (e) {
          sessions.close(id);
          throw e;
        }
        if (response.status === "completed") {
          sessions.close(id);
        } else if (session) {
          Object.assign(session, {
            stage,
            state: response.state,
            actions: response.actions ?? ["complete"],
            touched: now,
          });
        } else {
          sessions.open(id, {
            node: command.node,
            owner: ev.from.full,
            stage,
            state: response.state,
            actions: response.actions ?? ["complete"],
            touched: now,
          });
        }
        return answer(command.node, id, response);
      }
    },
  };
}

function defaultAction(actions: readonly CommandAction[]): string {
  return actions.includes("complete") ? "complete" : actions[0] ?? "complete";
}

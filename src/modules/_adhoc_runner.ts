// Private to the adhoc module: runs XEP-0050 command sessions: the execute, next, prev,
// complete and cancel actions (§4), sessions bound to the requester's full JID (§4.4) that
// expire when idle, and the errors of §6.
import type { ModuleApi } from "../module/module_api.ts";
import type { IqEvent } from "../hooks/iq_registry.ts";
import type { Jid } from "../jid/jid.ts";
import { StanzaError } from "../base/stanza_error.ts";
import { child, type Element, xml } from "../xml/element.ts";
import { NS } from "../xml/ns.ts";
import type {
  AdhocCommand,
  CommandAction,
  CommandRegistry,
  CommandResponse,
} from "./command_registry.ts";
import { submittedValues } from "./data_form.ts";

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

function defaultAction(actions: readonly CommandAction[]): string {
  return actions.includes("complete") ? "complete" : actions[0] ?? "complete";
}

/** Runs the commands of a registry for one server. */
export class CommandRunner {
  readonly #api: ModuleApi;
  readonly #registry: CommandRegistry;
  readonly #sessions: CommandSessions;

  constructor(api: ModuleApi, registry: CommandRegistry, sessionTimeoutMs: number) {
    this.#api = api;
    this.#registry = registry;
    this.#sessions = new CommandSessions(sessionTimeoutMs);
  }

  /** Whether `from` may see and run a command (default: accounts of a hosted domain). */
  async allowed(command: AdhocCommand, from: Jid): Promise<boolean> {
    if (command.allowed) return await command.allowed(from);
    return from.local !== "" && this.#api.domains.includes(from.domain);
  }

  /** The commands `from` may run. */
  async visible(from: Jid): Promise<AdhocCommand[]> {
    const out = [];
    for (const c of this.#registry.list()) if (await this.allowed(c, from)) out.push(c);
    return out;
  }

  /** Answers a `<command/>` request (XEP-0050 §4). */
  async execute(ev: IqEvent): Promise<Element> {
    const { payload, from } = ev;
    const node = payload.attrs.node ?? "";
    const action = payload.attrs.action ?? "execute";
    if (!ACTIONS.includes(action)) throw commandError("bad-request", "malformed-action");
    const command = this.#registry.get(node);
    if (!command) throw new StanzaError("item-not-found", "cancel");
    // XEP-0133 §3 and XEP-0050 §4.6: a requester without the privilege gets forbidden.
    if (!await this.allowed(command, from)) throw new StanzaError("forbidden", "auth");
    const now = this.#api.now().getTime();
    const id = payload.attrs.sessionid;
    if (id === undefined) {
      if (action !== "execute") throw commandError("bad-request", "bad-sessionid");
      return await this.#step(command, ev, this.#api.randomId(), undefined, "execute", now);
    }
    const session = this.#sessions.find(id, from.full, now);
    if (session.node !== node) throw commandError("bad-request", "bad-sessionid");
    if (action === "cancel") {
      this.#sessions.close(id);
      return answer(node, id, { status: "canceled" });
    }
    // XEP-0050 §4.4: "execute" means the default action; others must have been offered.
    const chosen = action === "execute" ? defaultAction(session.actions) : action;
    if (!session.actions.includes(chosen as CommandAction)) {
      throw commandError("bad-request", "bad-action");
    }
    return await this.#step(command, ev, id, session, chosen as CommandAction, now);
  }

  async #step(
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
      this.#sessions.close(id);
      throw e;
    }
    if (response.status === "completed") {
      this.#sessions.close(id);
    } else {
      const next = {
        stage,
        state: response.state,
        actions: response.actions ?? ["complete"],
        touched: now,
      };
      if (session) Object.assign(session, next);
      else this.#sessions.open(id, { node: command.node, owner: ev.from.full, ...next });
    }
    return answer(command.node, id, response);
  }
}

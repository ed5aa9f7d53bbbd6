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
import { parseJid } from "../jid/jid.ts";
import { NS } from "../xml/ns.ts";
import { type AdhocCommand, CommandRegistry } from "./command_registry.ts";
import { adminCommands } from "./_admin_commands.ts";
import { inviteCommand } from "./_invite_commands.ts";
import { CommandRunner } from "./_adhoc_runner.ts";

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
  /**
   * XEP-0401 invitations: the admins get the `urn:xmpp:invite#create-account` command, with
   * landing pages under `inviteUrl` when given. Off when absent.
   */
  readonly invites?: { readonly inviteUrl?: string };
}

/** The node of XEP-0050's ping command (as Prosody names it). */
export const PING_COMMAND = "ping";

function pingCommand(): AdhocCommand {
  return {
    node: PING_COMMAND,
    name: "Ping",
    run: () => ({ status: "completed", notes: [{ type: "info", text: "Pong" }] }),
  };
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
      const runner = new CommandRunner(api, registry, options.sessionTimeoutMs ?? 600_000);
      const admins = new Set((options.admins ?? []).map((jid) => parseJid(jid).bare));
      const commands = [
        pingCommand(),
        ...adminCommands(api, { admins, scramIterations: options.scramIterations }),
        ...options.invites
          ? [inviteCommand(api, { admins, inviteUrl: options.invites.inviteUrl })]
          : [],
      ];
      for (const command of commands) api.onUnload(registry.registerCommand(command));

      api.feature(NS.COMMANDS);
      // XEP-0050 §2.1-2.2: the command list, and each command's disco#info.
      api.discoNodes((node) => {
        if (node === NS.COMMANDS) {
          return {
            info: () => ({
              identities: [{ category: "automation", type: "command-list", name: "Commands" }],
              features: [NS.COMMANDS],
              forms: [],
            }),
            items: async (requester) =>
              (await runner.visible(parseJid(requester))).map((c) => ({
                jid: api.domain,
                node: c.node,
                name: c.name,
              })),
          };
        }
        const command = registry.get(node);
        if (!command) return undefined;
        return {
          info: async (requester) =>
            await runner.allowed(command, parseJid(requester))
              ? {
                identities: [{ category: "automation", type: "command-node", name: command.name }],
                features: [NS.COMMANDS, NS.DATA_FORMS],
                forms: [],
              }
              : undefined,
        };
      });
      api.iq("set", NS.COMMANDS, "command", (ev) => runner.execute(ev));
    },
  };
}

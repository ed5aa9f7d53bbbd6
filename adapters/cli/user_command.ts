/**
 * `deno task user add|remove|passwd|list|invite`: manages accounts and invitations in the server's storage (PGlite in
 * ./data by default, PostgreSQL with `--database-url` or `DATABASE_URL`). Passwords are stored
 * only as SCRAM data. Stop the server first when it uses PGlite: one process at a time may
 * open a PGlite data directory.
 *
 * @module
 */
import { parseJid } from "../../src/jid/jid.ts";
import { deriveCredentials } from "../../src/sasl/credentials.ts";
import { removeAccount } from "../../src/storage/remove_account.ts";
import { askNewPassword, processTerminal } from "./password_prompt.ts";
import { openStorage, parseCommandArgs, type StorageChoice } from "./storage_select.ts";
import { InviteTokens } from "../../src/storage/invite_tokens.ts";

/** The help text of `deno task user`. */
export const USER_HELP = `Usage: deno task user <command> [options]

Commands:
  add JID [PASSWORD]     Create an account (without PASSWORD, asks for it twice on the
                         terminal, without echoing it)
  passwd JID [PASSWORD]  Set an account's password (asks the same way)
  remove JID             Remove an account and all its data
  list                   List the accounts
  invite                 Create a one-time invitation (XEP-0401): prints an
                         xmpp:DOMAIN?register;preauth=TOKEN URI and its landing page URL
                         (the server needs registration.invites on)

Options:
  --storage KIND         pglite (default), postgres (default with a database URL) or memory
  --database-url URL     PostgreSQL URL (default: $DATABASE_URL)
  --data DIR             Data directory of PGlite (default: ./data)
  --days N               invite: days the invitation is valid (default: 7)
  --domain DOMAIN        invite: the server's domain (default: localhost)
  --url URL              invite: landing page base (default: http://DOMAIN:5280/invite)
  --help                 Show this help

Stop the server first when it uses PGlite: one process at a time may open its data.`;

/**
 * Runs `deno task user`.
 *
 * @param args The arguments after `user`.
 * @returns The exit code.
 */
export async function userCommand(args: string[]): Promise<number> {
  const rest = [...args];
  const invite = {
    days: takeOption(rest, "days"),
    domain: takeOption(rest, "domain"),
    url: takeOption(rest, "url"),
  };
  const { help, choice, positionals } = parseCommandArgs(rest);
  const [command, target, password] = positionals;
  if (help || !command || command === "help") {
    console.log(USER_HELP);
    return help || command ? 0 : 2;
  }
  const needsJid = command === "add" || command === "passwd" || command === "remove";
  if (command === "invite") return await createInvite(choice, invite);
  if (!needsJid && command !== "list") throw new TypeError(`Cannot run "user ${command}": unknown`);
  const jid = needsJid ? parseJid(target ?? "") : undefined;
  if (jid && !jid.local) throw new TypeError(`Cannot use "${target}": not a user JID`);
  // Asked before the storage opens, which takes a while with PGlite.
  const secret = command === "add" || command === "passwd"
    ? password ?? await askNewPassword(processTerminal(), jid!.bare)
    : undefined;
  const storage = await openStorage(choice);
  try {
    switch (command) {
      case "list":
        for (const account of await storage.accounts.list()) console.log(account);
        return 0;
      case "add":
      case "passwd": {
        const credentials = await deriveCredentials(secret!);
        const done = command === "add"
          ? await storage.accounts.create(jid!.bare, credentials)
          : await storage.accounts.setCredentials(jid!.bare, credentials);
        if (!done) {
          console.error(
            `parley: Cannot ${command === "add" ? "add" : "change the password of"} "${
              jid!.bare
            }": ${command === "add" ? "it exists" : "no such account"}`,
          );
          return 1;
        }
        console.log(`${command === "add" ? "Added" : "Password changed for"} ${jid!.bare}`);
        return 0;
      }
      default: {
        if (!await removeAccount(storage, jid!.bare)) {
          console.error(`parley: Cannot remove "${jid!.bare}": no such account`);
          return 1;
        }
        console.log(`Removed ${jid!.bare}`);
        return 0;
      }
    }
  } finally {
    await storage.close();
  }
}

/** Removes `--name VALUE` (or `--name=VALUE`) from `args`; the value, or `undefined`. */
function takeOption(args: string[], name: string): string | undefined {
  const i = args.findIndex((a) => a === `--${name}` || a.startsWith(`--${name}=`));
  if (i === -1) return undefined;
  const [flag] = args.splice(i, 1);
  if (flag.includes("=")) return flag.slice(flag.indexOf("=") + 1);
  const value = args.splice(i, 1)[0];
  if (value === undefined) throw new TypeError(`Cannot use --${name}: it needs a value`);
  return value;
}

/** `user invite`: a one-time registration token in the server's storage (#15, XEP-0401). */
async function createInvite(
  choice: StorageChoice,
  options: { days?: string; domain?: string; url?: string },
): Promise<number> {
  const days = Number(options.days ?? "7");
  if (!Number.isFinite(days) || days <= 0 || days > 365) {
    throw new RangeError(`Cannot use --days ${options.days}: not in (0, 365]`);
  }
  const domain = parseJid(options.domain ?? "localhost");
  if (domain.local || domain.resource) {
    throw new TypeError(`Cannot use --domain "${options.domain}": not a domain`);
  }
  const base = options.url ?? `http://${domain.domain}:5280/invite`;
  const storage = await openStorage(choice);
  try {
    const invite = await new InviteTokens(storage).create({
      domain: domain.domain,
      ttlMs: days * 24 * 3600_000,
      createdBy: "cli",
    });
    console.log(invite.uri);
    console.log(`${base.replace(/\/+$/, "")}/${encodeURIComponent(invite.token)}`);
    console.log(`Valid until ${invite.expires.toISOString()}, for one account.`);
    return 0;
  } finally {
    await storage.close();
  }
}

if (import.meta.main) {
  try {
    Deno.exit(await userCommand(Deno.args));
  } catch (e) {
    console.error(`parley: ${e instanceof Error ? e.message : String(e)}`);
    Deno.exit(1);
  }
}

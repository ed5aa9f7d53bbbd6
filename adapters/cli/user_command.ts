/**
 * `deno task user add|remove|passwd|list`: manages accounts in the server's storage (PGlite in
 * ./data by default, PostgreSQL with `--database-url` or `DATABASE_URL`). Passwords are stored
 * only as SCRAM data. Stop the server first when it uses PGlite: one process at a time may
 * open a PGlite data directory.
 *
 * @module
 */
import { parseJid } from "../../src/jid/jid.ts";
import { deriveCredentials } from "../../src/sasl/credentials.ts";
import { removeAccount } from "../../src/storage/remove_account.ts";
import { openStorage, parseCommandArgs } from "./storage_select.ts";

/** The help text of `deno task user`. */
export const USER_HELP = `Usage: deno task user <command> [options]

Commands:
  add JID [PASSWORD]     Create an account (the password is read from stdin when left out)
  passwd JID [PASSWORD]  Set an account's password
  remove JID             Remove an account and all its data
  list                   List the accounts

Options:
  --storage KIND         pglite (default), postgres (default with a database URL) or memory
  --database-url URL     PostgreSQL URL (default: $DATABASE_URL)
  --data DIR             Data directory of PGlite (default: ./data)`;

async function readPassword(given: string | undefined): Promise<string> {
  if (given !== undefined) return given;
  if (Deno.stdin.isTerminal()) return prompt("Password:") ?? "";
  const chunks: Uint8Array[] = [];
  for await (const chunk of Deno.stdin.readable) chunks.push(chunk);
  const all = new TextDecoder().decode(new Uint8Array(chunks.flatMap((c) => [...c])));
  return all.split(/\r?\n/)[0];
}

/**
 * Runs `deno task user`.
 *
 * @param args The arguments after `user`.
 * @returns The exit code.
 */
export async function userCommand(args: string[]): Promise<number> {
  const { choice, positionals } = parseCommandArgs(args);
  const [command, target, password] = positionals;
  if (!command || command === "help") {
    console.log(USER_HELP);
    return command ? 0 : 2;
  }
  const needsJid = command === "add" || command === "passwd" || command === "remove";
  if (!needsJid && command !== "list") throw new TypeError(`Cannot run "user ${command}": unknown`);
  const jid = needsJid ? parseJid(target ?? "") : undefined;
  if (jid && !jid.local) throw new TypeError(`Cannot use "${target}": not a user JID`);
  const storage = await openStorage(choice);
  try {
    switch (command) {
      case "list":
        for (const account of await storage.accounts.list()) console.log(account);
        return 0;
      case "add":
      case "passwd": {
        const credentials = await deriveCredentials(await readPassword(password));
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

if (import.meta.main) {
  try {
    Deno.exit(await userCommand(Deno.args));
  } catch (e) {
    console.error(`parley: ${e instanceof Error ? e.message : String(e)}`);
    Deno.exit(1);
  }
}

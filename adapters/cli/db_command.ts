/**
 * `deno task db migrate|export FILE|import FILE`: applies migrations, and moves all data in
 * the XEP-0227 format (between PGlite and PostgreSQL, or from Prosody and ejabberd exports).
 *
 * @module
 */
import { openStorage, parseCommandArgs } from "./storage_select.ts";
import { exportXep0227, importXep0227 } from "./xep0227.ts";

/** The help text of `deno task db`. */
export const DB_HELP = `Usage: deno task db <command> [options]

Commands:
  migrate        Apply pending migrations (the server also does it at start)
  export FILE    Write every account and its data as XEP-0227 XML
  import FILE    Read a XEP-0227 file (Parley, Prosody or ejabberd export); comments are
                 fine, a file with a DTD (<!DOCTYPE>) is refused

Options:
  --storage KIND       pglite (default), postgres (default with a database URL)
  --database-url URL   PostgreSQL URL (default: $DATABASE_URL)
  --data DIR           Data directory of PGlite (default: ./data)
  --help               Show this help`;

/**
 * Runs `deno task db`.
 *
 * @param args The arguments after `db`.
 * @returns The exit code.
 */
export async function dbCommand(args: string[]): Promise<number> {
  const { help, choice, positionals } = parseCommandArgs(args);
  const [command, file] = positionals;
  if (help || !command || command === "help") {
    console.log(DB_HELP);
    return help || command ? 0 : 2;
  }
  if (!["migrate", "export", "import"].includes(command)) {
    throw new TypeError(`Cannot run "db ${command}": unknown`);
  }
  if (command !== "migrate" && !file) throw new TypeError(`Cannot run "db ${command}": no FILE`);
  const document = command === "import" ? await Deno.readTextFile(file) : undefined;
  const storage = await openStorage(choice);
  try {
    if (command === "migrate") {
      console.log(`Migrations applied (${choice.kind})`);
    } else if (command === "export") {
      // The file holds SCRAM data: readable by its owner only (XEP-0227 §7).
      const out = await Deno.open(file, { write: true, create: true, truncate: true, mode: 0o600 });
      const encoder = new TextEncoder();
      const writer = out.writable.getWriter();
      await exportXep0227(storage, (chunk) => writer.write(encoder.encode(chunk)));
      await writer.close();
      console.log(`Exported to ${file}`);
    } else {
      const summary = await importXep0227(storage, document!);
      for (const warning of summary.warnings) console.error(`parley: ${warning}`);
      console.log(`Imported ${summary.accounts} accounts from ${file}`);
    }
    return 0;
  } finally {
    await storage.close();
  }
}

if (import.meta.main) {
  try {
    Deno.exit(await dbCommand(Deno.args));
  } catch (e) {
    console.error(`parley: ${e instanceof Error ? e.message : String(e)}`);
    Deno.exit(1);
  }
}

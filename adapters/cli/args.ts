/**
 * Command-line flags of the standalone server, and the help text.
 *
 * @module
 */
import { parseArgs } from "node:util";
import type { ServerConfig, UserSeed } from "../../src/server/config.ts";
import type { LogLevel } from "./console_logger.ts";

/** The help text of `deno task start --help`. */
export const HELP = `Parley XMPP server

Usage: deno task start [options]

Options:
  --config FILE      A TypeScript config file whose default export is defineConfig({...})
  --domain NAME      Hosted domain (default: localhost)
  --hostname ADDR    Address to listen on (default: 0.0.0.0)
  --c2s-port N       Client port with STARTTLS (default: 5222; 0 picks a free port)
  --tls-port N       Direct TLS client port, XEP-0368 (default: 5223; 0 picks a free port)
  --http-port N      HTTP port for /xmpp-websocket, /http-bind, host-meta, /upload (default: 5280)
  --cert FILE        TLS certificate (PEM). Without one, a self-signed certificate for
                     the domain is created in the data directory on first start
  --key FILE         TLS private key (PEM)
  --storage KIND     Storage driver: pglite (default: embedded, in DATA/pglite), postgres
                     (the default when a database URL is given) or memory (nothing kept)
  --database-url URL PostgreSQL URL, postgres://user@host:5432/db (default: $DATABASE_URL)
  --data DIR         Data directory (default: ./data)
  --user JID:PASS    Create an account at start when it does not exist (repeatable)
  --admin JID        An admin: may run the XEP-0133 administration commands (repeatable)
  --allow-registration
                     Let clients create accounts in-band (XEP-0077), rate limited per IP
  --log-level LEVEL  debug, info, warn or error (default: info)
  --help             Show this help

Flags override the config file. Stop with Ctrl-C (SIGINT) or SIGTERM: every client gets
<system-shutdown/> and the server exits.`;

/** The parsed command line. */
export interface CliOptions {
  /** Show the help and exit. */
  readonly help: boolean;
  /** Config file path. */
  readonly configFile?: string;
  /** Storage driver name, when given. */
  readonly storage?: string;
  /** PostgreSQL URL, when given. */
  readonly databaseUrl?: string;
  /** Log level. */
  readonly logLevel: LogLevel;
  /** Configuration from flags only (merged over the file by the caller). */
  readonly config: ServerConfig;
}

function port(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) {
    throw new RangeError(`Cannot use ${flag} "${value}": not a port number`);
  }
  return n;
}

/**
 * Parses `--user alice@localhost:secret` (the password follows the first colon).
 *
 * @param value The flag's value.
 * @returns The user seed.
 * @example
 * ```ts
 * import { parseUser } from "./args.ts";
 * if (parseUser("a@b:c:d").password !== "c:d") throw new Error();
 * ```
 */
export function parseUser(value: string): UserSeed {
  const colon = value.indexOf(":");
  if (colon <= 0 || colon === value.length - 1) {
    throw new TypeError(`Cannot use --user "${value.split(":")[0]}": expected JID:PASSWORD`);
  }
  return { jid: value.slice(0, colon), password: value.slice(colon + 1) };
}

/**
 * Parses the command line.
 *
 * @param args The arguments after the program name.
 * @returns The options.
 * @throws {TypeError} On an unknown flag or a malformed value.
 * @example
 * ```ts
 * import { parseCli } from "./args.ts";
 * const o = parseCli(["--domain", "example.com", "--user", "a@example.com:pw"]);
 * if (o.config.domain !== "example.com" || o.config.users?.length !== 1) throw new Error();
 * ```
 */
export function parseCli(args: string[]): CliOptions {
  const { values } = parseArgs({
    args,
    strict: true,
    options: {
      config: { type: "string" },
      domain: { type: "string" },
      hostname: { type: "string" },
      "c2s-port": { type: "string" },
      "tls-port": { type: "string" },
      "http-port": { type: "string" },
      cert: { type: "string" },
      key: { type: "string" },
      storage: { type: "string" },
      "database-url": { type: "string" },
      data: { type: "string" },
      user: { type: "string", multiple: true },
      admin: { type: "string", multiple: true },
      "allow-registration": { type: "boolean", default: false },
      "log-level": { type: "string", default: "info" },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  const level = values["log-level"] as string;
  if (!["debug", "info", "warn", "error"].includes(level)) {
    throw new TypeError(`Cannot use --log-level "${level}": expected debug, info, warn or error`);
  }
  if ((values.cert === undefined) !== (values.key === undefined)) {
    throw new TypeError("Cannot use --cert without --key (or --key without --cert)");
  }
  const listen = {
    hostname: values.hostname,
    c2sPort: port(values["c2s-port"], "--c2s-port"),
    tlsPort: port(values["tls-port"], "--tls-port"),
    httpPort: port(values["http-port"], "--http-port"),
  };
  return {
    help: values.help ?? false,
    configFile: values.config,
    storage: values.storage,
    databaseUrl: values["database-url"],
    logLevel: level as LogLevel,
    config: {
      domain: values.domain,
      users: (values.user ?? []).map(parseUser),
      admins: values.admin ?? [],
      listen,
      tls: values.cert ? { cert: values.cert, key: values.key } : undefined,
      dataDir: values.data,
      registration: values["allow-registration"] ? { enabled: true } : undefined,
    },
  };
}

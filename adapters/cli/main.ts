/**
 * The standalone server: `deno task start`. Serves c2s with STARTTLS on 5222 and direct TLS
 * on 5223 for the domain localhost, federation (s2s, dialback) on 5269, and XEP-0114
 * components on 127.0.0.1:5347 when the config names some, unless told otherwise.
 *
 * @module
 */
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { createServer, type XmppServer } from "../../src/server/server.ts";
import type { ServerConfig, UserSeed } from "../../src/server/config.ts";
import type { Logger } from "../../src/base/logger.ts";
import { type BareJid, parseJid, prepDomain } from "../../src/jid/jid.ts";
import type { Storage } from "../../src/storage/storage.ts";
import {
  certificateFingerprint,
  loadCertificate,
  loadOrCreateSelfSigned,
  type TlsCredentials,
} from "../deno_tcp/certificate.ts";
import { tcpTransport } from "../deno_tcp/transport.ts";
import { componentTransport } from "../deno_tcp/component_transport.ts";
import {
  type ExternalComponents,
  externalComponents,
} from "../../src/modules/external_components.ts";
import { type Federation, federation } from "../../src/modules/s2s/federation.ts";
import { s2sConnector, s2sTransport } from "../deno_tcp/s2s.ts";
import { httpTransport } from "../hono_websocket/transport.ts";
import { HELP, parseCli } from "./args.ts";
import { consoleLogger } from "./console_logger.ts";
import { keepServing } from "./last_resort.ts";
import { uploadSetup } from "./upload_setup.ts";
import { chooseStorage, openStorage } from "./storage_select.ts";

function defined<T extends object>(o: T | undefined): Partial<T> {
  return Object.fromEntries(Object.entries(o ?? {}).filter(([, v]) => v !== undefined)) as T;
}

async function loadConfigFile(path: string): Promise<ServerConfig> {
  const mod = await import(pathToFileURL(resolve(path)).href);
  if (typeof mod.default !== "object" || mod.default === null) {
    throw new TypeError(`Cannot use config file "${path}": it has no default export object`);
  }
  return mod.default as ServerConfig;
}

/** The seed accounts that do not exist yet (a JID that does not parse is left to createServer). */
async function missingAccounts(storage: Storage, users: readonly UserSeed[]): Promise<BareJid[]> {
  const missing: BareJid[] = [];
  for (const user of users) {
    let jid: BareJid;
    try {
      jid = parseJid(user.jid).bare;
    } catch {
      continue;
    }
    if (!await storage.accounts.exists(jid)) missing.push(jid);
  }
  return missing;
}

/** The configured certificate, or the self-signed one; the log says which, and its fingerprint. */
async function tlsCredentials(
  config: ServerConfig,
  dataDir: string,
  domain: string,
  logger: Logger,
): Promise<TlsCredentials> {
  if (config.tls?.cert && config.tls.key) {
    const tls = await loadCertificate(config.tls.cert, config.tls.key);
    const sha256 = await certificateFingerprint(tls.certPem);
    logger.info("Using the TLS certificate", { path: resolve(config.tls.cert), sha256 });
    return tls;
  }
  const path = resolve(dataDir, `${domain}.crt`);
  const before = await Deno.readTextFile(path).catch(() => undefined);
  const tls = await loadOrCreateSelfSigned(dataDir, domain);
  // A client asked to trust it shows this fingerprint: the user can compare the two.
  const sha256 = await certificateFingerprint(tls.certPem);
  const what = tls.certPem === before ? "Using the" : "Created a";
  logger.info(`${what} self-signed certificate (clients must be told to trust it)`, {
    path,
    sha256,
  });
  return tls;
}

/** The deployment's dialback secret (XEP-0185): made once, kept in the data directory. */
async function dialbackSecret(dataDir: string): Promise<string> {
  const path = resolve(dataDir, "dialback.secret");
  const existing = await Deno.readTextFile(path).catch(() => undefined);
  if (existing?.trim()) return existing.trim();
  const bytes = crypto.getRandomValues(new Uint8Array(32));
  const secret = [...bytes].map((b) => b.toString(16).padStart(2, "0")).join("");
  await Deno.mkdir(dataDir, { recursive: true });
  await Deno.writeTextFile(path, secret + "\n", { mode: 0o600 });
  return secret;
}

/** Federation and XEP-0114 components, as the configuration asks. */
interface FederationModules {
  readonly s2s?: Federation;
  readonly components?: ExternalComponents;
}

async function federationModules(
  config: ServerConfig,
  dataDir: string,
  tls: TlsCredentials,
): Promise<FederationModules> {
  const components = config.components && Object.keys(config.components).length > 0
    ? externalComponents({ secrets: config.components })
    : undefined;
  const s2s = config.s2s?.enabled === false ? undefined : federation({
    secret: config.s2s?.secret ?? await dialbackSecret(dataDir),
    // Our certificate is also our client certificate: peers that trust it offer EXTERNAL.
    connector: s2sConnector({ routes: config.s2s?.routes, tls }),
    requireTls: config.s2s?.requireTls,
  });
  return { s2s, components };
}

/** The s2s port (5269) and the component port (127.0.0.1:5347), when their modules are on. */
async function listenFederation(
  server: XmppServer,
  { s2s, components }: FederationModules,
  config: ServerConfig,
  tls: TlsCredentials,
): Promise<void> {
  const logger = config.logger!;
  if (s2s) {
    await server.listen(s2sTransport(s2s, {
      hostname: config.listen?.hostname ?? "0.0.0.0",
      port: config.s2s?.port ?? 5269,
      tls,
      trust: config.s2s?.trust
        ? await Promise.all(config.s2s.trust.map((path) => Deno.readTextFile(path)))
        : undefined,
      logger,
      onListen: (l) => logger.info("Listening for servers (s2s, dialback)", { port: l.port }),
    }));
  }
  if (components) {
    await server.listen(componentTransport(components, {
      hostname: config.listen?.componentHostname,
      port: config.listen?.componentPort ?? 5347,
      logger,
      onListen: (l) => logger.info("Listening for components (XEP-0114)", { port: l.port }),
    }));
  }
}

/** The config file's settings with the command line's over them. */
function mergeConfig(file: ServerConfig, cli: ReturnType<typeof parseCli>): ServerConfig {
  const flags = cli.config;
  return {
    ...file,
    ...defined({ domain: flags.domain, dataDir: flags.dataDir }),
    users: [...(file.users ?? []), ...(flags.users ?? [])],
    admins: [...(file.admins ?? []), ...(flags.admins ?? [])],
    listen: { ...file.listen, ...defined(flags.listen) },
    tls: flags.tls ?? file.tls,
    // #15: the standalone server takes the invitations of `deno task user invite`, with its
    // landing page on the HTTP port.
    registration: {
      invites: true,
      inviteUrl: `http://${flags.domain ?? file.domain ?? "localhost"}:${
        flags.listen?.httpPort ?? file.listen?.httpPort ?? 5280
      }/invite`,
      ...file.registration,
      ...flags.registration,
    },
    logger: file.logger ?? consoleLogger(cli.logLevel),
    s2s: {
      ...file.s2s,
      ...flags.s2s,
      routes: { ...file.s2s?.routes, ...flags.s2s?.routes },
    },
  };
}

/**
 * Runs the standalone server until SIGINT or SIGTERM.
 *
 * @param args Command-line arguments.
 * @returns The exit code.
 */
export async function main(args: string[]): Promise<number> {
  const cli = parseCli(args);
  if (cli.help) {
    console.log(HELP);
    return 0;
  }
  const file = cli.configFile ? await loadConfigFile(cli.configFile) : {};
  const config = mergeConfig(file, cli);
  const logger = config.logger!;
  // The last resort, for a failure path nobody handled: log it, keep serving.
  const stopKeepingUp = keepServing(logger);
  const dataDir = config.dataDir ?? "./data";
  const choice = chooseStorage({
    storage: cli.storage,
    databaseUrl: cli.databaseUrl ?? (Deno.env.get("DATABASE_URL") || config.databaseUrl),
    dataDir,
  });
  const storage = config.storage ?? await openStorage(choice);
  logger.info("Storage opened", { driver: config.storage ? "config" : choice.kind });
  const missing = await missingAccounts(storage, config.users ?? []);
  // The domain as createServer prepares it: the self-signed certificate is named after it.
  const domain = prepDomain(config.domain ?? "localhost");
  const tls = await tlsCredentials(config, dataDir, domain, logger);
  const { s2s, components } = await federationModules(config, dataDir, tls);
  const upload = await uploadSetup(config, dataDir);
  const server = await createServer({
    ...config,
    storage,
    upload: upload?.module,
    modules: [
      ...config.modules ?? [],
      ...components ? [components] : [],
      ...s2s ? [s2s] : [],
    ],
  });
  for (const user of config.users ?? []) {
    const jid = parseJid(user.jid).bare;
    // Never the password: only which account, and whether it was created.
    if (missing.includes(jid)) logger.info("Account created", { jid });
    else logger.info("Account exists, password left unchanged", { jid });
  }
  const hostname = config.listen?.hostname ?? "0.0.0.0";
  const c2sPort = config.listen?.c2sPort ?? 5222;
  const tlsPort = config.listen?.tlsPort ?? 5223;
  await server.listen(tcpTransport({
    hostname,
    port: c2sPort,
    tls,
    logger,
    onListen: (l) => logger.info("Listening for clients (STARTTLS)", { port: l.port }),
  }));
  await server.listen(tcpTransport({
    hostname,
    port: tlsPort,
    tls,
    directTls: true,
    logger,
    onListen: (l) => logger.info("Listening for clients (direct TLS)", { port: l.port }),
  }));
  await listenFederation(server, { s2s, components }, config, tls);
  // Plain HTTP: browsers on http://localhost use ws:// (SCRAM; PLAIN is never offered here).
  await server.listen(httpTransport(server, {
    hostname,
    port: config.listen?.httpPort ?? 5280,
    upload: upload?.http,
    onListen: (a) => {
      upload?.setPort(a.port);
      logger.info("Listening for web clients (WebSocket, BOSH, host-meta, upload)", {
        port: a.port,
      });
    },
    onUploadExpiryError: (e) => logger.warn("Cannot delete expired uploads", { error: String(e) }),
  }));
  // Listen for signals before announcing "Serving": a supervisor may signal right after it.
  const stopped = Promise.withResolvers<void>();
  const stop = () => stopped.resolve();
  Deno.addSignalListener("SIGINT", stop);
  Deno.addSignalListener("SIGTERM", stop);
  logger.info("Serving", { domain: server.domain, version: server.config.software.version });
  await stopped.promise;
  logger.info("Shutting down");
  await server.close();
  Deno.removeSignalListener("SIGINT", stop);
  Deno.removeSignalListener("SIGTERM", stop);
  stopKeepingUp();
  return 0;
}

if (import.meta.main) {
  try {
    Deno.exit(await main(Deno.args));
  } catch (e) {
    console.error(`parley: ${e instanceof Error ? e.message : String(e)}`);
    Deno.exit(1);
  }
}

/**
 * The server: wires configuration, storage, the router, sessions, connections and modules.
 *
 * @module
 */
import { type Logger, silentLogger } from "../base/logger.ts";
import { StreamError } from "../base/stream_error.ts";
import type { ByteStream } from "../base/transport.ts";
import { randomId } from "../util/random_id.ts";
import { HookRegistry } from "../hooks/hook_registry.ts";
import { IqRegistry } from "../hooks/iq_registry.ts";
import type { ServerHooks } from "../hooks/server_hooks.ts";
import { type BareJid, parseJid } from "../jid/jid.ts";
import type { XmppModule } from "../module/module_api.ts";
import { ModuleHost } from "../module/module_host.ts";
import { builtinModules } from "../modules/mod.ts";
import type { HttpUploadOptions } from "../modules/http_upload.ts";
import { DomainTable } from "../router/domains.ts";
import { LocalRouter, type Router } from "../router/router.ts";
import { memoryDirectory, type SessionDirectory } from "../router/session_directory.ts";
import { deriveCredentials } from "../sasl/credentials.ts";
import { removeAccount } from "../storage/remove_account.ts";
import { memoryStorage } from "../storage/memory.ts";
import type { Storage } from "../storage/storage.ts";
import { ProvidedRosterStore, withRosterProvider } from "../storage/provided_roster.ts";
import { resolveConfig, type ResolvedConfig, type ServerConfig } from "./config.ts";
import { type ConnectionOptions, Connections, type ConnectionsDeps } from "./connections.ts";
import { registrar } from "./registration.ts";
import { InviteTokens } from "../storage/invite_tokens.ts";
import { fastTokens } from "./fast_tokens.ts";
import { type Identity, identity } from "./auth_provider.ts";
import { SessionHub } from "./session_hub.ts";

export type { ConnectionOptions } from "./connections.ts";

/** A running listener that a transport started. */
export interface Listening {
  /** Stops accepting and closes the listener's connections. */
  close(): Promise<void>;
}

/** A transport an adapter provides, e.g. TCP on port 5222. */
export interface Transport {
  /** Starts accepting connections; each one is handed to `accept`. */
  start(accept: (stream: ByteStream, options?: ConnectionOptions) => void): Promise<Listening>;
}

/** A running XMPP server. */
export interface XmppServer {
  /** The default domain. */
  readonly domain: string;
  /** The validated configuration. */
  readonly config: ResolvedConfig;
  /** Routes stanzas; what modules use. */
  readonly router: Router;
  /** The storage. */
  readonly storage: Storage;
  /** Number of connections, negotiating or bound. */
  readonly connectionCount: number;
  /** Loads a module. */
  use(module: XmppModule): Promise<void>;
  /** Unloads a module by name; `false` when it was not loaded. */
  unload(name: string): Promise<boolean>;
  /** Serves one connection until it ends. */
  handle(stream: ByteStream, options?: ConnectionOptions): Promise<void>;
  /** Starts a transport; it stops when the server closes. */
  listen(transport: Transport): Promise<Listening>;
  /** Creates an account; `false` when it exists. Only SCRAM data is stored. */
  addUser(jid: string, password: string): Promise<boolean>;
  /** Every account: stored ones and the `auth` provider's users, sorted. */
  listUsers(): Promise<BareJid[]>;
  /** Changes an account's password; `false` when there is no such account. */
  setPassword(jid: string, password: string): Promise<boolean>;
  /**
   * Removes an account with everything stored for it, modules' data included
   * (`account/removed`); `false` when there is no such account.
   */
  removeUser(jid: string): Promise<boolean>;
  /**
   * The `rosterProvider`'s contacts of `jid` changed (#15): asks it again and pushes the
   * changes to the user's interested resources. Does nothing without a provider.
   */
  rosterChanged(jid: string): Promise<void>;
  /**
   * Closes every stream with `<system-shutdown/>` and ends hibernated sessions (their modules
   * hand what they kept to offline storage), stops transports, modules and storage.
   */
  close(): Promise<void>;
}

/** What `createServer` takes besides the configuration file's settings. */
export interface ServerParts {
  /** Who is bound where; default in memory (a cluster passes a shared one). */
  readonly directory?: SessionDirectory;
  /** This node's id; default a random one. */
  readonly node?: string;
}

function accountManager(config: ResolvedConfig, storage: Storage) {
  return async (jid: string, password: string, create: boolean): Promise<boolean> => {
    const parsed = parseJid(jid);
    if (!config.domains.includes(parsed.domain) || !parsed.local) {
      throw new RangeError(`Cannot manage account "${jid}": not a user of a hosted domain`);
    }
    const credentials = await deriveCredentials(password, { iterations: config.scramIterations });
    return create
      ? storage.accounts.create(parsed.bare, credentials)
      : storage.accounts.setCredentials(parsed.bare, credentials);
  };
}

async function loadModules(
  modules: ModuleHost,
  config: ServerConfig,
  resolved: ResolvedConfig,
): Promise<void> {
  if (resolved.builtinModules) {
    const options = {
      limits: resolved.limits,
      scramIterations: resolved.scramIterations,
      admins: resolved.admins,
      commands: config.commands,
      invites: resolved.registration.invites
        ? { inviteUrl: resolved.registration.inviteUrl }
        : undefined,
      pubsub: config.pubsub,
      push: config.push,
      contactInfo: config.contactInfo,
      externalServices: config.externalServices,
      // httpUpload() checks that url and secret are there (TypeError otherwise).
      upload: config.upload ? config.upload as HttpUploadOptions : undefined,
      muc: resolved.muc,
    };
    for (const m of builtinModules(options)) await modules.load(m);
  }
  for (const m of config.modules ?? []) await modules.load(m);
}

/** The parts a server is wired from. */
interface Parts {
  readonly config: ResolvedConfig;
  readonly identity: Identity;
  readonly logger: Logger;
  readonly storage: Storage;
  readonly router: LocalRouter;
  readonly hub: SessionHub;
  readonly modules: ModuleHost;
  readonly connections: Connections;
  /** The roster store over the application's contacts, with a `rosterProvider`. */
  readonly provided?: ProvidedRosterStore;
  readonly hooks: HookRegistry<ServerHooks>;
  upsertUser(jid: string, password: string, create: boolean): Promise<boolean>;
  removeUser(jid: BareJid): Promise<boolean>;
}

/** A guest's account ends with its last session (RFC 4505 accounts are throwaway). */
function removeGuests(
  hooks: HookRegistry<ServerHooks>,
  router: LocalRouter,
  guestDomain: string,
  removeUser: (jid: BareJid) => Promise<boolean>,
): void {
  hooks.add("session/closed", async ({ session }) => {
    if (parseJid(session.bare).domain !== guestDomain) return;
    if ((await router.sessions(session.bare)).length > 0) return;
    await removeUser(session.bare);
  });
}

/** What the client connections are built from. */
interface ConnectionParts {
  readonly resolved: ResolvedConfig;
  readonly storage: Storage;
  readonly hub: SessionHub;
  readonly router: LocalRouter;
  readonly logger: Logger;
  readonly modules: ModuleHost;
  readonly hooks: HookRegistry<ServerHooks>;
  readonly fast: ConnectionsDeps["fast"];
  readonly ids: Identity;
  upsertUser(jid: string, password: string, create: boolean): Promise<boolean>;
}

/** The client connections, with the modules' SASL2 and Bind 2 inline features (#15). */
function connectionsOf(p: ConnectionParts): Connections {
  const { resolved, modules, ids } = p;
  const invites = new InviteTokens(p.storage);
  return new Connections({
    config: resolved,
    storage: p.storage,
    hub: p.hub,
    router: p.router,
    logger: p.logger,
    postAuthFeatures: modules.streamFeatures,
    sasl2: resolved.sasl2
      ? {
        features: modules.sasl2Features,
        bind2Vars: modules.bind2Vars,
        sasl2: modules.sasl2Handlers,
        bind2: modules.bind2Handlers,
      }
      : undefined,
    fast: p.fast,
    identity: ids,
    randomId,
    preauth: resolved.registration.invites ? (token) => invites.valid(token) : undefined,
    register: resolved.registration.enabled || resolved.registration.invites
      ? registrar({
        perIpIntervalMs: resolved.registration.perIpIntervalMs,
        exists: (jid) => ids.exists(jid),
        create: async (jid, password) => {
          const created = await p.upsertUser(jid, password, true);
          if (created) await p.hooks.run("account/created", { jid });
          return created;
        },
        now: () => Date.now(),
        redeem: resolved.registration.invites ? (token) => invites.redeem(token) : undefined,
      })
      : undefined,
  });
}

/** Builds the parts: storage, domains, directory, router, sessions, modules, connections. */
function wire(config: ServerConfig & ServerParts, resolved: ResolvedConfig): Parts {
  const logger: Logger = config.logger ?? silentLogger;
  const stored = config.storage ?? memoryStorage();
  const provided = config.rosterProvider
    ? new ProvidedRosterStore(stored.roster, config.rosterProvider)
    : undefined;
  const storage = provided ? withRosterProvider(stored, provided) : stored;
  const node = config.node ?? randomId();
  const domainTable = new DomainTable(resolved.domains);
  const directory = config.directory ?? memoryDirectory();
  const hooks = new HookRegistry<ServerHooks>();
  const iqs = new IqRegistry();
  // #15: the application's users exist too, also those who never logged in.
  const ids = identity(storage.accounts, config.auth);
  const accountExists = (jid: string) => ids.exists(parseJid(jid).bare);
  const locals = { get: (id: string) => hub.get(id) };
  const router = new LocalRouter({
    node,
    domains: domainTable,
    directory,
    locals,
    hooks,
    iqs,
    accountExists,
    logger,
  });
  const hub: SessionHub = new SessionHub({ node, directory, router, hooks, logger });
  const fast = resolved.sasl2 && resolved.fast.enabled
    ? fastTokens(storage, {
      lifetimeMs: resolved.fast.tokenLifetimeMs,
      credentials: (jid) => ids.getCredentials(jid),
    })
    : undefined;
  // Everything stored for the account, then every module's own data of it.
  const removeUser = async (jid: BareJid) => {
    await fast?.forget(jid); // XEP-0484: a removed account's tokens go with it.
    const removed = await removeAccount(storage, jid);
    await hooks.run("account/removed", { jid });
    return removed;
  };
  if (resolved.guestDomain) removeGuests(hooks, router, resolved.guestDomain, removeUser);
  const modules = new ModuleHost({
    domains: resolved.domains,
    domainTable,
    router,
    storage,
    logger,
    hooks,
    iqs,
    software: resolved.software,
    accountExists: async (jid) =>
      (await router.sessions(parseJid(jid).bare)).length > 0 || await accountExists(jid),
    now: () => new Date(),
    randomId,
    removeAccount: removeUser,
  });
  const upsertUser = accountManager(resolved, storage);
  const connections = connectionsOf({
    resolved,
    storage,
    hub,
    router,
    logger,
    modules,
    hooks,
    fast,
    ids,
    upsertUser,
  });
  return {
    config: resolved,
    identity: ids,
    logger,
    storage,
    router,
    hub,
    modules,
    connections,
    upsertUser,
    removeUser,
    provided,
    hooks,
  };
}

/** The server's public face over its parts. */
function serverOf(parts: Parts): XmppServer {
  const { config, logger, storage, router, hub, modules, connections, upsertUser } = parts;
  const listeners = new Set<Listening>();
  let closing = false;
  return {
    domain: config.domains[0],
    config,
    router,
    storage,
    get connectionCount() {
      return connections.size;
    },
    use: (module) => modules.load(module),
    unload: (name) => modules.unload(name),
    handle: (stream, options) => connections.handle(stream, options),
    async listen(transport) {
      const listening = await transport.start((stream, options) => {
        connections.handle(stream, options).catch((e) =>
          logger.error("Connection failed", { error: e instanceof Error ? e.message : String(e) })
        );
      });
      listeners.add(listening);
      return {
        async close() {
          listeners.delete(listening);
          await listening.close();
        },
      };
    },
    addUser: (jid, password) => upsertUser(jid, password, true),
    listUsers: () => parts.identity.list(),
    setPassword: (jid, password) => upsertUser(jid, password, false),
    removeUser: (jid) => parts.removeUser(parseJid(jid).bare),
    async rosterChanged(jid) {
      if (!parts.provided) return;
      const bare = parseJid(jid).bare;
      const change = await parts.provided.refresh(bare);
      if (change.changed.length === 0 && change.removed.length === 0) return;
      const { version } = await storage.roster.get(bare);
      await parts.hooks.run("roster/provided", { jid: bare, ...change, version });
    },
    async close() {
      if (closing) return;
      closing = true;
      await connections.closeAll();
      // Sessions without a connection (hibernated) end too.
      await Promise.allSettled(hub.all().map((s) => s.close(new StreamError("system-shutdown"))));
      await Promise.all([...listeners].map((l) => l.close()));
      listeners.clear();
      await modules.unloadAll();
      await storage.close();
    },
  };
}

/**
 * Creates a server from a configuration.
 *
 * @param config The configuration; everything is optional.
 * @returns The server, with its modules loaded and seed users created.
 * @throws {TypeError} When a configuration value has the wrong type.
 * @throws {RangeError} When a configuration value is out of range.
 * @example
 * ```ts
 * import { createServer } from "./server.ts";
 * const server = await createServer({ domain: "example.com" });
 * if (server.domain !== "example.com") throw new Error();
 * await server.close();
 * ```
 */
export async function createServer(
  config: ServerConfig & ServerParts = {},
): Promise<XmppServer> {
  const resolved = resolveConfig(config);
  const parts = wire(config, resolved);
  await loadModules(parts.modules, config, resolved);
  for (const user of config.users ?? []) {
    if (!await parts.storage.accounts.exists(parseJid(user.jid).bare)) {
      await parts.upsertUser(user.jid, user.password, true);
    }
  }
  return serverOf(parts);
}

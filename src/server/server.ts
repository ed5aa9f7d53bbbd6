/**
 * The server: ties configuration, storage, router, modules and connections together.
 *
 * @module
 */
import { HookRegistry } from "../hooks/hook_registry.ts";
import { IqRegistry } from "../hooks/iq_registry.ts";
import type { XmppModule } from "../hooks/module_api.ts";
import type { ServerHooks } from "../hooks/server_hooks.ts";
import { type BareJid, fullJid, parseJid, prepResource } from "../jid/jid.ts";
import { builtinModules } from "../modules/mod.ts";
import { intake } from "../router/intake.ts";
import { createRouter, type Router } from "../router/router.ts";
import { memoryDirectory } from "../router/session_directory.ts";
import { errorReply, StanzaError } from "../router/stanza_error.ts";
import { deriveCredentials } from "../sasl/credentials.ts";
import { memoryStorage } from "../storage/memory.ts";
import type { Storage } from "../storage/storage.ts";
import type { ByteStream } from "../stream/byte_stream.ts";
import { type Framing, streamFraming } from "../stream/framing.ts";
import type { NegotiationEnv } from "../stream/negotiation.ts";
import { ClientSession, type SessionHost } from "../stream/session.ts";
import { StreamError } from "../stream/stream_error.ts";
import { resolveConfig, type ResolvedConfig, type ServerConfig } from "./config.ts";
import { type Logger, silentLogger } from "./logger.ts";
import { ModuleHost } from "./module_host.ts";
import { registrar } from "./registration.ts";
// #10 item 6 and #9 item 5: throttle password guessing, cap connections per address.
import { createAuthThrottle } from "../stream/auth_throttle.ts";
import { FloodMeter } from "../util/flood_meter.ts";
import { ConnectionLimiter, refuseConnection } from "./connection_limit.ts";

/** How one connection is to be served. */
export interface ConnectionOptions {
  /** The wire format; default the TCP XML stream. */
  readonly framing?: Framing;
  /** Override of the server's `requireTls` for this transport. */
  readonly requireTls?: boolean;
  /** Allow PLAIN on an unencrypted stream (local development only). */
  readonly allowPlainWithoutTls?: boolean;
}

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
  /** Changes an account's password; `false` when there is no such account. */
  setPassword(jid: string, password: string): Promise<boolean>;
  /** Closes every stream with `<system-shutdown/>`, stops transports and storage. */
  close(): Promise<void>;
}

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, "0"));

function randomId(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(12));
  let s = "";
  for (const b of bytes) s += HEX[b];
  return s;
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
export async function createServer(config: ServerConfig = {}): Promise<XmppServer> {
  const resolved = resolveConfig(config);
  const logger: Logger = config.logger ?? silentLogger;
  const storage = config.storage ?? memoryStorage();
  const hosted = new Set(resolved.domains);
  const directory = memoryDirectory();
  const hooks = new HookRegistry<ServerHooks>();
  const iqs = new IqRegistry();
  const router = createRouter({
    hosted,
    directory,
    hooks,
    iqs,
    accounts: storage.accounts,
    logger,
  });
  const modules = new ModuleHost({
    domains: resolved.domains,
    router,
    storage,
    logger,
    hooks,
    iqs,
    software: resolved.software,
    accountExists: (jid) => {
      const bare = parseJid(jid).bare;
      // A bound session proves the account exists without a storage round-trip.
      return directory.byBare(bare).length > 0
        ? Promise.resolve(true)
        : storage.accounts.exists(bare);
    },
    now: () => new Date(),
    randomId,
  });
  const connections = new Set<ClientSession>();
  const listeners = new Set<Listening>();
  const limits = resolved.limits;
  let closing = false;
  // Stable fake SCRAM salts for unknown users for the life of the process.
  const fakeSaltKey = crypto.getRandomValues(new Uint8Array(32));
  // #10 item 6: password guessing waits per address and account; connections per address.
  const throttle = createAuthThrottle({
    burst: limits.authFailureBurst,
    perAddressPerMinute: limits.authFailuresPerMinutePerAddress,
    perAccountPerMinute: limits.authFailuresPerMinutePerAccount,
    maxDelayMs: limits.maxAuthDelayMs,
  });
  const perAddress = new ConnectionLimiter(limits.maxConnectionsPerAddress);
  const refusals = new FloodMeter();

  const env: NegotiationEnv = {
    getCredentials: (jid) => storage.accounts.getCredentials(jid),
    bind(jid: BareJid, resource: string | undefined) {
      const sessions = directory.byBare(jid);
      const full = fullJid(jid, resource === undefined ? randomId() : prepResource(resource));
      // RFC 6120 §7.6.2.1: too many sessions. A session replacing its own JID does not count.
      if (sessions.length >= limits.maxSessionsPerAccount && !directory.get(full)) {
        throw new StanzaError("resource-constraint", "wait", "Too many sessions");
      }
      return Promise.resolve(full);
    },
    randomBytes: (n) => crypto.getRandomValues(new Uint8Array(n)),
    randomId,
    throttle,
    register: resolved.registration.enabled
      ? registrar({
        perIpIntervalMs: resolved.registration.perIpIntervalMs,
        exists: (jid) => storage.accounts.exists(jid),
        create: (jid, password) => upsertUser(jid, password, true),
        now: () => Date.now(),
      })
      : undefined,
  };

  function host(stream: ByteStream, options: ConnectionOptions): SessionHost {
    return {
      domain: resolved.domains[0],
      limits,
      logger,
      env,
      negotiation: {
        domains: resolved.domains,
        requireTls: options.requireTls ?? resolved.requireTls,
        canStartTls: stream.startTls !== undefined,
        allowPlainWithoutTls: options.allowPlainWithoutTls ?? false,
        maxAuthFailures: limits.maxAuthFailures,
        maxAuthErrors: limits.maxAuthErrors,
        postAuthFeatures: modules.streamFeatures,
        fakeSaltKey,
        registration: resolved.registration.enabled,
      },
      async bound(session) {
        const displaced = directory.add(session);
        // RFC 6120 §7.7.2.2: the older session with the same full JID gets <conflict/>.
        if (displaced) {
          void displaced.close(new StreamError("conflict", "Replaced by a new session"));
        }
        logger.info("Session bound", { session: session.id, transport: session.info.kind });
        await hooks.run("session/bound", { session });
      },
      async element(session, el) {
        const result = intake(el, session.jid);
        switch (result.kind) {
          case "route":
            try {
              await router.route(result.stanza, session);
            } catch (e) {
              if (e instanceof StreamError) throw e;
              logger.error("Routing failed", {
                session: session.id,
                stanza: el.name,
                error: e instanceof Error ? e.message : String(e),
              });
              // Straight back to the sender: routing the error could fail the same way again.
              if (result.stanza.attrs.type !== "error") {
                session.send(
                  errorReply(result.stanza, new StanzaError("internal-server-error", "wait")),
                );
              }
            }
            return;
          case "reply":
            session.send(errorReply(result.stanza, result.error));
            return;
          case "drop":
            return;
          case "nonza":
            if (await hooks.run("nonza", { session, element: el })) return;
            // RFC 6120 §4.9.3.24: a top-level element that is no stanza the server knows.
            throw new StreamError("unsupported-stanza-type");
          case "stream-error":
            throw result.error;
        }
      },
      async closed(session, clean) {
        directory.remove(session);
        try {
          await hooks.run("session/closed", { session, clean });
        } catch (e) {
          // A module failing here (e.g. storage down while broadcasting unavailable presence)
          // must not take the process down: the session is gone either way.
          logger.error("Session end handling failed", {
            session: session.id,
            error: e instanceof Error ? e.message : String(e),
          });
        }
      },
    };
  }

  async function handle(stream: ByteStream, options: ConnectionOptions = {}): Promise<void> {
    const framing = options.framing ?? streamFraming;
    // #10 item 6: at most maxConnectionsPerAddress at once from one address.
    const address = stream.info.remoteAddress;
    if (!perAddress.acquire(address)) {
      const level = refusals.note(address ?? "", Date.now());
      logger[level]("Connection refused: too many from one address", {
        remoteAddress: address,
        max: limits.maxConnectionsPerAddress,
      });
      const error = new StreamError("policy-violation", "Too many connections from your address");
      return refuseConnection(stream, framing, resolved.domains[0], error);
    }
    try {
      const session = new ClientSession(stream, host(stream, options), framing);
      if (closing) {
        await session.close(new StreamError("system-shutdown"));
        return;
      }
      connections.add(session);
      try {
        await session.run();
      } finally {
        connections.delete(session);
      }
    } finally {
      perAddress.release(address);
    }
  }

  async function upsertUser(jid: string, password: string, create: boolean): Promise<boolean> {
    const bare = parseJid(jid).bare;
    if (!hosted.has(parseJid(jid).domain) || !parseJid(jid).local) {
      throw new RangeError(`Cannot manage account "${jid}": not a user of a hosted domain`);
    }
    const credentials = await deriveCredentials(password, {
      iterations: resolved.scramIterations,
    });
    return create
      ? storage.accounts.create(bare, credentials)
      : storage.accounts.setCredentials(bare, credentials);
  }

  const server: XmppServer = {
    domain: resolved.domains[0],
    config: resolved,
    router,
    storage,
    get connectionCount() {
      return connections.size;
    },
    use: (module) => modules.load(module),
    unload: (name) => modules.unload(name),
    handle,
    async listen(transport) {
      const listening = await transport.start((stream, options) => {
        handle(stream, options).catch((e) =>
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
    setPassword: (jid, password) => upsertUser(jid, password, false),
    async close() {
      if (closing) return;
      closing = true;
      await Promise.allSettled(
        [...connections].map((s) => s.close(new StreamError("system-shutdown"))),
      );
      await Promise.all([...listeners].map((l) => l.close()));
      listeners.clear();
      await modules.unloadAll();
      await storage.close();
    },
  };

  if (resolved.builtinModules) {
    for (
      const m of builtinModules({
        limits: resolved.limits,
        scramIterations: resolved.scramIterations,
      })
    ) await modules.load(m);
  }
  for (const m of config.modules ?? []) await modules.load(m);
  for (const user of config.users ?? []) {
    if (!await storage.accounts.exists(parseJid(user.jid).bare)) {
      await upsertUser(user.jid, user.password, true);
    }
  }
  return server;
}

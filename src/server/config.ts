/**
 * Server configuration: a typed object, validated once when the server is created.
 *
 * @module
 */
import type { ServerIdentity, XmppModule } from "../module/module_api.ts";
import type { BuiltinLimits, MucOptions, PushConfig } from "../modules/mod.ts";
import type { ContactInfo } from "../modules/contact_addresses.ts";
import type { ExternalService } from "../modules/external_services.ts";
import type { HttpUploadOptions } from "../modules/http_upload.ts";
import { parseJid, prepDomain, tryParseJid } from "../jid/jid.ts";
import type { CommandRegistry } from "../modules/command_registry.ts";
import type { PubsubOptions } from "../modules/pubsub.ts";
import type { Storage } from "../storage/storage.ts";
import type { Logger } from "../base/logger.ts";
import type { AuthProvider } from "./auth_provider.ts";
import type { RosterProvider } from "../storage/provided_roster.ts";

/** Limits and timeouts; every field is optional and has a safe default. */
export interface ServerLimits extends BuiltinLimits {
  /** Largest top-level element in bytes; default 262,144 (256 KiB). */
  readonly maxStanzaBytes?: number;
  /** Deepest element nesting; default 32. */
  readonly maxDepth?: number;
  /**
   * Wrong credentials (a bad password or proof, an unknown user) one stream may try before it
   * is closed with `<policy-violation/>`; default 3.
   */
  readonly maxAuthFailures?: number;
  /**
   * Other SASL failures one stream may have (an unsupported mechanism or channel binding
   * type, a malformed message, an abort, a detected downgrade, an attempt refused by the
   * throttle) before it is closed; default 10.
   */
  readonly maxAuthErrors?: number;
  /**
   * Failed authentications per remote address, and per account, that are answered without
   * delay; beyond them the throttle spaces attempts out. Default 10.
   */
  readonly authFailureBurst?: number;
  /**
   * Failed authentications per minute from one remote address after the burst: further
   * attempts wait for their turn before their credentials are checked. Default 60; 0 turns
   * the limit off.
   */
  readonly authFailuresPerMinutePerAddress?: number;
  /**
   * Failed authentications per minute for one account after the burst, from addresses the
   * account has not logged in from (its owner's usual addresses are not held back). Default
   * 60; 0 turns the limit off.
   */
  readonly authFailuresPerMinutePerAccount?: number;
  /**
   * Longest an authentication attempt waits for the throttle; an attempt that would wait
   * longer is refused unchecked with `<temporary-auth-failure/>`. Default 10,000 ms.
   */
  readonly maxAuthDelayMs?: number;
  /**
   * Concurrent connections from one remote address, loopback included; more are closed with
   * `<policy-violation/>`. Default 100.
   */
  readonly maxConnectionsPerAddress?: number;
  /** Time from connection to resource binding; default 60 s. */
  readonly negotiationTimeoutMs?: number;
  /** Silence after which a bound client is pinged; default 300 s. */
  readonly idleTimeoutMs?: number;
  /** Time a pinged client has to answer; default 60 s. */
  readonly pingTimeoutMs?: number;
  /** Bytes queued for a client that does not read before its stream is closed; default 8 MiB. */
  readonly maxOutputBytes?: number;
  /** Sessions one account may have at once; default 16. */
  readonly maxSessionsPerAccount?: number;
  /**
   * Bytes per second a client may send, with bursts of up to 1 MiB; reading pauses beyond it
   * (TCP flow control slows the client down). Default 262,144 (256 KiB/s); 0 turns it off.
   */
  readonly readBytesPerSecond?: number;
}

/** An account to create at start when it does not exist. */
export interface UserSeed {
  /** The account's bare JID, e.g. "alice@localhost". */
  readonly jid: string;
  /** The password; only SCRAM data derived from it is stored. */
  readonly password: string;
}

/** Configuration of an embedded server. */
export interface ServerConfig {
  /** The default hosted domain; default "localhost". */
  readonly domain?: string;
  /** Further hosted domains. */
  readonly domains?: readonly string[];
  /** Storage; default an in-memory store. */
  readonly storage?: Storage;
  /** Modules loaded after the built-in ones. */
  readonly modules?: readonly XmppModule[];
  /** Whether to load the built-in modules (disco, ping, version, time); default true. */
  readonly builtinModules?: boolean;
  /** Accounts to create at start. */
  readonly users?: readonly UserSeed[];
  /** Whether TCP clients must negotiate TLS before authenticating; default true. */
  readonly requireTls?: boolean;
  /** Limits and timeouts. */
  readonly limits?: ServerLimits;
  /** Where the server logs; default nowhere. */
  readonly logger?: Logger;
  /** PBKDF2 iterations for new SCRAM credentials; default 4096 (RFC 7677 §4). */
  readonly scramIterations?: number;
  /** Name and version reported by XEP-0092. */
  readonly software?: ServerIdentity;
  /** Where the standalone server listens (ignored by an embedded server). */
  readonly listen?: ListenConfig;
  /** Certificate and key files of the standalone server (PEM). */
  readonly tls?: { readonly cert?: string; readonly key?: string };
  /** Data directory of the standalone server; default "./data". */
  readonly dataDir?: string;
  /** XEP-0077 in-band registration; off unless `enabled`. */
  readonly registration?: RegistrationConfig;
  /**
   * PostgreSQL URL of the standalone server (`postgres://…`); when set, it keeps its data there
   * instead of in PGlite under the data directory. `--database-url` and `DATABASE_URL` override it.
   */
  readonly databaseUrl?: string;
  /**
   * Offer XEP-0388 SASL2 with XEP-0386 Bind 2 and the modules' inline features next to
   * RFC 6120 SASL and binding; default `true`.
   */
  readonly sasl2?: boolean;
  /**
   * XEP-0386 §3: the resource a Bind 2 client gets is its `<tag/>` followed by a suffix the
   * server derives from the client's user-agent id, so that two installations of one client
   * never take each other's resource. `false` binds the tag itself (like an RFC 6120 resource
   * request, including `<conflict/>` for the older session): for apps and tests that address
   * resources by name. Default `true`.
   */
  readonly bind2ResourceSuffix?: boolean;
  /**
   * XEP-0474 SCRAM downgrade protection (SSDP): SCRAM's server-first-message carries the hash
   * of the mechanisms and channel binding types the stream advertised; default `true`.
   */
  readonly downgradeProtection?: boolean;
  /** XEP-0484 FAST tokens inside SASL2 (on TLS streams only). */
  readonly fast?: FastConfig;
  /**
   * The host application's users (#15): passwords or tokens (SASL OAUTHBEARER) it checks
   * itself, and users that exist without having logged in. Stacks on the account store.
   */
  readonly auth?: AuthProvider;
  /**
   * The host application's contact lists (#15): read-only items with subscription `both`
   * merged into rosters; call `XmppServer.rosterChanged(jid)` when a list changes.
   */
  readonly rosterProvider?: RosterProvider;
  /**
   * Guests (SASL ANONYMOUS, RFC 4505) on their own domain, e.g. "guest.example.com", for web
   * chat widgets: a stream to it offers ANONYMOUS only, no registration and no FAST tokens;
   * a guest's account and data go when its last session ends. Off by default.
   */
  readonly guests?: GuestConfig;
  /**
   * XEP-0357 push notifications: `includeBody` (default off), per-account limits, and `relay`,
   * the first-party app server on `push.<domain>` that POSTs summaries to an HTTPS endpoint.
   */
  readonly push?: PushConfig;
  /**
   * XEP-0157 contact addresses in the server's disco#info, by kind: `abuse`, `admin`,
   * `feedback`, `sales`, `security`, `status`, `support`, each a list of URIs.
   */
  readonly contactInfo?: ContactInfo;
  /**
   * XEP-0215 external services (STUN/TURN) for local accounts; a TURN service with a `secret`
   * gets time-limited credentials (TURN REST API).
   */
  readonly externalServices?: readonly ExternalService[];
  /**
   * XEP-0363 HTTP file upload on `upload.<domain>`: the public URL and secret the HTTP side
   * (`mountUpload`) shares, and the limits; off when absent or `false`. An embedded server
   * needs `url` and `secret` (else `TypeError`); the standalone server serves uploads unless
   * `false`, filling in the URL (`http://<domain>:<http port>/upload`) and a secret kept in
   * the data directory (`upload.secret`).
   */
  readonly upload?: Partial<HttpUploadOptions> | false;
  /**
   * Bare JIDs of the server's admins: they may run the XEP-0133 administration commands
   * (XEP-0050). `--admin JID` adds one.
   */
  readonly admins?: readonly string[];
  /** Where modules register XEP-0050 ad-hoc commands; default a new registry. */
  readonly commands?: CommandRegistry;
  /**
   * The XEP-0060 publish-subscribe service (a built-in module): its domain (default
   * `pubsub.<domain>`), who may create nodes (default local users) and item limits; `false`
   * for none.
   */
  readonly pubsub?: PubsubOptions | false;
  /**
   * The XEP-0045 group chat service, a built-in module: its domain (default
   * `conference.<domain>`, Prosody's convention) and limits, or `false` for none.
   */
  readonly muc?: MucOptions | false;
  /**
   * XEP-0114 external components of the standalone server: the shared secret of each component
   * domain, e.g. `{ "echo.localhost": "secret" }`. The component port listens only when set.
   */
  readonly components?: Readonly<Record<string, string>>;
  /** Federation (server-to-server) of the standalone server; on by default. */
  readonly s2s?: S2sConfig;
}

/** Federation settings of the standalone server. */
export interface S2sConfig {
  /** Whether to federate (listen on the s2s port, reach other domains); default true. */
  readonly enabled?: boolean;
  /** The s2s port; default 5269, 0 picks a free one. */
  readonly port?: number;
  /**
   * Static routes that override DNS SRV, `{ "b.example": "10.0.0.2:5269" }`: for tests and
   * private networks.
   */
  readonly routes?: Readonly<Record<string, string>>;
  /**
   * The dialback secret (XEP-0185), shared by every node of the deployment; default one made
   * at first start and kept in the data directory (`dialback.secret`).
   */
  readonly secret?: string;
  /** Whether s2s streams must use STARTTLS; default true. */
  readonly requireTls?: boolean;
  /**
   * CA certificate files (PEM) whose certificates authenticate peer servers with SASL
   * EXTERNAL (XEP-0178); peers without one use dialback.
   */
  readonly trust?: readonly string[];
}

/** Guest access settings. */
export interface GuestConfig {
  /** The guest domain; hosted in addition to the others. */
  readonly domain: string;
}

/** XEP-0484 FAST token settings. */
export interface FastConfig {
  /** Offer FAST tokens; default `true` (only where SASL2 is offered). */
  readonly enabled?: boolean;
  /** How long a token is accepted, in ms; default 14 days (1 minute to 365 days). */
  readonly tokenLifetimeMs?: number;
}

/** XEP-0077 in-band registration settings. */
export interface RegistrationConfig {
  /** Let clients create accounts before authenticating; default `false`. */
  readonly enabled?: boolean;
  /** Least time between two registrations from one IP address, in ms; default 60000. */
  readonly perIpIntervalMs?: number;
  /**
   * Take invitations (#15, XEP-0401 / XEP-0445): a one-time token from `deno task user invite`
   * or the `urn:xmpp:invite#create-account` ad-hoc command lets one account register, also
   * while `enabled` is off. Default `false`.
   */
  readonly invites?: boolean;
  /**
   * The base URL of the invitation landing page (`mountInvites`), e.g.
   * "https://chat.example.com/invite"; an invitation's page is `<inviteUrl>/<token>`.
   */
  readonly inviteUrl?: string;
}

/** Ports and address of the standalone server. */
export interface ListenConfig {
  /** Address to bind; default "0.0.0.0". */
  readonly hostname?: string;
  /** Client-to-server port with STARTTLS; default 5222. */
  readonly c2sPort?: number;
  /** Direct TLS port (XEP-0368); default 5223. */
  readonly tlsPort?: number;
  /** HTTP port (WebSocket, BOSH, host-meta); default 5280. */
  readonly httpPort?: number;
  /** XEP-0114 component port; default 5347. */
  readonly componentPort?: number;
  /** Address of the component port; default "127.0.0.1" (loopback only). */
  readonly componentHostname?: string;
}

/** A configuration with every default filled in. */
export interface ResolvedConfig {
  /** Hosted domains, the default first. */
  readonly domains: readonly string[];
  /** Limits with defaults. */
  readonly limits: Required<ServerLimits>;
  /** TLS required on TCP. */
  readonly requireTls: boolean;
  /** PBKDF2 iterations. */
  readonly scramIterations: number;
  /** Whether built-in modules load. */
  readonly builtinModules: boolean;
  /** Name and version. */
  readonly software: ServerIdentity;
  /** In-band registration. */
  readonly registration: Required<Omit<RegistrationConfig, "inviteUrl">> & {
    readonly inviteUrl?: string;
  };
  /** Whether SASL2 and Bind 2 are offered. */
  readonly sasl2: boolean;
  /** Whether Bind 2 resources get a suffix after the tag. */
  readonly bind2ResourceSuffix: boolean;
  /** Whether SCRAM carries the XEP-0474 hash. */
  readonly downgradeProtection: boolean;
  /** FAST tokens. */
  readonly fast: Required<FastConfig>;
  /** The guest domain (prepared), when guests are allowed. */
  readonly guestDomain?: string;
  /** The admins' prepared bare JIDs. */
  readonly admins: readonly string[];
  /** The group chat service's options, or `false`. */
  readonly muc: MucOptions | false;
}

/** The version of this package. */
export const VERSION = "0.1.0";

/** Default limits. */
export const DEFAULT_LIMITS: Required<ServerLimits> = {
  maxStanzaBytes: 262_144,
  maxDepth: 32,
  maxAuthFailures: 3,
  maxAuthErrors: 10,
  authFailureBurst: 10,
  authFailuresPerMinutePerAddress: 60,
  authFailuresPerMinutePerAccount: 60,
  maxAuthDelayMs: 10_000,
  maxConnectionsPerAddress: 100,
  negotiationTimeoutMs: 60_000,
  idleTimeoutMs: 300_000,
  pingTimeoutMs: 60_000,
  maxOutputBytes: 8 * 1024 * 1024,
  maxSessionsPerAccount: 16,
  readBytesPerSecond: 262_144,
  maxRosterItems: 1000,
  maxOfflineMessages: 500,
  maxVcardBytes: 65_536,
  maxPepItemBytes: 65_536,
  resumptionTimeoutMs: 300_000,
  maxUnackedStanzas: 1000,
  maxUnackedBytes: 1024 * 1024,
  maxHeldStanzas: 256,
};

// RFC 6120 §13.12: a server must accept stanzas of at least 10,000 bytes.
const RANGES: Record<keyof ServerLimits, [number, number]> = {
  maxStanzaBytes: [10_000, 64 * 1024 * 1024],
  maxDepth: [4, 1024],
  maxAuthFailures: [1, 100],
  maxAuthErrors: [1, 1000],
  authFailureBurst: [1, 1_000_000],
  authFailuresPerMinutePerAddress: [0, 1_000_000],
  authFailuresPerMinutePerAccount: [0, 1_000_000],
  maxAuthDelayMs: [0, 600_000],
  maxConnectionsPerAddress: [1, 1_000_000],
  negotiationTimeoutMs: [10, 3_600_000],
  idleTimeoutMs: [10, 86_400_000],
  pingTimeoutMs: [10, 3_600_000],
  maxOutputBytes: [65_536, 1024 * 1024 * 1024],
  maxSessionsPerAccount: [1, 10_000],
  readBytesPerSecond: [0, 1_000_000_000],
  maxRosterItems: [1, 1_000_000],
  maxOfflineMessages: [0, 1_000_000],
  maxVcardBytes: [1024, 16 * 1024 * 1024],
  maxPepItemBytes: [1024, 16 * 1024 * 1024],
  resumptionTimeoutMs: [1000, 86_400_000],
  maxUnackedStanzas: [10, 1_000_000],
  maxUnackedBytes: [65_536, 1024 * 1024 * 1024],
  maxHeldStanzas: [1, 100_000],
};

/**
 * Types a configuration object; use it in a config file for editor help.
 *
 * @param config The configuration.
 * @returns The same object.
 * @example
 * ```ts
 * import { defineConfig } from "./config.ts";
 * const config = defineConfig({ domain: "example.com" });
 * if (config.domain !== "example.com") throw new Error();
 * ```
 */
export function defineConfig<T extends ServerConfig>(config: T): T {
  return config;
}

function checkType(value: unknown, type: string, what: string): void {
  if (value !== undefined && typeof value !== type) {
    throw new TypeError(`Cannot use ${what}: expected a ${type}, got ${typeof value}`);
  }
}

function resolveAdmins(admins: readonly string[] | undefined): string[] {
  if (admins !== undefined && !Array.isArray(admins)) {
    throw new TypeError("Cannot use admins: expected an array of JIDs");
  }
  return (admins ?? []).map((raw) => {
    checkType(raw, "string", "admins");
    const jid = tryParseJid(raw);
    if (!jid || !jid.local || jid.resource) {
      throw new TypeError(`Cannot use admin "${raw}": expected a bare JID user@domain`);
    }
    return parseJid(raw).bare;
  });
}

function resolveMuc(muc: ServerConfig["muc"]): MucOptions | false {
  if (muc === false || muc === undefined) return muc ?? {};
  if (typeof muc !== "object" || muc === null || Array.isArray(muc)) {
    throw new TypeError("Cannot use muc: expected an object or false");
  }
  checkType(muc.domain, "string", "muc.domain");
  checkType(muc.name, "string", "muc.name");
  return muc.domain === undefined ? muc : { ...muc, domain: prepDomain(muc.domain) };
}

/**
 * Validates a configuration and fills in defaults.
 *
 * @param config The configuration.
 * @returns The resolved configuration.
 * @throws {TypeError} When a value has the wrong type.
 * @throws {RangeError} When a value is out of range.
 * @example
 * ```ts
 * import { resolveConfig } from "./config.ts";
 * if (resolveConfig({}).domains[0] !== "localhost") throw new Error();
 * ```
 */
export function resolveConfig(config: ServerConfig): ResolvedConfig {
  checkType(config.domain, "string", "domain");
  checkType(config.requireTls, "boolean", "requireTls");
  checkType(config.builtinModules, "boolean", "builtinModules");
  checkType(config.scramIterations, "number", "scramIterations");
  checkType(config.registration?.enabled, "boolean", "registration.enabled");
  checkType(config.registration?.perIpIntervalMs, "number", "registration.perIpIntervalMs");
  checkType(config.registration?.invites, "boolean", "registration.invites");
  checkType(config.registration?.inviteUrl, "string", "registration.inviteUrl");
  const perIpIntervalMs = config.registration?.perIpIntervalMs ?? 60_000;
  if (!Number.isInteger(perIpIntervalMs) || perIpIntervalMs < 0 || perIpIntervalMs > 86_400_000) {
    throw new RangeError(
      `Cannot use registration.perIpIntervalMs ${perIpIntervalMs}: not in 0..86400000`,
    );
  }
  checkType(config.sasl2, "boolean", "sasl2");
  if (
    config.rosterProvider !== undefined && typeof config.rosterProvider?.contacts !== "function"
  ) {
    throw new TypeError("Cannot use rosterProvider: expected a contacts() function");
  }
  if (config.auth !== undefined && typeof config.auth?.exists !== "function") {
    throw new TypeError("Cannot use auth: expected a provider with an exists() function");
  }
  checkType(config.bind2ResourceSuffix, "boolean", "bind2ResourceSuffix");
  checkType(config.downgradeProtection, "boolean", "downgradeProtection");
  checkType(config.fast?.enabled, "boolean", "fast.enabled");
  checkType(config.fast?.tokenLifetimeMs, "number", "fast.tokenLifetimeMs");
  const tokenLifetimeMs = config.fast?.tokenLifetimeMs ?? 14 * 24 * 3600_000;
  if (
    !Number.isInteger(tokenLifetimeMs) || tokenLifetimeMs < 60_000 ||
    tokenLifetimeMs > 365 * 24 * 3600_000
  ) {
    throw new RangeError(
      `Cannot use fast.tokenLifetimeMs ${tokenLifetimeMs}: not in 60000..31536000000`,
    );
  }
  if (config.domains !== undefined && !Array.isArray(config.domains)) {
    throw new TypeError("Cannot use domains: expected an array of strings");
  }
  checkType(config.guests?.domain, "string", "guests.domain");
  const guestDomain = config.guests ? prepDomain(config.guests.domain) : undefined;
  const domains = [
    config.domain ?? "localhost",
    ...(config.domains ?? []),
    ...(guestDomain ? [guestDomain] : []),
  ].map((d) => {
    checkType(d, "string", "domains");
    return prepDomain(d);
  });
  const limits: Record<string, number> = { ...DEFAULT_LIMITS };
  for (const [key, value] of Object.entries(config.limits ?? {})) {
    const range = RANGES[key as keyof ServerLimits];
    if (!range) throw new TypeError(`Cannot use limit "${key}": unknown`);
    checkType(value, "number", `limit "${key}"`);
    if (!Number.isInteger(value) || value < range[0] || value > range[1]) {
      throw new RangeError(`Cannot use limit "${key}" = ${value}: not in ${range[0]}..${range[1]}`);
    }
    limits[key] = value as number;
  }
  const iterations = config.scramIterations ?? 4096;
  if (!Number.isInteger(iterations) || iterations < 4096 || iterations > 1_000_000) {
    throw new RangeError(`Cannot use scramIterations ${iterations}: not in 4096..1000000`);
  }
  for (const user of config.users ?? []) {
    if (typeof user?.jid !== "string" || typeof user?.password !== "string") {
      throw new TypeError("Cannot use users: each needs a string jid and password");
    }
  }
  return {
    admins: resolveAdmins(config.admins),
    muc: resolveMuc(config.muc),
    domains: [...new Set(domains)],
    limits: limits as Required<ServerLimits>,
    requireTls: config.requireTls ?? true,
    scramIterations: iterations,
    builtinModules: config.builtinModules ?? true,
    software: config.software ?? { name: "Parley", version: VERSION },
    registration: {
      enabled: config.registration?.enabled ?? false,
      perIpIntervalMs,
      invites: config.registration?.invites ?? false,
      ...(config.registration?.inviteUrl ? { inviteUrl: config.registration.inviteUrl } : {}),
    },
    sasl2: config.sasl2 ?? true,
    bind2ResourceSuffix: config.bind2ResourceSuffix ?? true,
    downgradeProtection: config.downgradeProtection ?? true,
    fast: { enabled: config.fast?.enabled ?? true, tokenLifetimeMs },
    ...(guestDomain ? { guestDomain } : {}),
  };
}

/**
 * The client connections of a server: each transport's negotiation settings, the effects
 * negotiation needs (credentials, binding, registration), and the set of open connections.
 *
 * @module
 */
import type { Logger } from "../base/logger.ts";
import { StanzaError } from "../base/stanza_error.ts";
import { StreamError } from "../base/stream_error.ts";
import type { ByteStream } from "../base/transport.ts";
import { type BareJid, fullJid, prepResource } from "../jid/jid.ts";
import type { Router } from "../router/router.ts";
import type { Storage } from "../storage/storage.ts";
import { Connection, type ConnectionHost } from "../stream/connection.ts";
import { type Framing, streamFraming } from "../stream/framing.ts";
import type { NegotiationEnv } from "../stream/negotiation.ts";
import type { FastTokenAuthority } from "../stream/negotiation_types.ts";
import type { Identity } from "./auth_provider.ts";
import { postAuthFeatures } from "../stream/features.ts";
import type { Element } from "../xml/element.ts";
import type { Bind2Handler, Sasl2Handler } from "../module/module_api.ts";
import { performSasl2Inline, type Sasl2InlineDeps } from "./sasl2_inline.ts";
import type { ResolvedConfig } from "./config.ts";
import type { SessionHub } from "./session_hub.ts";
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

/** What the connections are served with. */
export interface ConnectionsDeps {
  /** The validated configuration. */
  readonly config: ResolvedConfig;
  /** Accounts' credentials. */
  readonly storage: Storage;
  /** Sessions. */
  readonly hub: SessionHub;
  /** To count an account's sessions at binding. */
  readonly router: Router;
  /** The logger. */
  readonly logger: Logger;
  /** Stream features modules offer after authentication. */
  readonly postAuthFeatures: ConnectionHost["negotiation"]["postAuthFeatures"];
  /** In-band registration, when enabled. */
  readonly register?: NegotiationEnv["register"];
  /** Checks invitation tokens (XEP-0445), when invitations are taken. */
  readonly preauth?: NegotiationEnv["preauth"];
  /** XEP-0388 SASL2 and XEP-0386 Bind 2, with the modules' inline features; off without. */
  readonly sasl2?: {
    /** SASL2 inline features (live). */
    readonly features: readonly Element[];
    /** Bind 2 inline namespaces (live). */
    readonly bind2Vars: readonly string[];
    /** SASL2 inline handlers (live). */
    readonly sasl2: readonly { readonly feature: Element; readonly handler: Sasl2Handler }[];
    /** Bind 2 inline handlers (live). */
    readonly bind2: readonly { readonly xmlns: string; readonly handler: Bind2Handler }[];
  };
  /** XEP-0484 FAST tokens. */
  readonly fast?: FastTokenAuthority;
  /** Accounts: the store and the application's users (#15); default the store alone. */
  readonly identity?: Identity;
  /** New unique ids. */
  randomId(): string;
}

/** The open client connections of a server. */
export class Connections {
  readonly #deps: ConnectionsDeps;
  readonly #open = new Set<Connection>();
  readonly #env: NegotiationEnv;
  // Stable fake SCRAM salts for unknown users for the life of the process.
  readonly #fakeSaltKey = crypto.getRandomValues(new Uint8Array(32));
  readonly #perAddress: ConnectionLimiter;
  readonly #refusals = new FloodMeter();
  readonly #hosts = new Map<number, ConnectionHost>();
  #closing = false;

  /**
   * @param deps What the connections are served with.
   */
  constructor(deps: ConnectionsDeps) {
    this.#deps = deps;
    const { storage, config, router } = deps;
    const limits = config.limits;
    // #10 item 6: password guessing waits per address and account; connections per address.
    const throttle = createAuthThrottle({
      burst: limits.authFailureBurst,
      perAddressPerMinute: limits.authFailuresPerMinutePerAddress,
      perAccountPerMinute: limits.authFailuresPerMinutePerAccount,
      maxDelayMs: limits.maxAuthDelayMs,
    });
    this.#perAddress = new ConnectionLimiter(limits.maxConnectionsPerAddress);
    this.#env = {
      getCredentials: (jid) =>
        deps.identity ? deps.identity.getCredentials(jid) : storage.accounts.getCredentials(jid),
      verifyPassword: deps.identity?.verifyPassword,
      verifyToken: deps.identity?.verifyToken,
      async bind(jid: BareJid, resource: string | undefined) {
        const sessions = await router.sessions(jid);
        const full = fullJid(
          jid,
          resource === undefined ? deps.randomId() : prepResource(resource),
        );
        // RFC 6120 §7.6.2.1: too many sessions. A session replacing its own JID does not count.
        if (
          sessions.length >= config.limits.maxSessionsPerAccount &&
          !sessions.some((s) => s.jid === full)
        ) {
          throw new StanzaError("resource-constraint", "wait", "Too many sessions");
        }
        return full;
      },
      randomBytes: (n) => crypto.getRandomValues(new Uint8Array(n)),
      randomId: () => deps.randomId(),
      register: deps.register,
      preauth: deps.preauth,
      throttle,
      fast: deps.fast,
    };
  }

  /** How many connections are open, negotiating or bound. */
  get size(): number {
    return this.#open.size;
  }

  /**
   * Serves one connection until it ends.
   *
   * @param stream The transport.
   * @param options How to serve it.
   */
  handle(stream: ByteStream, options: ConnectionOptions = {}): Promise<void> {
    const { config, logger } = this.#deps;
    const framing = options.framing ?? streamFraming;
    // #10 item 6: at most maxConnectionsPerAddress at once from one address.
    const address = stream.info.remoteAddress;
    if (!this.#perAddress.acquire(address)) {
      const level = this.#refusals.note(address ?? "", Date.now());
      logger[level]("Connection refused: too many from one address", {
        remoteAddress: address,
        max: config.limits.maxConnectionsPerAddress,
      });
      const error = new StreamError("policy-violation", "Too many connections from your address");
      return refuseConnection(stream, framing, config.domains[0], error);
    }
    let conn: Connection;
    try {
      conn = new Connection(stream, this.#host(stream, options), framing);
    } catch (e) {
      this.#perAddress.release(address);
      return Promise.reject(e);
    }
    // Not async itself: while the connection runs, nothing here holds the stream it started
    // with (after STARTTLS, the connection holds only the TLS one).
    return this.#serve(conn, address);
  }

  async #serve(conn: Connection, address: string | undefined): Promise<void> {
    try {
      if (this.#closing) {
        await conn.close(new StreamError("system-shutdown"));
        return;
      }
      this.#open.add(conn);
      try {
        await conn.run();
      } finally {
        this.#open.delete(conn);
      }
    } finally {
      this.#perAddress.release(address);
    }
  }

  /** Closes every connection with `<system-shutdown/>`; new ones are refused from now on. */
  async closeAll(): Promise<void> {
    this.#closing = true;
    await Promise.allSettled(
      [...this.#open].map((c) => (c.session ?? c).close(new StreamError("system-shutdown"))),
    );
  }

  /**
   * The host of a connection: one object per kind of connection (the options and whether
   * the transport can start TLS), shared by all of them rather than built per connection.
   */
  #host(stream: ByteStream, options: ConnectionOptions): ConnectionHost {
    const requireTls = options.requireTls ?? this.#deps.config.requireTls;
    const canStartTls = stream.startTls !== undefined;
    const allowPlainWithoutTls = options.allowPlainWithoutTls ?? false;
    const key = (requireTls ? 4 : 0) + (canStartTls ? 2 : 0) + (allowPlainWithoutTls ? 1 : 0);
    let host = this.#hosts.get(key);
    if (!host) {
      host = this.#newHost(requireTls, canStartTls, allowPlainWithoutTls);
      this.#hosts.set(key, host);
    }
    return host;
  }

  #newHost(
    requireTls: boolean,
    canStartTls: boolean,
    allowPlainWithoutTls: boolean,
  ): ConnectionHost {
    const { config, hub, logger } = this.#deps;
    return {
      domain: config.domains[0],
      limits: config.limits,
      logger,
      env: this.#env,
      negotiation: {
        domains: config.domains,
        requireTls,
        canStartTls,
        allowPlainWithoutTls,
        maxAuthFailures: config.limits.maxAuthFailures,
        maxAuthErrors: config.limits.maxAuthErrors,
        postAuthFeatures: this.#deps.postAuthFeatures,
        fakeSaltKey: this.#fakeSaltKey,
        registration: config.registration.enabled,
        invites: config.registration.invites,
        oauthBearer: this.#deps.identity?.verifyToken !== undefined,
        guestDomain: config.guestDomain,
        downgradeProtection: config.downgradeProtection,
        sasl2: this.#deps.sasl2
          ? { inline: this.#deps.sasl2.features, bind2: this.#deps.sasl2.bind2Vars }
          : undefined,
      },
      bind: (conn, jid, mechanism) => hub.bind(conn, jid, mechanism),
      delegate: (conn, element) => hub.delegate(conn, element),
      sasl2Inline: (conn, request) => performSasl2Inline(this.#inlineDeps(), conn, request),
    };
  }

  #inlineDeps(): Sasl2InlineDeps {
    const { hub, logger } = this.#deps;
    const sasl2 = this.#deps.sasl2;
    return {
      sasl2: sasl2?.sasl2 ?? [],
      bind2: sasl2?.bind2 ?? [],
      resolve: (jid, resource) => this.#env.bind(jid, resource),
      attach: (conn, jid, mechanism) => hub.bind(conn, jid, mechanism),
      handle: (conn) => hub.streamHandle(conn),
      features: () =>
        postAuthFeatures({
          requireTls: false,
          canStartTls: false,
          postAuthFeatures: this.#deps.postAuthFeatures,
        }),
      randomId: () => this.#deps.randomId(),
      suffix: this.#deps.config.bind2ResourceSuffix,
      logger,
    };
  }
}

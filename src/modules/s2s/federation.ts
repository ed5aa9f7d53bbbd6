/**
 * Federation (RFC 6120 server-to-server, XEP-0220 dialback): the remote router that takes
 * stanzas for other domains, queues them while a stream to the domain is set up and bounces
 * them when it cannot be, and the entry point for incoming streams.
 *
 * @module
 */
import type { ByteStream } from "../../base/transport.ts";
import type { StanzaEvent } from "../../hooks/server_hooks.ts";
import type { ModuleApi, XmppModule } from "../../module/module_api.ts";
import type { RemoteRouter } from "../../router/domains.ts";
import type { Element } from "../../xml/element.ts";
import { undeliverableError } from "./checks.ts";
import { RemotePresence } from "./remote_presence.ts";
import { IncomingStream } from "./incoming.ts";
import {
  type OutgoingDeps,
  type OutgoingFailure,
  OutgoingStream,
  type S2sConnector,
} from "./outgoing.ts";
import type { PipeLimits } from "./xml_pipe.ts";
import { type GcraRate, gcraReserve } from "../../util/gcra.ts";

export type { S2sConnector };

/** Options of {@linkcode federation}. */
export interface FederationOptions {
  /**
   * The deployment's dialback secret (XEP-0185): every node of a deployment must share it.
   * Keep it out of logs.
   */
  readonly secret: string;
  /** Opens connections to remote domains (the Deno TCP adapter's `s2sConnector`). */
  readonly connector: S2sConnector;
  /** Whether s2s streams must be encrypted with STARTTLS; default true. */
  readonly requireTls?: boolean;
  /**
   * Time to connect to a remote domain, negotiate and authenticate, and for an incoming
   * stream to authenticate; stanzas queued longer bounce with `remote-server-timeout`.
   * Default 30,000 ms.
   */
  readonly connectTimeoutMs?: number;
  /** Silence after which an s2s stream is closed; default 600,000 ms. */
  readonly idleTimeoutMs?: number;
  /** Parser limits of s2s streams; default 256 KiB stanzas, depth 32. */
  readonly limits?: PipeLimits;
  /**
   * Stanzas one remote domain may send, over all its streams: beyond the burst, reading its
   * streams waits (TCP flow control slows it down). Default 60,000 a minute, burst 1000.
   */
  readonly rate?: GcraRate;
  /**
   * XEP-0288 bidirectional streams: offered on incoming streams and asked for on outgoing
   * ones, so that one connection carries both directions; default true.
   */
  readonly bidi?: boolean;
  /** Incoming streams one remote domain may have at once; more get `<policy-violation/>`. Default 8. */
  readonly maxStreamsPerDomain?: number;
}

/** The federation module, with the entry point for its listener. */
export interface Federation extends XmppModule {
  /**
   * Serves one incoming s2s connection until it ends. Never throws.
   *
   * @param stream The connection (with `startTls()` for STARTTLS).
   */
  accept(stream: ByteStream): Promise<void>;
  /** The outgoing streams, as "local remote" pairs (for tests and status). */
  outgoing(): string[];
}

class Remotes implements RemoteRouter {
  readonly #api: ModuleApi;
  readonly #deps: OutgoingDeps;
  readonly #out = new Map<string, OutgoingStream>();
  readonly #in = new Set<IncomingStream>();
  readonly #runs = new Set<Promise<void>>();
  readonly #options: FederationOptions;
  /** Per remote domain: the GCRA state of its stanza rate, and its incoming streams. */
  readonly #tat = new Map<string, number>();
  readonly #streams = new Map<string, Set<IncomingStream>>();
  readonly #seen = new RemotePresence();
  /** XEP-0288: incoming bidirectional streams by the pair they carry back ("local remote"). */
  readonly #back = new Map<string, IncomingStream>();

  constructor(api: ModuleApi, options: FederationOptions) {
    this.#api = api;
    this.#options = options;
    this.#deps = {
      secret: options.secret,
      connector: options.connector,
      limits: options.limits ?? { maxStanzaBytes: 262_144, maxDepth: 32 },
      logger: api.logger,
      requireTls: options.requireTls ?? true,
      connectTimeoutMs: options.connectTimeoutMs ?? 30_000,
      idleTimeoutMs: options.idleTimeoutMs ?? 600_000,
      routeBack: options.bidi === false ? undefined : (stanza) => {
        this.#seen.note(stanza);
        return api.router.route(stanza);
      },
    };
  }

  route(ev: StanzaEvent): Promise<void> {
    const key = `${ev.from.domain} ${ev.to.domain}`;
    // XEP-0288: the peer's bidirectional stream carries our stanzas back.
    const back = this.#back.get(key);
    if (back && !back.done) back.send(ev.stanza);
    else this.#stream(ev.from.domain, ev.to.domain).send(ev.stanza);
    return Promise.resolve();
  }

  /** The stream from a local domain to a remote one, opened when there is none. */
  #stream(local: string, remote: string): OutgoingStream {
    const key = `${local} ${remote}`;
    const existing = this.#out.get(key);
    if (existing && !existing.done) return existing;
    const out = new OutgoingStream(this.#deps, local, remote);
    out.onEnd = (unsent, why) => {
      if (this.#out.get(key) === out) this.#out.delete(key);
      void this.#bounce(unsent, why);
    };
    this.#out.set(key, out);
    this.#track(out.run());
    return out;
  }

  async #bounce(stanzas: Element[], why: OutgoingFailure): Promise<void> {
    for (const stanza of stanzas) {
      const error = undeliverableError(stanza, why);
      if (error) await this.#api.router.bounce(stanza, error).catch(() => {});
    }
  }

  #track(run: Promise<void>): Promise<void> {
    this.#runs.add(run);
    return run.finally(() => this.#runs.delete(run));
  }

  /** #14 item 7: a remote domain's stanzas wait beyond its rate. */
  #throttle(domain: string): Promise<void> {
    const rate = this.#options.rate ?? { burst: 1000, perMinute: 60_000 };
    const now = Date.now();
    const slot = gcraReserve(this.#tat.get(domain), rate, now);
    this.#tat.set(domain, slot.tat);
    if (this.#tat.size > 10_000) {
      for (const [d, tat] of this.#tat) if (tat <= now) this.#tat.delete(d);
    }
    if (slot.delayMs <= 0) return Promise.resolve();
    return new Promise((resolve) => setTimeout(resolve, slot.delayMs));
  }

  #admit(domain: string, stream: IncomingStream): boolean {
    const streams = this.#streams.get(domain) ?? new Set();
    if (!streams.has(stream) && streams.size >= (this.#options.maxStreamsPerDomain ?? 8)) {
      return false;
    }
    streams.add(stream);
    this.#streams.set(domain, streams);
    return true;
  }

  /**
   * RFC 6121 §4.5.2 in spirit: a remote server whose last stream broke took its users'
   * sessions with it; local users who had their presence get it as unavailable.
   */
  async #gone(stream: IncomingStream): Promise<void> {
    for (const pair of stream.pairs) {
      const domain = pair.slice(0, pair.indexOf(" "));
      if (this.#streams.has(domain)) continue; // another stream of the domain lives
      for (const stanza of this.#seen.forgetDomain(domain)) {
        await this.#api.router.route(stanza);
      }
    }
  }

  #forget(stream: IncomingStream): void {
    for (const [key, s] of this.#back) if (s === stream) this.#back.delete(key);
    for (const [domain, streams] of this.#streams) {
      if (streams.delete(stream) && streams.size === 0) this.#streams.delete(domain);
    }
  }

  accept(stream: ByteStream): Promise<void> {
    const api = this.#api;
    const incoming = new IncomingStream({
      ...this.#deps,
      domain: api.domain,
      // Hosted and component domains are ours to authenticate and to receive for.
      isLocal: (d) => api.domainKind(d) !== "remote",
      randomId: () => api.randomId(),
      verify: (receiving, originating, id, key) =>
        this.#stream(receiving, originating).verify(id, key),
      route: (stanza) => {
        this.#seen.note(stanza);
        return api.router.route(stanza);
      },
      throttle: (domain) => this.#throttle(domain),
      reverse: this.#options.bidi === false
        ? undefined
        : (local, remote, s) => void this.#back.set(`${local} ${remote}`, s),
      admit: (domain, s) => this.#admit(domain, s),
    }, stream);
    this.#in.add(incoming);
    return this.#track(
      incoming.run().finally(() => {
        this.#in.delete(incoming);
        this.#forget(incoming);
        if (incoming.peerGone) void this.#gone(incoming).catch(() => {});
      }),
    );
  }

  outgoing(): string[] {
    return [...this.#out.keys()];
  }

  async close(): Promise<void> {
    await Promise.allSettled([...this.#in].map((s) => s.stop()));
    await Promise.allSettled([...this.#out.values()].map((s) => s.close()));
    await Promise.allSettled([...this.#runs]);
  }
}

/**
 * The federation module: load it into the server and hand it the connections of the s2s port
 * (the Deno TCP adapter's `s2sTransport` does). Stanzas to domains that are neither hosted nor
 * components then go to their servers.
 *
 * @param options The dialback secret, the connector and the timeouts.
 * @returns The module.
 * @example
 * ```ts
 * import { createServer } from "../../server/server.ts";
 * import { federation } from "./federation.ts";
 * const connector = { connect: () => Promise.reject(new Error("offline")) };
 * const s2s = federation({ secret: "s3cr3t", connector });
 * const server = await createServer({ modules: [s2s] });
 * await server.close();
 * ```
 */
export function federation(options: FederationOptions): Federation {
  let remotes: Remotes | undefined;
  return {
    name: "federation",
    specs: ["RFC 6120", "XEP-0220", "XEP-0185"],
    setup(api) {
      const r = new Remotes(api, options);
      remotes = r;
      api.remote(r);
      api.onUnload(async () => {
        remotes = undefined;
        await r.close();
      });
    },
    accept(stream) {
      return remotes ? remotes.accept(stream) : stream.close();
    },
    outgoing() {
      return remotes?.outgoing() ?? [];
    },
  };
}

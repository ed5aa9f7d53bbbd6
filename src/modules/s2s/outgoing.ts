/**
 * An outgoing server-to-server stream (RFC 6120 §4, §5; XEP-0220): connects to the remote
 * domain, negotiates STARTTLS, authenticates our domain with dialback, then writes the queued
 * stanzas and whatever comes next. It also carries `<db:verify/>` requests for incoming
 * streams from that domain.
 *
 * @module
 */
import type { Logger } from "../../base/logger.ts";
import type { ByteStream } from "../../base/transport.ts";
import { child, type Element, text, xml } from "../../xml/element.ts";
import { toBase64 } from "../../util/base64.ts";
import { NS } from "../../xml/ns.ts";
import { dialbackElement, inboundStanzaError, pairKey } from "./checks.ts";
import { dialbackKey } from "./dialback.ts";
import { timed, TimeoutError } from "./timed.ts";
import { type PipeLimits, renamespace, XmlPipe } from "./xml_pipe.ts";

const encoder = new TextEncoder();

/** Opens connections to remote domains (the adapter: DNS SRV, static routes, TCP, TLS). */
export interface S2sConnector {
  /**
   * Connects to the server of a domain. The stream's `startTls()` (client side) upgrades it.
   *
   * @throws {Error} When no address of the domain answers.
   */
  connect(domain: string): Promise<ByteStream>;
}

/** What an outgoing stream needs. */
export interface OutgoingDeps {
  readonly secret: string;
  readonly connector: S2sConnector;
  readonly limits: PipeLimits;
  readonly logger: Logger;
  /** Whether TLS is required (default on). */
  readonly requireTls: boolean;
  /** Time to connect, negotiate and authenticate. */
  readonly connectTimeoutMs: number;
  /** Silence after which the stream is closed. */
  readonly idleTimeoutMs: number;
  /**
   * XEP-0288: routes a stanza the peer sent back over this stream (in `jabber:client`); set,
   * bidirectional streams are asked for when the peer offers them.
   */
  readonly routeBack?: (stanza: Element) => Promise<void>;
}

/** Why an outgoing stream failed, for the stanzas it held. */
export type OutgoingFailure = "remote-server-not-found" | "remote-server-timeout";

/** One outgoing stream from a local domain to a remote one. */
export class OutgoingStream {
  readonly local: string;
  readonly remote: string;
  readonly #deps: OutgoingDeps;
  #pipe: XmlPipe | undefined;
  #queue: Element[] = [];
  #ready = false;
  #done = false;
  #idle: ReturnType<typeof setTimeout> | undefined;
  readonly #negotiated = Promise.withResolvers<void>();
  readonly #authenticated = Promise.withResolvers<string>();
  readonly #verifies = new Map<string, (valid: boolean) => void>();
  /** Called once with the stanzas never sent and why, when the stream ends. */
  onEnd: (unsent: Element[], why: OutgoingFailure) => void = () => {};

  /**
   * @param deps What it needs.
   * @param local Our domain (originating).
   * @param remote The peer's domain (receiving).
   */
  constructor(deps: OutgoingDeps, local: string, remote: string) {
    this.#deps = deps;
    this.local = local;
    this.remote = remote;
    this.#negotiated.promise.catch(() => {});
    this.#authenticated.promise.catch(() => {});
  }

  /** Whether it ended. */
  get done(): boolean {
    return this.#done;
  }

  /** Sends a stanza, or queues it until the stream is authenticated. */
  send(stanza: Element): void {
    if (this.#ready && this.#pipe) {
      this.#touch();
      void this.#pipe.send(stanza);
    } else this.#queue.push(stanza);
  }

  /**
   * Asks the peer (authoritative for its domain) whether a dialback key is valid (XEP-0220
   * §2.2): `<db:verify from=local to=remote id=streamId>key</db:verify>`.
   *
   * @returns Whether the peer says it is valid.
   */
  async verify(streamId: string, key: string): Promise<boolean> {
    await this.#negotiated.promise;
    const { promise, resolve } = Promise.withResolvers<boolean>();
    this.#verifies.set(streamId, resolve);
    this.#touch();
    await this.#pipe!.send(
      dialbackElement("verify", { from: this.local, to: this.remote, id: streamId }, key),
    );
    return timed(promise, this.#deps.connectTimeoutMs, "dialback verification")
      .finally(() => this.#verifies.delete(streamId));
  }

  /** Runs the stream to its end. Never throws. */
  async run(): Promise<void> {
    let why: OutgoingFailure = "remote-server-not-found";
    try {
      await timed(this.#connect(), this.#deps.connectTimeoutMs, "s2s connection");
      const reading = this.#read();
      const streamId = await timed(
        this.#authenticate(),
        this.#deps.connectTimeoutMs,
        "dialback",
      );
      this.#deps.logger.info("s2s stream authenticated", {
        local: this.local,
        remote: this.remote,
        streamId,
      });
      this.#ready = true;
      const queued = this.#queue;
      this.#queue = [];
      for (const stanza of queued) await this.#pipe!.send(stanza);
      this.#touch();
      await reading;
    } catch (e) {
      if (e instanceof TimeoutError) why = "remote-server-timeout";
      this.#deps.logger.info("s2s stream failed", {
        local: this.local,
        remote: this.remote,
        error: e instanceof Error ? e.message : String(e),
      });
    } finally {
      this.#done = true;
      this.#ready = false;
      this.#negotiated.reject(new Error("The s2s stream ended"));
      for (const resolve of this.#verifies.values()) resolve(false);
      const unsent = this.#queue;
      this.#queue = [];
      // Bounced at once: closing may wait for a silent peer's socket.
      this.onEnd(unsent, why);
      await this.close();
    }
  }

  /** Closes the stream. */
  async close(): Promise<void> {
    this.#done = true;
    this.#ready = false;
    clearTimeout(this.#idle);
    await this.#pipe?.close();
  }

  #touch(): void {
    clearTimeout(this.#idle);
    this.#idle = setTimeout(() => void this.close(), this.#deps.idleTimeoutMs);
  }

  /** RFC 6120 §4.2, §5.4: stream header, STARTTLS and the restart; resolves with the stream id. */
  async #connect(): Promise<void> {
    const pipe = new XmlPipe(
      await this.#deps.connector.connect(this.remote),
      NS.SERVER,
      this.#deps.limits,
    );
    this.#pipe = pipe;
    for (;;) {
      await pipe.open({ from: this.local, to: this.remote, version: "1.0" });
      const open = await pipe.next();
      if (open?.kind !== "open") throw new Error("The peer sent no stream header");
      this.#streamId = open.header.attrs.id ?? "";
      if (open.header.attrs.version !== "1.0") break; // XEP-0220 §2.1: legacy, no features
      const ev = await pipe.next();
      if (ev?.kind !== "element" || ev.element.name !== "features") {
        throw new Error("The peer sent no stream features");
      }
      if (pipe.info.secure && !this.#external && await this.#tryExternal(ev.element)) {
        continue; // RFC 6120 §6.4.6: a new stream after SASL success
      }
      // XEP-0288 §3: ask for a bidirectional stream before authenticating.
      if (this.#deps.routeBack && pipe.info.secure && child(ev.element, "bidi", NS.BIDI_FEATURE)) {
        await pipe.send(xml("bidi", { xmlns: NS.BIDI }));
        this.#bidi = true;
      }
      const starttls = child(ev.element, "starttls", NS.TLS);
      if (starttls && !pipe.info.secure && pipe.canStartTls) {
        await pipe.send(xml("starttls", { xmlns: NS.TLS }));
        const answer = await pipe.next();
        if (answer?.kind !== "element" || answer.element.name !== "proceed") {
          throw new Error("The peer refused STARTTLS");
        }
        await pipe.startTls();
        continue;
      }
      break;
    }
    if (this.#deps.requireTls && !pipe.info.secure) {
      throw new Error("The peer offers no TLS");
    }
    this.#negotiated.resolve();
  }

  #streamId = "";
  /** Whether SASL EXTERNAL (XEP-0178) authenticated the stream. */
  #external = false;
  /** Whether the stream is bidirectional (XEP-0288). */
  #bidi = false;

  /**
   * XEP-0178 §3: when the peer offers SASL EXTERNAL (it trusts our certificate), authenticate
   * as our domain; `true` on success. On failure, dialback remains.
   */
  async #tryExternal(features: Element): Promise<boolean> {
    const mechanisms = child(features, "mechanisms", NS.SASL);
    const offered = mechanisms?.children.some((m) =>
      typeof m !== "string" && m.name === "mechanism" && text(m).trim() === "EXTERNAL"
    );
    if (!offered) return false;
    const pipe = this.#pipe!;
    await pipe.send(
      xml("auth", { xmlns: NS.SASL, mechanism: "EXTERNAL" }, toBase64(encoder.encode(this.local))),
    );
    const answer = await pipe.next();
    if (answer?.kind !== "element" || answer.element.xmlns !== NS.SASL) {
      throw new Error("The peer did not answer SASL EXTERNAL");
    }
    if (answer.element.name !== "success") return false;
    this.#external = true;
    pipe.restart();
    return true;
  }

  /** XEP-0220 §2.1: `<db:result/>` with our key; resolves with the stream id once valid. */
  async #authenticate(): Promise<string> {
    if (this.#external) return this.#streamId;
    const key = await dialbackKey(this.#deps.secret, this.remote, this.local, this.#streamId);
    await this.#pipe!.send(dialbackElement("result", { from: this.local, to: this.remote }, key));
    return this.#authenticated.promise;
  }

  /** Reads answers: dialback results and verifications, stream errors, the end. */
  async #read(): Promise<void> {
    try {
      await this.#readLoop();
    } catch {
      // A parse error or the transport gone: the stream ends.
    }
    this.#authenticated.reject(new Error("The s2s stream closed"));
  }

  async #readLoop(): Promise<void> {
    const pipe = this.#pipe!;
    for (;;) {
      const ev = await pipe.next();
      if (!ev || ev.kind === "close") break;
      if (ev.kind !== "element") continue;
      this.#touch();
      const el = ev.element;
      if (el.xmlns === NS.DIALBACK && el.name === "result") {
        if (el.attrs.type === "valid") this.#authenticated.resolve(this.#streamId);
        else this.#authenticated.reject(new Error(`Dialback failed: ${el.attrs.type}`));
      } else if (el.xmlns === NS.DIALBACK && el.name === "verify") {
        this.#verifies.get(el.attrs.id ?? "")?.(el.attrs.type === "valid");
      } else if (el.xmlns === NS.STREAM && el.name === "error") {
        break;
      } else if (this.#bidi && this.#ready) {
        await this.#back(el);
      }
      // Anything else on a one-way stream is not ours to take: ignored.
    }
  }

  /** XEP-0288 §4: a stanza from the peer, for the one pair this stream is authenticated for. */
  async #back(el: Element): Promise<void> {
    if (inboundStanzaError(el, new Set([pairKey(this.remote, this.local)]))) {
      await this.#pipe!.fail("invalid-from");
      return;
    }
    await this.#deps.routeBack!(renamespace(el, NS.SERVER, NS.CLIENT));
  }
}

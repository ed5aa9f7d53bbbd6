/**
 * A client connection from its first byte to its end: the thin shell that performs the I/O
 * decided by the pure negotiation functions, then hands stanzas to the server.
 *
 * @module
 */
import type { BareJid, FullJid } from "../jid/jid.ts";
import type { LocalSession } from "../router/local_session.ts";
import type { Logger } from "../server/logger.ts";
import { type Element, xml } from "../xml/element.ts";
import { RestrictedXmlError, XmlLimitError, XmlSyntaxError } from "../xml/errors.ts";
import { NS } from "../xml/ns.ts";
import { type StreamEvent, StreamParser } from "../xml/stream_parser.ts";
import type { ByteStream, TransportInfo } from "./byte_stream.ts";
import type { Framing } from "./framing.ts";
import {
  initialState,
  negotiate,
  type NegotiationConfig,
  type NegotiationEnv,
  type NegotiationInput,
  type NegotiationState,
} from "./negotiation.ts";
import { type Bucket, take } from "./rate_limit.ts";
import { receivedStreamError, StreamError } from "./stream_error.ts";
import { writeNegotiationLog } from "./negotiation_log.ts";

/** Limits and timeouts of one connection. */
export interface SessionLimits {
  /** Largest top-level element, in bytes (RFC 6120 §13.12: at least 10,000). */
  readonly maxStanzaBytes: number;
  /** Deepest element nesting. */
  readonly maxDepth: number;
  /** Time from the first byte until resource binding. */
  readonly negotiationTimeoutMs: number;
  /** Silence after which the server pings a bound client (XEP-0199). */
  readonly idleTimeoutMs: number;
  /** Time a pinged client has to send anything before connection-timeout. */
  readonly pingTimeoutMs: number;
  /** Bytes queued for a client that does not read, before the stream is closed. */
  readonly maxOutputBytes: number;
  /** Bytes per second a client may send (bursts up to {@linkcode READ_BURST_BYTES}); 0: off. */
  readonly readBytesPerSecond: number;
}

/** The burst of the read rate limit. */
export const READ_BURST_BYTES = 1024 * 1024;

/** What a session needs from its server. */
export interface SessionHost {
  /** The default domain, for stream headers written before the client named one. */
  readonly domain: string;
  /** Negotiation settings for this transport. */
  readonly negotiation: NegotiationConfig;
  /** Limits and timeouts. */
  readonly limits: SessionLimits;
  /** Where to log. */
  readonly logger: Logger;
  /** The effects negotiation needs (credentials, binding, randomness). */
  readonly env: NegotiationEnv;
  /** The session bound a resource: register it. */
  bound(session: ClientSession): Promise<void>;
  /** A top-level element from the bound client. */
  element(session: ClientSession, el: Element): Promise<void>;
  /** The session ended; `clean` when the client closed its stream itself. */
  closed(session: ClientSession, clean: boolean): Promise<void>;
}

type Action = "continue" | "restart" | "starttls" | "stop";

const encoder = new TextEncoder();

/** Maps a failure while reading to the stream error the peer gets (RFC 6120 §4.9.3). */
function toStreamError(e: unknown): StreamError | undefined {
  if (e instanceof StreamError) return e;
  if (e instanceof XmlLimitError) return new StreamError("policy-violation", e.message);
  if (e instanceof RestrictedXmlError) return new StreamError("restricted-xml");
  if (e instanceof XmlSyntaxError) return new StreamError("not-well-formed");
  return undefined;
}

/**
 * RFC 7395 §3.3.3: every WebSocket message is one complete element, parsable on its own. Two
 * elements, or part of one, make the message not a well-formed document: not-well-formed.
 */
function oneElement(parser: StreamParser, input: Uint8Array): StreamEvent[] {
  const events = [...parser.push(input)];
  const partial = parser.rest().some((b) => b !== 0x20 && b !== 0x09 && b !== 0x0a && b !== 0x0d);
  if (events.length > 1 || partial) {
    throw new StreamError(
      "not-well-formed",
      "A WebSocket message must hold exactly one complete element",
    );
  }
  return events;
}

// Writes of one event-loop turn leave together: the stanzas routed to a bound session while
// reads are processed (several in one chunk for the same recipient, a broadcast) become one
// socket write instead of one per stanza. One timer serves every session.
const flushQueue: (() => void)[] = [];
function flushAll(): void {
  for (const task of flushQueue.splice(0)) task();
}
function scheduleFlush(task: () => void): void {
  if (flushQueue.push(task) === 1) setTimeout(flushAll, 0);
}

/** One client connection. Once bound, it is the {@linkcode LocalSession} the router sees. */
export class ClientSession implements LocalSession {
  /** Unique id of the connection. */
  readonly id: string;
  /** The bound full JID (set at binding). */
  jid!: FullJid;
  /** The account (set at authentication). */
  bare!: BareJid;
  /** The bound resource (set at binding). */
  resource!: string;
  /** The SASL mechanism used (set at authentication). */
  mechanism?: string;
  /** Last available broadcast presence. */
  presence: Element | undefined;
  /** Priority of that presence. */
  priority = 0;
  /** Per-session module state. */
  readonly data: Map<string, unknown> = new Map();

  #stream: ByteStream;
  readonly #host: SessionHost;
  readonly #framing: Framing;
  #reader: ReadableStreamDefaultReader<Uint8Array>;
  #writer: WritableStreamDefaultWriter<Uint8Array>;
  #state: NegotiationState;
  #isBound = false;
  #headerSent = false;
  #closing: Promise<void> | undefined;
  #clean = false;
  #out: string[] = [];
  #scheduled = false;
  #inflight = 0;
  #lastWrite: Promise<void> = Promise.resolve();
  #timer: ReturnType<typeof setTimeout> | undefined;
  #started = Date.now();
  #lastRead = Date.now();
  #pingSent = 0;
  #writerGone = false;
  #bucket: Bucket = { tokens: READ_BURST_BYTES, at: Date.now() };
  readonly #flushTask = () => this.#flushNow();

  /**
   * @param stream The transport.
   * @param host The server side.
   * @param framing The wire format.
   */
  constructor(stream: ByteStream, host: SessionHost, framing: Framing) {
    this.#stream = stream;
    this.#host = host;
    this.#framing = framing;
    this.id = host.env.randomId();
    this.#reader = stream.readable.getReader();
    this.#writer = stream.writable.getWriter();
    this.#state = initialState(host.negotiation, stream.info);
  }

  /** Facts about the transport (updated by STARTTLS). */
  get info(): TransportInfo {
    return this.#stream.info;
  }

  /** Whether resource binding completed. */
  get isBound(): boolean {
    return this.#isBound;
  }

  /** Runs the connection to its end. Never throws. */
  async run(): Promise<void> {
    this.#schedule();
    try {
      await this.#loop();
    } catch (e) {
      const error = toStreamError(e);
      if (!error) {
        this.#host.logger.error("Session failed", {
          session: this.id,
          error: e instanceof Error ? e.message : String(e),
        });
      }
      await this.close(error ?? new StreamError("internal-server-error"));
    }
    await this.close();
  }

  /**
   * Writes a stanza to the client.
   *
   * @param stanza The stanza.
   */
  send(stanza: Element): void {
    this.#write(this.#framing.element(stanza));
  }

  /**
   * Ends the session: our header if not yet sent, the error if any, our stream end.
   *
   * @param error The stream error to send.
   * @returns When the transport is closed.
   */
  close(error?: StreamError): Promise<void> {
    this.#closing ??= this.#shutdown(error);
    return this.#closing;
  }

  async #shutdown(error: StreamError | undefined): Promise<void> {
    clearTimeout(this.#timer);
    // #9 item 5: say what failed (negotiation logs the errors it sends itself).
    const fields = { session: this.id, remoteAddress: this.info.remoteAddress };
    if (error) {
      this.#host.logger.info("Stream error sent", { ...fields, condition: error.condition });
    }
    this.#host.logger.info("Connection closed", {
      ...fields,
      bound: this.#isBound,
      clean: this.#clean,
    });
    this.#writeHeaderIfNeeded();
    if (error) this.#write(this.#framing.element(error.toElement()));
    this.#write(this.#framing.close());
    this.#flushNow();
    await Promise.race([this.#lastWrite, new Promise((r) => setTimeout(r, 1000))]).catch(() => {});
    try {
      await this.#reader.cancel();
    } catch { /* the transport is gone already */ }
    this.#writerGone = true;
    try {
      this.#writer.releaseLock();
    } catch { /* released already */ }
    await this.#stream.close().catch(() => {});
    if (this.#isBound) {
      try {
        await this.#host.closed(this, this.#clean);
      } catch (e) {
        this.#host.logger.error("Session end handling failed", {
          session: this.id,
          error: e instanceof Error ? e.message : String(e),
        });
      }
    }
  }

  #writeHeaderIfNeeded(): void {
    if (this.#headerSent) return;
    this.#headerSent = true;
    this.#write(this.#framing.open({
      from: this.#host.domain,
      id: this.id,
      version: "1.0",
      "xml:lang": "en",
    }));
  }

  #newParser(): StreamParser {
    const { maxStanzaBytes, maxDepth } = this.#host.limits;
    return new StreamParser({ maxStanzaBytes, maxDepth, framed: this.#framing.framed });
  }

  async #loop(): Promise<void> {
    let parser = this.#newParser();
    while (!this.#closing) {
      const { value, done } = await this.#reader.read();
      if (done || this.#closing) return;
      this.#lastRead = Date.now();
      this.#pingSent = 0;
      const rate = this.#host.limits.readBytesPerSecond;
      let delayMs = 0;
      if (rate > 0) {
        ({ bucket: this.#bucket, delayMs } = take(
          this.#bucket,
          value.length,
          this.#lastRead,
          rate,
          READ_BURST_BYTES,
        ));
      }
      let chunk: Uint8Array | undefined = value;
      while (chunk !== undefined && chunk.length > 0) {
        const input: Uint8Array = chunk;
        chunk = undefined;
        const events = this.#framing.oneElementPerChunk
          ? oneElement(parser, input)
          : parser.push(input);
        for (const raw of events) {
          // RFC 7395 §3.3.2, §3.6: framed <open/> and <close/> stand for the stream's ends.
          const ev = raw.kind === "element" && this.#framing.decode
            ? this.#framing.decode(raw.element)
            : raw;
          const action = await this.#event(ev);
          if (action === "stop" || this.#closing) return;
          if (action === "restart") {
            // RFC 6120 §6.4.6: bytes after <success/> belong to the new stream.
            chunk = parser.rest();
            parser = this.#newParser();
            break;
          }
          if (action === "starttls") {
            // RFC 6120 §5.4.3.3: discard the parser; nothing the client sent in the clear
            // after <starttls/> is parsed.
            parser = this.#newParser();
            if (await this.#upgrade() === "stop") return;
            break;
          }
        }
      }
      // Over its rate: read no more for a while, so TCP flow control slows the client down.
      if (delayMs > 0) await new Promise((resolve) => setTimeout(resolve, delayMs));
    }
  }

  async #event(ev: StreamEvent): Promise<Action> {
    if (this.#isBound) {
      // #9 item 5: RFC 6120 §4.9.1, a stream error from the peer ends the stream unanswered.
      const condition = ev.kind === "element" ? receivedStreamError(ev.element) : undefined;
      if (condition !== undefined) {
        this.#host.logger.info("Stream error received", {
          session: this.id,
          remoteAddress: this.info.remoteAddress,
          condition,
        });
        await this.close();
        return "stop";
      }
      if (ev.kind === "element") {
        await this.#host.element(this, ev.element);
        return "continue";
      }
      if (ev.kind === "close") {
        this.#clean = true;
        await this.close();
        return "stop";
      }
      throw new StreamError("not-well-formed", "Unexpected stream header");
    }
    const input: NegotiationInput = ev.kind === "open"
      ? { kind: "open", header: ev.header }
      : ev.kind === "element"
      ? { kind: "element", element: ev.element }
      : { kind: "close" };
    return await this.#negotiate(input);
  }

  async #negotiate(input: NegotiationInput): Promise<Action> {
    const step = await negotiate(this.#state, input, this.#host.env);
    this.#state = step.state;
    writeNegotiationLog(this.#host.logger, step.log, { session: this.id }); // #9 item 5
    for (const e of step.errors ?? []) {
      this.#host.logger.error("Negotiation step failed", {
        session: this.id,
        error: e instanceof Error ? e.message : String(e),
      });
    }
    let action: Action = "continue";
    for (const out of step.outputs) {
      if (out.kind === "open") {
        this.#headerSent = true;
        this.#write(this.#framing.open(out.attrs));
      } else if (out.kind === "element") {
        this.send(out.element);
      } else {
        // Our stream end goes out through close(), which writes it once.
        action = "stop";
      }
    }
    for (const effect of step.effects) {
      switch (effect.kind) {
        case "starttls":
          action = "starttls";
          break;
        case "restart":
          this.#headerSent = false;
          action = "restart";
          break;
        case "authenticated":
          this.bare = effect.jid;
          this.mechanism = effect.mechanism;
          break;
        case "bound":
          this.jid = effect.jid;
          this.resource = effect.jid.slice(effect.jid.indexOf("/") + 1);
          this.#isBound = true;
          await this.#host.bound(this);
          this.#schedule();
          break;
        case "disconnect":
          action = "stop";
          break;
        case "delegate":
          // Only offered post-auth features delegate, and no module offers one before bind yet.
          throw new StreamError("unsupported-stanza-type");
      }
    }
    if (action === "stop") {
      // The negotiation already wrote any error and our stream end is written by close().
      this.#headerSent = true;
      await this.close();
    }
    return action;
  }

  async #upgrade(): Promise<Action> {
    const startTls = this.#stream.startTls?.bind(this.#stream);
    if (!startTls) throw new StreamError("internal-server-error", "Transport cannot start TLS");
    this.#flushNow();
    await this.#lastWrite;
    this.#reader.releaseLock();
    this.#writer.releaseLock();
    try {
      this.#stream = await startTls();
    } catch (e) {
      this.#host.logger.info("TLS handshake failed", {
        session: this.id,
        remoteAddress: this.info.remoteAddress,
        error: e instanceof Error ? e.message : String(e),
      });
      this.#closing = Promise.resolve();
      clearTimeout(this.#timer);
      return "stop";
    }
    this.#reader = this.#stream.readable.getReader();
    this.#writer = this.#stream.writable.getWriter();
    this.#headerSent = false;
    return await this.#negotiate({ kind: "secured", info: this.#stream.info });
  }

  #write(data: string): void {
    if (this.#writerGone) return;
    this.#out.push(data);
    if (!this.#scheduled) {
      this.#scheduled = true;
      // Negotiation is ping-pong: answer at once. Once bound, batch with the rest of the turn.
      if (this.#isBound) scheduleFlush(this.#flushTask);
      else queueMicrotask(this.#flushTask);
    }
  }

  #flushNow(): void {
    this.#scheduled = false;
    if (this.#out.length === 0 || this.#writerGone) return;
    if (this.#framing.oneElementPerChunk && this.#out.length > 1) {
      // RFC 7395 §3.3.3: one element per WebSocket message, so one write per element.
      const parts = this.#out;
      for (const part of parts) {
        this.#out = [part];
        this.#flushNow();
      }
      return;
    }
    const bytes = encoder.encode(this.#out.length === 1 ? this.#out[0] : this.#out.join(""));
    this.#out = [];
    this.#inflight += bytes.length;
    this.#lastWrite = this.#writer.write(bytes).then(
      () => {
        this.#inflight -= bytes.length;
      },
      () => {
        this.#writerGone = true;
        this.#reader.cancel().catch(() => {});
      },
    );
    if (this.#inflight > this.#host.limits.maxOutputBytes && !this.#closing) {
      this.#inflight = 0;
      this.close(new StreamError("resource-constraint", "Client does not read its stream"));
    }
  }

  /** Arms the timer for the next deadline: negotiation, idle ping, or ping answer. */
  #schedule(): void {
    clearTimeout(this.#timer);
    if (this.#closing) return;
    const limits = this.#host.limits;
    const now = Date.now();
    let due: number;
    if (!this.#isBound) due = this.#started + limits.negotiationTimeoutMs;
    else if (this.#pingSent) due = this.#pingSent + limits.pingTimeoutMs;
    else due = this.#lastRead + limits.idleTimeoutMs;
    this.#timer = setTimeout(() => this.#tick(), Math.max(0, due - now));
  }

  #tick(): void {
    if (this.#closing) return;
    const limits = this.#host.limits;
    const now = Date.now();
    if (!this.#isBound) {
      if (now - this.#started >= limits.negotiationTimeoutMs) {
        this.close(new StreamError("connection-timeout"));
        return;
      }
    } else if (this.#pingSent && now - this.#pingSent >= limits.pingTimeoutMs) {
      this.close(new StreamError("connection-timeout"));
      return;
    } else if (!this.#pingSent && now - this.#lastRead >= limits.idleTimeoutMs) {
      // XEP-0199 §4.2: the server checks that an idle client is still there.
      this.#pingSent = now;
      this.send(xml(
        "iq",
        { xmlns: NS.CLIENT, type: "get", id: `ping-${now}`, to: this.jid, from: this.#host.domain },
        xml("ping", { xmlns: NS.PING }),
      ));
    }
    this.#schedule();
  }
}

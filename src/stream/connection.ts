/**
 * A client connection from its first byte to its end: the thin shell that reads and parses,
 * performs what the pure negotiation functions decide, and once a session is attached hands it
 * every top-level element; it writes what the session sends. The session itself
 * ({@linkcode ClientSession}) may outlive the connection (XEP-0198 hibernation).
 *
 * @module
 */
import type { Logger } from "../base/logger.ts";
import type { Session, StreamHandle } from "../base/session.ts";
import { StreamError } from "../base/stream_error.ts";
import type { ByteStream, TransportInfo } from "../base/transport.ts";
import type { BareJid, FullJid } from "../jid/jid.ts";
import { type Element, xml } from "../xml/element.ts";
import { RestrictedXmlError, XmlLimitError, XmlSyntaxError } from "../xml/errors.ts";
import { NS } from "../xml/ns.ts";
import { type StreamEvent, StreamParser } from "../xml/stream_parser.ts";
import type { Framing } from "./framing.ts";
import {
  initialState,
  negotiate,
  type NegotiationConfig,
  type NegotiationEnv,
  type NegotiationInput,
  type NegotiationState,
} from "./negotiation.ts";
import { OutputQueue } from "./output.ts";
import { type HeldChannel, holdChannel } from "./_channel.ts";
import { type Bucket, take } from "./rate_limit.ts";
import { writeNegotiationLog } from "./negotiation_log.ts";
import { receivedStreamError } from "../base/stream_error.ts";

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

/** The longest a sender waits for a slow reader's queue to drain, per stanza. */
export const DRAIN_WAIT_MS = 100;

/** How long a closing connection waits for its last writes to be taken. */
const FLUSH_GRACE_MS = 5000;

/** Processing time after which a connection lets the others run (a macrotask turn). */
const FAIR_SLICE_MS = 4;

/** What a connection needs from the session attached to it. */
export interface Attachment {
  /** The bound full JID (for the server's pings). */
  readonly jid: FullJid;
  /** The account. */
  readonly bare: BareJid;
  /** The session as routing and modules see it. */
  readonly session: Session;
  /** A top-level element from the client. */
  receive(conn: Connection, element: Element): Promise<void>;
  /** The client closed its stream (`</stream:stream>`): the session ends cleanly. */
  clientClosed(conn: Connection): Promise<void>;
  /**
   * The connection starts ending for a reason of its own (a stream error, a timeout, the
   * transport gone), not because the session closed: from now on it takes no stanza, and the
   * session decides whether it ends too (XEP-0198 may keep it).
   *
   * @param error The stream error the connection ends with, if any.
   */
  connectionClosing(conn: Connection, error: StreamError | undefined): void;
  /** Stanzas the client never took (it stopped reading), oldest first. */
  unsent(conn: Connection, stanzas: Element[]): void;
}

/** What a connection needs from its server. */
export interface ConnectionHost {
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
  /** The negotiation bound a resource: create the session on this connection, register it. */
  bind(conn: Connection, jid: FullJid, mechanism: string | undefined): Promise<Attachment>;
  /**
   * An element of a module's stream feature before binding (`stream/delegate`).
   *
   * @returns `false` when no module took it.
   */
  delegate(conn: Connection, element: Element): Promise<boolean>;
  /**
   * XEP-0388 success with inline requests (the `sasl2-inline` effect): performs them, writes
   * `<success/>` and returns the session bound inline, if any (a resumed one attaches itself).
   */
  sasl2Inline?(
    conn: Connection,
    request: {
      readonly jid: BareJid;
      readonly success: Element;
      readonly request: Element;
      readonly mechanism: string | undefined;
    },
  ): Promise<Attachment | undefined>;
}

type Action = "continue" | "restart" | "starttls" | "stop";

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

const macrotask = () => new Promise<void>((resolve) => setTimeout(resolve, 0));

// Which event-loop turn (macrotask) this is, told by a timer armed at most once per turn: a
// connection that sees the same turn after FAIR_SLICE_MS of work has kept the others waiting.
let turn = 0;
let armed = false;
function currentTurn(): number {
  if (!armed) {
    armed = true;
    setTimeout(() => {
      turn++;
      armed = false;
    }, 0);
  }
  return turn;
}

/**
 * Tells a connection when to give the others a turn: only after FAIR_SLICE_MS of work within
 * one event-loop turn, which happens when its work never waits on I/O (an in-process store
 * answers at once) and its input is already buffered.
 */
class FairShare {
  #turn = -1;
  #since = 0;

  /** Whether to yield now. */
  due(): boolean {
    const now = performance.now();
    const t = currentTurn();
    if (t !== this.#turn) {
      this.#turn = t;
      this.#since = now;
      return false;
    }
    return now - this.#since > FAIR_SLICE_MS;
  }
}

/** One client connection. */
export class Connection {
  /** The stream id. */
  readonly id: string;
  #stream: ByteStream;
  readonly #host: ConnectionHost;
  readonly #framing: Framing;
  #io: HeldChannel;
  #output: OutputQueue<Element>;
  #state: NegotiationState;
  #attached: Attachment | undefined;
  #account: BareJid | undefined;
  #mechanism: string | undefined;
  #headerSent = false;
  /** Stanzas for a session bound inline, held until `<success/>` is written. */
  #held: Element[] | undefined;
  #clientClosed = false;
  #closing: Promise<void> | undefined;
  #error: StreamError | undefined;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #started = Date.now();
  #lastRead = Date.now();
  #pingSent = 0;
  #bucket: Bucket = { tokens: READ_BURST_BYTES, at: Date.now() };
  #parser: StreamParser;
  readonly #fair = new FairShare();

  /**
   * @param stream The transport.
   * @param host The server side.
   * @param framing The wire format.
   */
  constructor(stream: ByteStream, host: ConnectionHost, framing: Framing) {
    this.#stream = stream;
    this.#host = host;
    this.#framing = framing;
    this.id = host.env.randomId();
    this.#io = holdChannel(stream);
    this.#parser = this.#newParser();
    this.#output = this.#newOutput();
    this.#state = initialState(host.negotiation, stream.info);
  }

  /** Facts about the transport (updated by STARTTLS). */
  get info(): TransportInfo {
    return this.#stream.info;
  }

  /** The session attached to this connection, once bound or resumed. */
  get session(): Session | undefined {
    return this.#attached?.session;
  }

  /** Whether the connection is ending or ended. */
  get closing(): boolean {
    return this.#closing !== undefined;
  }

  /** Runs the connection to its end. Never throws. */
  async run(): Promise<void> {
    this.#schedule();
    try {
      // One chunk per #step(), so that an idle connection's frame holds nothing of the last.
      while (!this.#closing && await this.#step());
    } catch (e) {
      const error = toStreamError(e);
      if (!error) {
        this.#host.logger.error("Connection failed", {
          connection: this.id,
          error: e instanceof Error ? e.message : String(e),
        });
      }
      await this.close(error ?? new StreamError("internal-server-error"));
    }
    await this.close();
  }

  /**
   * Queues a stanza for the client.
   *
   * @param stanza The stanza.
   * @returns `false` when the connection cannot take it (it is closing, or the client stopped
   * reading and the connection now ends with `<resource-constraint/>`).
   */
  writeStanza(stanza: Element): boolean {
    if (this.#held) {
      // XEP-0388: nothing goes out before the <success/> of an inline bind.
      this.#held.push(stanza);
      return true;
    }
    const result = this.#output.push(this.#framing.element(stanza), stanza, !this.#attached);
    if (result === "overflow") this.#overflow();
    return result === "queued";
  }

  /**
   * Queues a nonza or a stream-level element (not counted toward the output cap).
   *
   * @param element The element.
   */
  writeElement(element: Element): void {
    this.#output.push(this.#framing.element(element), undefined, !this.#attached);
  }

  /** Resolves when the client has taken enough of its output, or after a short while. */
  drained(): Promise<void> {
    return this.#output.drained(DRAIN_WAIT_MS);
  }

  /**
   * Attaches a session to this connection: negotiation is over, elements go to it.
   *
   * @param attachment The session.
   */
  attach(attachment: Attachment): void {
    this.#attached = attachment;
    this.#state = { ...this.#state, phase: "bound" };
    this.#schedule();
  }

  /** A handle for modules while negotiating (`stream/delegate`). */
  handle(resume: (session: Session) => boolean): StreamHandle {
    return {
      id: this.id,
      info: this.info,
      account: this.#account,
      write: (element) => this.writeElement(element),
      resume,
      close: (error) => this.close(error),
    };
  }

  /** The authenticated account, once SASL succeeded. */
  get account(): BareJid | undefined {
    return this.#account;
  }

  /**
   * Ends the connection: our header if not yet sent, what is queued, the error if any, our
   * stream end; then the transport closes. Does not end the session: the caller decides.
   *
   * @param error The stream error to send.
   * @returns When the transport is closed.
   */
  close(error?: StreamError): Promise<void> {
    if (this.#closing) return this.#closing;
    this.#closing = this.#shutdown(error);
    if (!this.#clientClosed) this.#attached?.connectionClosing(this, error);
    return this.#closing;
  }

  async #shutdown(error: StreamError | undefined): Promise<void> {
    clearTimeout(this.#timer);
    this.#error = error;
    // #9 item 5: say what failed (negotiation logs the errors it sends itself).
    const fields = { connection: this.id, remoteAddress: this.info.remoteAddress };
    if (error) {
      this.#host.logger.info("Stream error sent", { ...fields, condition: error.condition });
    }
    this.#host.logger.info("Connection closed", {
      ...fields,
      bound: this.#attached !== undefined,
      clean: this.#clientClosed,
    });
    if (!this.#headerSent) {
      this.#headerSent = true;
      this.#output.pushFinal(this.#framing.open({
        from: this.#host.domain,
        id: this.id,
        version: "1.0",
        "xml:lang": "en",
      }));
    }
    if (error) this.#output.pushFinal(this.#framing.element(error.toElement()));
    this.#output.pushFinal(this.#framing.close());
    // What was queued, the error and our stream end get a while to reach a client that reads
    // slowly (a full queue over TLS takes a second or more); a dead peer does not hold us longer.
    const output = this.#output.lastWrite.catch(() => {});
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([output, new Promise((r) => timer = setTimeout(r, FLUSH_GRACE_MS))]);
    clearTimeout(timer);
    try {
      await this.#io.cancel();
    } catch { /* the transport is gone already */ }
    try {
      this.#io.releaseWriter();
    } catch { /* released already */ }
    await this.#stream.close().catch(() => {});
  }

  #newOutput(): OutputQueue<Element> {
    const output = new OutputQueue<Element>(
      { write: (bytes) => this.#io.write(bytes) },
      {
        maxBytes: this.#host.limits.maxOutputBytes,
        // A client that keeps more than half of its cap unread for as long as a pinged client
        // has to answer does not read: its senders are not slowed down for longer than that.
        stuckMs: this.#host.limits.pingTimeoutMs,
        oneWritePerItem: this.#framing.oneElementPerChunk === true,
      },
    );
    output.onFailure = () => {
      // The transport failed: what it did not take goes elsewhere, and reading stops.
      this.#attached?.unsent(this, output.takeBack());
      this.#io.cancel().catch(() => {});
    };
    return output;
  }

  /** The client does not read: bounded at the moment a stanza is queued. */
  #overflow(): void {
    this.#host.logger.info("Closing a connection whose client does not read", {
      connection: this.id,
      queued: this.#output.queued,
    });
    const unsent = this.#output.takeBack();
    this.close(new StreamError("resource-constraint", "Client does not read its stream"));
    this.#attached?.unsent(this, unsent);
  }

  #newParser(): StreamParser {
    const { maxStanzaBytes, maxDepth } = this.#host.limits;
    return new StreamParser({ maxStanzaBytes, maxDepth, framed: this.#framing.framed });
  }

  /**
   * Reads one chunk, rate limited, and handles what it holds, yielding to the other
   * connections after a slice of work; `false` when the connection ends. A call of its
   * own per chunk: a suspended async function keeps its whole frame, so while an idle
   * connection waits here, nothing of the last chunk, its events or stanzas is kept (#16).
   */
  async #step(): Promise<boolean> {
    let value: Uint8Array | undefined;
    try {
      value = await this.#io.read();
    } catch (e) {
      // The transport failed (reset, aborted): the connection is lost, not in error.
      this.#host.logger.info("Connection lost", {
        connection: this.id,
        error: e instanceof Error ? e.message : String(e),
      });
      return false;
    }
    if (value === undefined || this.#closing) return false;
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
      const parser = this.#parser;
      const events = this.#framing.oneElementPerChunk
        ? oneElement(parser, input)
        : parser.push(input);
      for (const raw of events) {
        // RFC 7395 §3.3.2, §3.6: framed <open/> and <close/> stand for the stream's ends.
        const ev = raw.kind === "element" && this.#framing.decode
          ? this.#framing.decode(raw.element)
          : raw;
        const action = await this.#event(ev);
        if (action === "stop" || this.#closing) return false;
        if (action === "restart") {
          // RFC 6120 §6.4.6: bytes after <success/> belong to the new stream.
          chunk = parser.rest();
          this.#parser = this.#newParser();
          break;
        }
        if (action === "starttls") {
          // RFC 6120 §5.4.3.3: discard the parser; nothing the client sent in the clear
          // after <starttls/> is parsed.
          this.#parser = this.#newParser();
          if (await this.#upgrade() === "stop") return false;
          break;
        }
        // A client whose work never waits on I/O (an in-process store answers at once)
        // must not keep the others from reading: give them a turn now and then.
        if (this.#fair.due()) {
          await macrotask();
          if (this.#closing) return false;
        }
      }
    }
    // Over its rate: read no more for a while, so TCP flow control slows the client down.
    if (delayMs > 0) await new Promise((resolve) => setTimeout(resolve, delayMs));
    return true;
  }

  async #event(ev: StreamEvent): Promise<Action> {
    const attached = this.#attached;
    if (attached) {
      // #9 item 5: RFC 6120 §4.9.1, a stream error from the peer ends the stream unanswered.
      const condition = ev.kind === "element" ? receivedStreamError(ev.element) : undefined;
      if (condition !== undefined) {
        this.#host.logger.info("Stream error received", {
          connection: this.id,
          remoteAddress: this.info.remoteAddress,
          condition,
        });
        await this.close();
        return "stop";
      }
      if (ev.kind === "element") {
        await attached.receive(this, ev.element);
        return "continue";
      }
      if (ev.kind === "close") {
        this.#clientClosed = true;
        await attached.clientClosed(this);
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
    writeNegotiationLog(this.#host.logger, step.log, { connection: this.id }); // #9 item 5
    for (const e of step.errors ?? []) {
      this.#host.logger.error("Negotiation step failed", {
        connection: this.id,
        error: e instanceof Error ? e.message : String(e),
      });
    }
    let action: Action = "continue";
    for (const out of step.outputs) {
      if (out.kind === "open") {
        this.#headerSent = true;
        this.#output.push(this.#framing.open(out.attrs), undefined, true);
      } else if (out.kind === "element") {
        this.writeElement(out.element);
      } else {
        // Our stream end goes out through close(), which writes it once.
        action = "stop";
      }
    }
    for (const effect of step.effects) {
      const next = await this.#effect(effect);
      if (next !== "continue") action = next;
    }
    if (action === "stop") {
      // The negotiation already wrote any error and our stream end is written by close().
      this.#headerSent = true;
      await this.close();
    }
    return action;
  }

  async #effect(effect: import("./negotiation.ts").NegotiationEffect): Promise<Action> {
    switch (effect.kind) {
      case "starttls":
        return "starttls";
      case "restart":
        this.#headerSent = false;
        return "restart";
      case "authenticated":
        this.#account = effect.jid;
        this.#mechanism = effect.mechanism;
        return "continue";
      case "bound":
        this.attach(await this.#host.bind(this, effect.jid, this.#mechanism));
        return "continue";
      case "disconnect":
        return "stop";
      case "delegate":
        if (await this.#host.delegate(this, effect.element)) return "continue";
        throw new StreamError("unsupported-stanza-type");
      case "sasl2-inline": {
        if (!this.#host.sasl2Inline) throw new StreamError("internal-server-error");
        this.#held = [];
        let attachment: Attachment | undefined;
        try {
          attachment = await this.#host.sasl2Inline(this, {
            jid: effect.jid,
            success: effect.success,
            request: effect.request,
            mechanism: this.#mechanism,
          });
        } finally {
          const held = this.#held;
          this.#held = undefined;
          for (const stanza of held) this.writeStanza(stanza);
        }
        if (attachment) this.attach(attachment);
        return "continue";
      }
    }
  }

  async #upgrade(): Promise<Action> {
    const startTls = this.#stream.startTls?.bind(this.#stream);
    if (!startTls) throw new StreamError("internal-server-error", "Transport cannot start TLS");
    this.#output.flush();
    await this.#output.lastWrite.catch(() => {});
    this.#io.release();
    try {
      this.#stream = await startTls();
    } catch (e) {
      this.#host.logger.info("TLS handshake failed", {
        connection: this.id,
        remoteAddress: this.info.remoteAddress,
        error: e instanceof Error ? e.message : String(e),
      });
      this.#closing = Promise.resolve();
      clearTimeout(this.#timer);
      return "stop";
    }
    this.#io = holdChannel(this.#stream);
    this.#output = this.#newOutput();
    this.#headerSent = false;
    return await this.#negotiate({ kind: "secured", info: this.#stream.info });
  }

  /** Arms the timer for the next deadline: negotiation, idle ping, or ping answer. */
  #schedule(): void {
    clearTimeout(this.#timer);
    if (this.#closing) return;
    const limits = this.#host.limits;
    let due: number;
    if (!this.#attached) due = this.#started + limits.negotiationTimeoutMs;
    else if (this.#pingSent) due = this.#pingSent + limits.pingTimeoutMs;
    else due = this.#lastRead + limits.idleTimeoutMs;
    this.#timer = setTimeout(() => this.#tick(), Math.max(0, due - Date.now()));
  }

  #tick(): void {
    if (this.#closing) return;
    const limits = this.#host.limits;
    const now = Date.now();
    const attached = this.#attached;
    if (!attached) {
      if (now - this.#started >= limits.negotiationTimeoutMs) {
        this.#end(new StreamError("connection-timeout"));
        return;
      }
    } else if (this.#pingSent && now - this.#pingSent >= limits.pingTimeoutMs) {
      this.#end(new StreamError("connection-timeout"));
      return;
    } else if (!this.#pingSent && now - this.#lastRead >= limits.idleTimeoutMs) {
      // XEP-0199 §4.2: the server checks that an idle client is still there. The ping is a
      // stanza the client counts (XEP-0198 §4): it passes `stanza/out` like any other.
      this.#pingSent = now;
      void attached.session.send(xml(
        "iq",
        {
          xmlns: NS.CLIENT,
          type: "get",
          id: `ping-${now}`,
          to: attached.jid,
          from: this.#host.domain,
        },
        xml("ping", { xmlns: NS.PING }),
      ));
    }
    this.#schedule();
  }

  /** Ends the connection with an error from a timer; the read loop then reports the loss. */
  #end(error: StreamError): void {
    this.close(error);
  }

  /** The stream error this connection ended with, if any. */
  get error(): StreamError | undefined {
    return this.#error;
  }
}

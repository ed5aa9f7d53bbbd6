/**
 * An XML stream over a byte stream, for server-to-server and component connections: reads
 * stream events one at a time, writes headers and elements, restarts the parser after
 * STARTTLS (RFC 6120 §5.4.3.3). Web streams only; the adapter provides the bytes.
 *
 * @module
 */
import type { ByteStream, TransportInfo } from "../../base/transport.ts";
import { type Element, xml } from "../../xml/element.ts";
import { NS } from "../../xml/ns.ts";
import { serialize, streamClose, streamOpen } from "../../xml/serializer.ts";
import { type StreamEvent, StreamParser } from "../../xml/stream_parser.ts";

const encoder = new TextEncoder();

/** Limits of a pipe's parser. */
export interface PipeLimits {
  /** Largest top-level element in bytes. */
  readonly maxStanzaBytes: number;
  /** Deepest nesting. */
  readonly maxDepth: number;
}

/**
 * Maps an element and its descendants from one namespace to another: stanzas of a
 * `jabber:server` or `jabber:component:accept` stream are `jabber:client` inside the server.
 *
 * @param el The element.
 * @param from The namespace to replace.
 * @param to Its replacement.
 * @returns The element, a new one only where something changed.
 * @example
 * ```ts
 * import { renamespace } from "./xml_pipe.ts";
 * import { xml } from "../../xml/element.ts";
 * const el = renamespace(xml("message", { xmlns: "jabber:server" }, xml("body", { xmlns: "jabber:server" })), "jabber:server", "jabber:client");
 * if (el.xmlns !== "jabber:client") throw new Error();
 * ```
 */
export function renamespace(el: Element, from: string, to: string): Element {
  let changed = el.xmlns === from;
  const children = el.children.map((c) => {
    if (typeof c === "string") return c;
    const mapped = renamespace(c, from, to);
    if (mapped !== c) changed = true;
    return mapped;
  });
  if (!changed) return el;
  return { ...el, xmlns: el.xmlns === from ? to : el.xmlns, children };
}

/** One XML stream over a byte stream. */
export class XmlPipe {
  #stream: ByteStream;
  #reader: ReadableStreamDefaultReader<Uint8Array>;
  #writer: WritableStreamDefaultWriter<Uint8Array>;
  #parser: StreamParser;
  #pending: StreamEvent[] = [];
  readonly #limits: PipeLimits;
  readonly #contentNs: string;
  #closed = false;

  /**
   * @param stream The bytes.
   * @param contentNs The stream's content namespace (`jabber:server`, ...).
   * @param limits Parser limits.
   */
  constructor(stream: ByteStream, contentNs: string, limits: PipeLimits) {
    this.#stream = stream;
    this.#limits = limits;
    this.#contentNs = contentNs;
    this.#reader = stream.readable.getReader();
    this.#writer = stream.writable.getWriter();
    this.#parser = this.#newParser();
  }

  /** Facts about the transport. */
  get info(): TransportInfo {
    return this.#stream.info;
  }

  /** Whether the transport can start TLS in place. */
  get canStartTls(): boolean {
    return typeof this.#stream.startTls === "function";
  }

  /** Whether the pipe is closed. */
  get closed(): boolean {
    return this.#closed;
  }

  #newParser(): StreamParser {
    return new StreamParser({
      maxStanzaBytes: this.#limits.maxStanzaBytes,
      maxDepth: this.#limits.maxDepth,
    });
  }

  /**
   * The next stream event; `undefined` when the peer closed the connection.
   *
   * @throws {XmlSyntaxError} and the parser's other errors.
   */
  async next(): Promise<StreamEvent | undefined> {
    while (this.#pending.length === 0) {
      const { value, done } = await this.#reader.read();
      if (done) return undefined;
      for (const ev of this.#parser.push(value)) this.#pending.push(ev);
    }
    return this.#pending.shift();
  }

  /** Writes text; errors of a closed transport are ignored (the reader sees them). */
  async #write(text: string): Promise<void> {
    if (this.#closed) return;
    try {
      await this.#writer.write(encoder.encode(text));
    } catch {
      // The transport is gone: the read side ends too.
    }
  }

  /** Writes our stream header (with the dialback prefix on `jabber:server` streams). */
  open(attrs: Record<string, string>): Promise<void> {
    const extra: Record<string, string> = this.#contentNs === NS.SERVER
      ? { "xmlns:db": NS.DIALBACK }
      : {};
    return this.#write(streamOpen({ xmlns: this.#contentNs, ...extra, ...attrs }));
  }

  /**
   * Writes an element. Elements in `jabber:client` (the server's own stanzas) are written
   * without a namespace declaration, so the peer reads them in the stream's content namespace.
   */
  send(el: Element): Promise<void> {
    return this.#write(serialize(el, NS.CLIENT));
  }

  /** Writes a stream error and closes (RFC 6120 §4.9.1.1). */
  async fail(condition: string, text?: string): Promise<void> {
    await this.send(xml(
      "error",
      { xmlns: NS.STREAM },
      xml(condition, { xmlns: NS.STREAMS }),
      text ? xml("text", { xmlns: NS.STREAMS }, text) : undefined,
    ));
    await this.close();
  }

  /**
   * Upgrades to TLS (STARTTLS) and restarts the parser; what the peer sent before is gone.
   *
   * @throws {Error} When the transport cannot, or the handshake fails.
   */
  async startTls(): Promise<void> {
    if (!this.#stream.startTls) throw new Error("Cannot start TLS on this transport");
    this.#reader.releaseLock();
    this.#writer.releaseLock();
    this.#stream = await this.#stream.startTls();
    this.#reader = this.#stream.readable.getReader();
    this.#writer = this.#stream.writable.getWriter();
    this.restart();
  }

  /** Restarts the parser (a stream restart). */
  restart(): void {
    this.#pending = [];
    this.#parser = this.#newParser();
  }

  /** Ends our stream and closes the transport. */
  async close(): Promise<void> {
    if (this.#closed) return;
    await this.#write(streamClose());
    this.#closed = true;
    try {
      this.#reader.releaseLock();
      this.#writer.releaseLock();
    } catch {
      // A pending read keeps the lock: closing the transport ends it.
    }
    await this.#stream.close().catch(() => {});
  }
}

/**
 * The incremental parser of an XMPP stream: bytes in, stream events out.
 *
 * @module
 */
import type { StreamEvent, StreamHeader } from "./stream_event.ts";
import { Scanner } from "./_scanner.ts";
import { parseElement } from "./_tree.ts";

export type { StreamEvent, StreamHeader };

/** Options of {@linkcode StreamParser}. */
export interface StreamParserOptions {
  /**
   * Largest top-level element (a stanza, or the stream header), in bytes of UTF-8 from its
   * `<` to its last `>`. The parser fails as soon as it has buffered more. Default 262144.
   */
  maxStanzaBytes?: number;
  /**
   * Deepest nesting inside a top-level element: a stanza with no children has depth 1, so
   * `<message><body/></message>` has depth 2. The stream element is not counted. Default 32.
   */
  maxDepth?: number;
  /**
   * `true` for RFC 7395 framing (XMPP over WebSocket): every top-level element is an
   * "element" event and there is no stream header. Default `false`.
   */
  framed?: boolean;
}

function limit(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== "number") throw new TypeError(`Option "${name}" must be a number`);
  if (!Number.isSafeInteger(value) || value < 1) {
    throw new RangeError(`Option "${name}" must be a positive integer, got "${value}"`);
  }
  return value;
}

/**
 * Parses an XMPP stream incrementally (RFC 6120 §4, §11).
 *
 * In stream mode the first element is the stream header (after an optional XML declaration,
 * which may follow whitespace, as go-xmpp sends it after a restart), reported as "open"; each complete child of the stream is an "element" event, with
 * namespaces resolved (stanzas inherit the stream's default namespace); `</stream:stream>` is
 * "close". In framed mode (RFC 7395) every complete top-level element is an "element".
 *
 * Whitespace between top-level elements is dropped; any other text there is an error. CDATA
 * sections are accepted and read as text, as modern Prosody does (RFC 6120 §11.1 does not
 * restrict them). Chunks may be split anywhere, even inside a UTF-8 sequence: the events do
 * not depend on where.
 *
 * Errors: {@linkcode XmlSyntaxError} for XML that is not well-formed (not-well-formed),
 * {@linkcode RestrictedXmlError} for comments, processing instructions, DTDs and entity
 * references other than the predefined ones (restricted-xml), {@linkcode XmlLimitError} when a
 * top-level element is too large or too deep (policy-violation). After an error the parser
 * keeps throwing it.
 *
 * @example
 * ```ts
 * import { StreamParser } from "./stream_parser.ts";
 * const parser = new StreamParser();
 * const bytes = new TextEncoder().encode(
 *   "<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'>" +
 *     "<message to='juliet@example.com'><body>Hi</body></message>",
 * );
 * const kinds = [...parser.push(bytes)].map((e) => e.kind);
 * if (kinds.join() !== "open,element") throw new Error(kinds.join());
 * ```
 */
export class StreamParser {
  readonly #scanner: Scanner;
  #error: unknown = undefined;

  /**
   * Creates a parser for one stream; after a stream restart, create a new one.
   *
   * @param options Limits and framing; see {@linkcode StreamParserOptions}.
   * @throws {TypeError} An option has the wrong type.
   * @throws {RangeError} A limit is not a positive integer.
   */
  constructor(options: StreamParserOptions = {}) {
    this.#scanner = new Scanner({
      maxStanzaBytes: limit("maxStanzaBytes", options.maxStanzaBytes, 262144),
      maxDepth: limit("maxDepth", options.maxDepth, 32),
      framed: options.framed === true,
    }, parseElement);
  }

  /**
   * Adds a chunk of the stream and returns the events that it completes, parsed lazily as
   * the result is iterated. The chunk must not be modified until the iteration has ended.
   * Events of an earlier chunk that were not iterated come first.
   *
   * @param chunk The next bytes of the stream, split anywhere.
   * @returns The events, in stream order.
   * @throws {XmlSyntaxError} While iterating: the XML is not well-formed.
   * @throws {RestrictedXmlError} While iterating: RFC 6120 §11.1 forbids what was sent.
   * @throws {XmlLimitError} While iterating: a top-level element is too large or too deep.
   * @example
   * ```ts
   * import { StreamParser } from "./stream_parser.ts";
   * const parser = new StreamParser({ framed: true });
   * const utf8 = new TextEncoder().encode("<message xmlns='jabber:client'><body>Grüße</body></message>");
   * const events = [...parser.push(utf8.subarray(0, 40)), ...parser.push(utf8.subarray(40))];
   * if (events.length !== 1 || events[0].kind !== "element") throw new Error();
   * ```
   */
  push(chunk: Uint8Array): Generator<StreamEvent, void, undefined> {
    this.#scanner.enqueue(chunk);
    return this.#events();
  }

  *#events(): Generator<StreamEvent, void, undefined> {
    if (this.#error !== undefined) throw this.#error;
    const scanner = this.#scanner;
    try {
      for (;;) {
        let event: StreamEvent | undefined;
        try {
          event = scanner.next();
        } catch (e) {
          this.#error = e; // a stream error is unrecoverable (RFC 6120 §4.9.1.1)
          throw e;
        }
        if (event === undefined) return;
        yield event;
      }
    } finally {
      // Also when the consumer stops early: the caller may reuse its chunk afterwards.
      scanner.release();
    }
  }

  /**
   * Returns the bytes that were pushed but not consumed by an event, undecoded. After the
   * consumer stops iterating right after the event that restarts the stream (the `<proceed/>`
   * answer to STARTTLS, RFC 6120 §5.4.3.3; SASL `<success/>`, §6.4.6), these belong to the
   * new stream: feed them to a new parser (or, after STARTTLS, to the TLS layer).
   *
   * @returns A copy of the unconsumed bytes.
   * @example
   * ```ts
   * import { StreamParser } from "./stream_parser.ts";
   * const parser = new StreamParser({ framed: true });
   * const bytes = new TextEncoder().encode("<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>\x16\x03\x01");
   * for (const event of parser.push(bytes)) if (event.kind === "element") break;
   * if (parser.rest().length !== 3) throw new Error();
   * ```
   */
  rest(): Uint8Array {
    return this.#scanner.rest();
  }
}

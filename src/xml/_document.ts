/**
 * The structure of an XMPP stream, above the byte scanner in `_scanner.ts`: it turns the tags
 * that the scanner finds into events. It reads the stream header, tracks the nesting of each
 * top-level element and checks that end tags match, and builds each complete element. Private
 * to src/xml.
 *
 * @module
 */
import { XmlSyntaxError } from "./errors.ts";
import type { StreamEvent } from "./stream_event.ts";
import { sameBytes } from "./_bytes.ts";
import type { Input } from "./_input.ts";
import { type ElementBuilder, parseHeader, ROOT_SCOPE, type Scope } from "./_tree.ts";

/** Before the stream header (stream mode only). */
export const PROLOG = 0;
/** Between and inside top-level elements. */
export const CONTENT = 1;
/** After `</stream:stream>`. */
export const CLOSED = 2;

const EMPTY = new Uint8Array(0);
const decoder = new TextDecoder();

/** Where a tag lies in `Input.buf`. */
export interface Tag {
  /** Index of the top-level element's "<". */
  readonly elem: number;
  /** Index of the tag's "<". */
  readonly tok: number;
  readonly nameStart: number;
  readonly nameEnd: number;
}

/** The state of the stream above the bytes: phase, nesting, header, namespaces. */
export class Document {
  /** PROLOG, CONTENT or CLOSED. */
  phase: number;
  /** Open elements inside the current top-level element. */
  depth = 0;
  readonly #framed: boolean;
  readonly #build: ElementBuilder;
  readonly #in: Input;
  readonly #names: Int32Array; // [start, end) of each open element's name, relative to elem
  #headerName: Uint8Array = EMPTY;
  #scope: Scope = ROOT_SCOPE;
  #pendingClose = false;

  constructor(input: Input, framed: boolean, maxDepth: number, build: ElementBuilder) {
    this.#in = input;
    this.#framed = framed;
    this.#build = build;
    this.phase = framed ? CONTENT : PROLOG;
    this.#names = new Int32Array(2 * maxDepth + 2);
  }

  /** The close event owed after a self-closed stream header, once. */
  pendingClose(): StreamEvent | undefined {
    if (!this.#pendingClose) return undefined;
    this.#pendingClose = false;
    this.phase = CLOSED;
    return { kind: "close" };
  }

  /**
   * A start tag ends just before `after`.
   *
   * @returns The event it completes, if any; the scanner then consumes up to `after`.
   */
  startTag(tag: Tag, after: number, selfClosing: boolean): StreamEvent | undefined {
    const depth = this.depth;
    const input = this.#in;
    if (this.phase === PROLOG) {
      const info = parseHeader(input.decode(tag.tok, after), input.base + tag.tok);
      this.#headerName = input.buf.slice(tag.nameStart, tag.nameEnd);
      this.#scope = info.scope;
      this.phase = CONTENT;
      this.#pendingClose = info.selfClosing;
      const { name, xmlns, contentNs, attrs } = info;
      return { kind: "open", header: { name, xmlns, contentNs, attrs } };
    }
    if (selfClosing) return depth === 0 ? this.#complete(tag.elem, after) : undefined;
    this.#names[2 * depth] = tag.nameStart - tag.elem;
    this.#names[2 * depth + 1] = tag.nameEnd - tag.elem;
    this.depth = depth + 1;
    return undefined;
  }

  /**
   * An end tag, whose name ends at `nameEnd`, ends just before `after`.
   *
   * @returns The event it completes, if any; the scanner then consumes up to `after`.
   */
  endTag(tag: Tag, after: number): StreamEvent | undefined {
    const { base, buf } = this.#in;
    const depth = this.depth;
    let expected: Uint8Array;
    if (depth === 0) {
      if (this.phase === PROLOG) {
        throw new XmlSyntaxError("Unexpected end tag before the stream header", base + tag.tok);
      }
      if (this.#framed) {
        throw new XmlSyntaxError("Unexpected end tag outside an element", base + tag.tok);
      }
      expected = this.#headerName;
    } else {
      const from = tag.elem + this.#names[2 * depth - 2];
      expected = buf.subarray(from, tag.elem + this.#names[2 * depth - 1]);
    }
    if (!sameBytes(expected, buf, tag.nameStart, tag.nameEnd)) {
      const got = decoder.decode(buf.subarray(tag.nameStart, tag.nameEnd));
      const want = decoder.decode(expected);
      throw new XmlSyntaxError(`Mismatched end tag "${got}": expected "${want}"`, base + tag.tok);
    }
    if (depth === 0) {
      this.phase = CLOSED; // RFC 6120 §4.4: the stream is closed
      return { kind: "close" };
    }
    this.depth = depth - 1;
    return depth === 1 ? this.#complete(tag.elem, after) : undefined;
  }

  /** The top-level element `buf[elem, after)` is complete. */
  #complete(elem: number, after: number): StreamEvent {
    const input = this.#in;
    const element = this.#build(input.decode(elem, after), input.base + elem, this.#scope);
    this.depth = 0;
    return { kind: "element", element };
  }
}

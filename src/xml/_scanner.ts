/**
 * The byte-level half of the stream parser. It finds the tags of the stream, enforces the
 * limits and RFC 6120 §11.1 as the bytes arrive, and reports each tag to the `Document` of
 * `_document.ts`, which turns them into events (a complete element is decoded once and built
 * by an `ElementBuilder`). Private to src/xml: `StreamParser` is the public face.
 *
 * Markup characters are ASCII, so the scanner works on bytes with `indexOf` and never decodes
 * UTF-8 itself; multi-byte sequences split across chunks are therefore harmless. Every state
 * can resume at any byte, so a chunk boundary never forces a rescan.
 *
 * @module
 */
import { XmlLimitError, XmlSyntaxError } from "./errors.ts";
import type { StreamEvent } from "./stream_event.ts";
import { isNameStart, isSpace, show } from "./_bytes.ts";
import { Input } from "./_input.ts";
import { checkXmlDecl, NEED_MORE, readBang, readQuestion } from "./_restricted.ts";
import { CLOSED, CONTENT, Document, PROLOG, type Tag } from "./_document.ts";
import type { ElementBuilder } from "./_tree.ts";

/** Validated options of the scanner. */
export interface ScannerOptions {
  readonly maxStanzaBytes: number;
  readonly maxDepth: number;
  readonly framed: boolean;
}

// Scanner states; each can resume at any byte.
const TEXT = 0; // character data, or whitespace between top-level elements
const OPEN = 1; // just after "<"
const NAME = 2; // in the name of a start tag
const ATTRS = 3; // in a start tag, after its name, outside quotes
const QUOTED = 4; // in a quoted attribute value
const END = 5; // in an end tag
const BANG_ = 6; // after "<!": deciding between CDATA, comment and DTD
const CDATA = 7; // in a CDATA section
const PI = 8; // after "<?": XML declaration or restricted processing instruction
const DECL = 9; // in the XML declaration

const LT = 0x3C;
const GT = 0x3E;
const SLASH = 0x2F;
const BANG = 0x21;
const QUESTION = 0x3F;
const DQUOTE = 0x22;
const SQUOTE = 0x27;
const RBRACKET = 0x5D;

/**
 * Incremental scanner of an XMPP stream. `enqueue()` takes chunks, `next()` returns the
 * events one by one, and `rest()` returns what was not consumed.
 */
export class Scanner implements Tag {
  readonly #maxBytes: number;
  readonly #maxDepth: number;
  readonly #in: Input;
  readonly #doc: Document;

  // Indexes into this.#in.buf, read by Document through the Tag interface.
  /** Start of the current top-level element (or header, or declaration); -1 between them. */
  elem = -1;
  /** Start of the current tag. */
  tok = 0;
  nameStart = 0;
  nameEnd = 0;
  #pos = 0; // next byte to scan

  #state = TEXT;
  #quote = 0;
  #slash = false; // the last byte of the start tag so far is "/"
  // The XML declaration may still come: nothing but whitespace (or a byte order mark) has been
  // read. XML 1.0 §2.8 wants it at the very first byte, but go-xmpp (go-sendxmpp) restarts its
  // stream with "\n<?xml …?>" (the newline follows its "</auth>"), and Prosody and ejabberd
  // accept that, so the scanner does too.
  #declAllowed = true;

  constructor(options: ScannerOptions, build: ElementBuilder) {
    this.#maxBytes = options.maxStanzaBytes;
    this.#maxDepth = options.maxDepth;
    this.#in = new Input(options.maxStanzaBytes + 1);
    this.#doc = new Document(this.#in, options.framed, options.maxDepth, build);
  }

  /** Adds a chunk to the input; nothing is parsed until next() is called. */
  enqueue(chunk: Uint8Array): void {
    this.#in.enqueue(chunk);
  }

  /** The bytes not consumed by an event, undecoded. */
  rest(): Uint8Array {
    return this.#in.rest();
  }

  /** Stops referring to the caller's chunks, which it may reuse once iteration has ended. */
  release(): void {
    this.#shift(this.#in.release());
  }

  /**
   * Parses the input up to the next event.
   *
   * @returns The event, or `undefined` when the input ran out first.
   */
  next(): StreamEvent | undefined {
    const close = this.#doc.pendingClose();
    if (close !== undefined) return close;
    for (;;) {
      const event = this.#scan();
      if (event !== undefined) return event;
      const moved = this.#in.pull();
      if (moved < 0) return undefined;
      this.#shift(moved);
    }
  }

  /** Follows the input when it dropped `by` consumed bytes from the front of its buffer. */
  #shift(by: number): void {
    this.#pos -= by;
    this.tok -= by;
    this.nameStart -= by;
    this.nameEnd -= by;
    if (this.elem >= 0) this.elem -= by;
  }

  #syntax(message: string, at: number): XmlSyntaxError {
    return new XmlSyntaxError(message, this.#in.base + at);
  }

  /** Where scanning must stop for the current element to stay within maxStanzaBytes. */
  #stop(end: number): number {
    const elem = this.elem;
    return elem < 0 ? end : Math.min(end, elem + this.#maxBytes);
  }

  /**
   * Called when the scan reached `stop` without finishing the token: fails if that is because
   * of the size limit (bytes remain after `stop`), else saves where to resume and waits.
   */
  #more(resume: number, stop: number, end: number): undefined {
    if (stop < end) {
      throw new XmlLimitError(
        "stanza-size",
        `Top-level element exceeds "maxStanzaBytes" (${this.#maxBytes} bytes)`,
        { position: this.#in.base + stop },
      );
    }
    this.#pos = resume;
    return undefined;
  }

  // One long loop on purpose: this is the parser's innermost loop, run for every byte a client
  // sends; split into functions per token it would pay a call and a state hand-over per tag.
  // Measure with bench/xml_throughput.ts before reshaping it.
  #scan(): StreamEvent | undefined {
    const buf = this.#in.buf;
    const end = buf.length;
    let pos = this.#pos;
    for (;;) {
      switch (this.#state) {
        case TEXT: {
          if (this.#doc.depth === 0) {
            // Between top-level elements only whitespace is allowed (RFC 6120 §11.7), and
            // it is consumed at once so that it is never buffered.
            for (; pos < end; pos++) {
              const b = buf[pos];
              if (b === LT) break;
              if (isSpace(b)) continue;
              if (b === 0xEF && this.#in.base + pos === 0 && this.#doc.phase === PROLOG) {
                // A byte order mark may start the stream (XML 1.0 §4.3.3).
                if (end - pos < 3) break;
                if (buf[pos + 1] === 0xBB && buf[pos + 2] === 0xBF) {
                  pos += 2;
                  continue;
                }
              }
              throw this.#syntax(
                this.#doc.phase === CLOSED
                  ? `Unexpected data "${show(b)}" after the end of the stream`
                  : `Unexpected text "${show(b)}" outside a top-level element`,
                pos,
              );
            }
            this.#in.start = pos;
            if (pos === end || buf[pos] !== LT) return this.#more(pos, end, end);
            if (this.#doc.phase === CLOSED) {
              throw this.#syntax("Unexpected element after the end of the stream", pos);
            }
            this.elem = this.tok = pos;
            pos++;
            this.#state = OPEN;
            break;
          }
          const stop = this.#stop(end);
          // Most text between tags is empty ("><"): look before paying for indexOf().
          const lt = pos < stop && buf[pos] === LT ? pos : buf.indexOf(LT, pos);
          if (lt === -1 || lt >= stop) return this.#more(stop, stop, end);
          this.tok = lt;
          pos = lt + 1;
          this.#state = OPEN;
          break;
        }

        case OPEN: {
          const stop = this.#stop(end);
          if (pos >= stop) return this.#more(pos, stop, end);
          const b = buf[pos];
          if (b !== QUESTION) this.#declAllowed = false;
          if (b === SLASH) {
            this.nameStart = ++pos;
            this.#state = END;
          } else if (b === BANG) {
            this.#state = BANG_;
          } else if (b === QUESTION) {
            this.#state = PI;
          } else if (isNameStart(b)) {
            if (this.#doc.phase === CONTENT && this.#doc.depth >= this.#maxDepth) {
              throw new XmlLimitError(
                "depth",
                `Element nesting exceeds "maxDepth" (${this.#maxDepth})`,
                { position: this.#in.base + this.tok },
              );
            }
            this.nameStart = pos++;
            this.#state = NAME;
          } else {
            throw this.#syntax(`Unexpected "${show(b)}" after "<"`, pos);
          }
          break;
        }

        case NAME: {
          const stop = this.#stop(end);
          for (; pos < stop; pos++) {
            const b = buf[pos];
            if (isSpace(b) || b === SLASH || b === GT) break;
            if (b === LT || b === DQUOTE || b === SQUOTE || b === 0x3D) {
              throw this.#syntax(`Unexpected "${show(b)}" in an element name`, pos);
            }
          }
          if (pos === stop) return this.#more(pos, stop, end);
          this.nameEnd = pos;
          this.#slash = false;
          this.#state = ATTRS;
          break;
        }

        case ATTRS: {
          const stop = this.#stop(end);
          let slash = this.#slash;
          for (; pos < stop; pos++) {
            const b = buf[pos];
            if (b === GT) break;
            if (b === DQUOTE || b === SQUOTE) {
              // Values are short (ids, JIDs): a loop beats indexOf() here.
              let close = pos + 1;
              while (close < stop && buf[close] !== b) close++;
              if (close === stop) {
                this.#quote = b;
                this.#state = QUOTED;
                return this.#more(pos + 1, stop, end);
              }
              pos = close;
              slash = false;
            } else if (b === LT) {
              throw this.#syntax('Unexpected "<" in a start tag', pos);
            } else {
              slash = b === SLASH;
            }
          }
          if (pos === stop) {
            this.#slash = slash;
            return this.#more(pos, stop, end);
          }
          pos = pos + 1;
          this.#state = TEXT;
          const event = this.#doc.startTag(this, pos, slash);
          if (event !== undefined) return this.#consumed(pos, event);
          break;
        }

        case QUOTED: {
          const stop = this.#stop(end);
          const close = buf.indexOf(this.#quote, pos);
          if (close === -1 || close >= stop) return this.#more(stop, stop, end);
          pos = close + 1;
          this.#slash = false;
          this.#state = ATTRS;
          break;
        }

        case END: {
          const stop = this.#stop(end);
          let gt = pos;
          while (gt < stop && buf[gt] !== GT) gt++;
          if (gt === stop) return this.#more(stop, stop, end);
          let nameEnd = this.nameStart;
          while (nameEnd < gt && !isSpace(buf[nameEnd])) nameEnd++;
          for (let k = nameEnd; k < gt; k++) {
            if (!isSpace(buf[k])) throw this.#syntax("Unexpected data in an end tag", k);
          }
          this.nameEnd = nameEnd;
          pos = gt + 1;
          this.#state = TEXT;
          const event = this.#doc.endTag(this, pos);
          if (event !== undefined) return this.#consumed(pos, event);
          break;
        }

        case BANG_: {
          // "<!": restricted unless it starts a CDATA section.
          const stop = this.#stop(end);
          const after = readBang(buf, this.tok, stop, this.#in.base);
          if (after === NEED_MORE) return this.#more(this.tok, stop, end);
          if (this.#doc.depth === 0) {
            throw this.#syntax("Unexpected CDATA section outside a top-level element", this.tok);
          }
          pos = after;
          this.#state = CDATA;
          break;
        }

        case CDATA: {
          const stop = this.#stop(end);
          for (;;) {
            const rb = buf.indexOf(RBRACKET, pos);
            if (rb === -1 || rb >= stop) return this.#more(stop, stop, end);
            if (rb + 2 >= stop) return this.#more(rb, stop, end);
            if (buf[rb + 1] === RBRACKET && buf[rb + 2] === GT) {
              pos = rb + 3;
              break;
            }
            pos = rb + 1;
          }
          this.#state = TEXT;
          break;
        }

        case PI: {
          // "<?": restricted unless it is the XML declaration.
          const stop = this.#stop(end);
          const after = readQuestion(buf, this.tok, stop, this.#in.base, this.#declAllowed);
          if (after === NEED_MORE) return this.#more(this.tok, stop, end);
          pos = after;
          this.#state = DECL;
          break;
        }

        case DECL: {
          const stop = this.#stop(end);
          const gt = buf.indexOf(GT, pos);
          if (gt === -1 || gt >= stop) return this.#more(stop, stop, end);
          pos = gt + 1;
          checkXmlDecl(this.#in.decode(this.tok, pos), this.#in.base + this.tok);
          this.#declAllowed = false;
          this.elem = -1;
          this.#in.start = pos;
          this.#state = TEXT;
          break;
        }
      }
    }
  }

  #consumed(after: number, event: StreamEvent): StreamEvent {
    this.#in.start = this.#pos = after;
    this.elem = -1;
    return event;
  }
}

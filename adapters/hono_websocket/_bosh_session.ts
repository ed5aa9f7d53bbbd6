// One BOSH session (XEP-0124, XEP-0206): rid ordering, held requests, the ByteStream the core
// reads, and the responses it writes.
import type { ByteStream, TransportInfo } from "../../src/base/transport.ts";
import type { Framing } from "../../src/stream/framing.ts";
import { websocketFraming } from "../../src/stream/framing.ts";
import type { Element } from "../../src/xml/element.ts";
import { NS } from "../../src/xml/ns.ts";
import { escapeAttr, serialize } from "../../src/xml/serializer.ts";

export const NS_HTTPBIND = "http://jabber.org/protocol/httpbind";
export const NS_XBOSH = "urn:xmpp:xbosh";

const encoder = new TextEncoder();
/**
 * Bytes of stanzas fed to the core and not yet read by it, beyond which the next request's
 * stanzas wait (and with them its answer, and the older held request's): the client, allowed
 * only `requests` unanswered requests, must wait too. The core reads at its rate
 * (`limits.readBytesPerSecond`), so a fast sender is slowed down instead of queued.
 */
const INPUT_HIGH_WATER = 64 * 1024;

/** A `<body/>` answer; `condition` makes it a terminal one (XEP-0124 §14.2). */
export function bodyXml(attrs: Record<string, string>, content = ""): string {
  let s = `<body xmlns='${NS_HTTPBIND}' xmlns:xmpp='${NS_XBOSH}' xmlns:stream='${NS.STREAM}'`;
  for (const [k, v] of Object.entries(attrs)) s += ` ${k}='${escapeAttr(v)}'`;
  return content ? `${s}>${content}</body>` : `${s}/>`;
}

/** A terminal binding error (XEP-0124 §14.2). */
export function terminate(condition?: string): string {
  return bodyXml(condition ? { type: "terminate", condition } : { type: "terminate" });
}

/** Negotiated session parameters (XEP-0124 §7.1). */
export interface BoshParams {
  readonly sid: string;
  readonly wait: number;
  readonly hold: number;
  readonly requests: number;
  readonly inactivity: number;
  readonly polling: number;
  readonly to: string;
  readonly lang: string;
}

interface Held {
  readonly rid: number;
  readonly resolve: (body: string) => void;
  readonly timer: ReturnType<typeof setTimeout>;
  readonly creation: boolean;
}

export class BoshSession {
  readonly params: BoshParams;
  readonly stream: ByteStream;
  readonly framing: Framing;
  #controller!: ReadableStreamDefaultController<Uint8Array>;
  #lastRid: number;
  #pending = new Map<number, { body: Element; resolve: (b: string) => void }>();
  #held: Held[] = [];
  #sent = new Map<number, string>();
  #out: string[] = [];
  #authid = "";
  #from = "";
  #ended = false; // our side ended the stream (the core closed it)
  #streamError = false;
  #gone = false; // removed: every later request gets item-not-found
  #turn: Promise<void> = Promise.resolve(); // feeds requests' stanzas in rid order
  #inputRoom: PromiseWithResolvers<void> | undefined; // resolved when the core reads on
  #unanswered = 0;
  #lastAnswer: string | undefined; // what every request gets once the session is gone
  #flushTimer: ReturnType<typeof setTimeout> | undefined;
  #idleTimer: ReturnType<typeof setTimeout> | undefined;
  readonly #onGone: () => void;

  constructor(params: BoshParams, firstRid: number, info: TransportInfo, onGone: () => void) {
    this.params = params;
    this.#lastRid = firstRid;
    this.#onGone = onGone;
    const decoder = new TextDecoder();
    this.framing = {
      framed: true,
      decode: websocketFraming.decode,
      open: (attrs) => {
        this.#authid = attrs.id ?? "";
        this.#from = attrs.from ?? "";
        return "";
      },
      element: (el) => {
        if (el.name === "error" && el.xmlns === NS.STREAM) this.#streamError = true;
        return serialize(el, "");
      },
      close: () => "",
    };
    const readable = new ReadableStream<Uint8Array>({
      start: (c) => {
        this.#controller = c;
      },
      // Called once what the core has not read drops below the high-water mark.
      pull: () => this.#roomMade(),
    }, { highWaterMark: INPUT_HIGH_WATER, size: (chunk) => chunk.byteLength });
    const writable = new WritableStream<Uint8Array>({
      write: (chunk) => {
        if (chunk.length === 0) return;
        this.#out.push(decoder.decode(chunk));
        this.#scheduleFlush();
      },
    });
    this.stream = {
      readable,
      writable,
      info,
      close: () => {
        this.#ended = true;
        this.#endInput();
        this.#scheduleFlush();
        return Promise.resolve();
      },
    };
    this.#armIdle();
  }

  /** The first request: answered with the session attributes once the features are out. */
  start(rid: number, version: string): Promise<string> {
    this.#feed(
      `<open xmlns='${NS.FRAMING}' to='${escapeAttr(this.params.to)}' ` +
        `version='${escapeAttr(version)}' xml:lang='${escapeAttr(this.params.lang)}'/>`,
    );
    return this.#counted(this.#hold(rid, true));
  }

  /** A later request, in any order within the window (XEP-0124 §9, §14.3). */
  request(rid: number, body: Element): Promise<string> {
    if (this.#gone) return Promise.resolve(terminate("item-not-found"));
    if (rid <= this.#lastRid) {
      // XEP-0124 §14.3: a repeated rid gets the same answer again while we still have it.
      const copy = this.#sent.get(rid);
      if (copy !== undefined) return Promise.resolve(copy);
      return Promise.resolve(this.fail("item-not-found"));
    }
    if (rid > this.#lastRid + this.params.requests || this.#pending.has(rid)) {
      return Promise.resolve(this.fail("item-not-found"));
    }
    if (this.#unanswered >= this.params.requests) {
      // XEP-0124 §11: more simultaneous requests than `requests` is overactivity.
      return Promise.resolve(this.fail("policy-violation"));
    }
    const { promise, resolve } = Promise.withResolvers<string>();
    this.#pending.set(rid, { body, resolve });
    // Process every request whose predecessors have all arrived, in order, each once the core
    // has read (nearly) all that came before.
    for (let next = this.#lastRid + 1; this.#pending.has(next); next++) {
      const p = this.#pending.get(next)!;
      this.#pending.delete(next);
      this.#lastRid = next;
      this.#turn = this.#turn.then(async () => {
        await this.#roomForInput();
        this.#process(next, p.body).then(p.resolve);
      });
    }
    return this.#counted(promise);
  }

  /** Counts `answer` as unanswered until it settles. */
  #counted(answer: Promise<string>): Promise<string> {
    this.#unanswered++;
    return answer.finally(() => this.#unanswered--);
  }

  /** Resolves once the core has read enough of what was fed to it (or the session ended). */
  #roomForInput(): Promise<void> {
    if (this.#gone || this.#ended || (this.#controller.desiredSize ?? 1) > 0) {
      return Promise.resolve();
    }
    this.#inputRoom ??= Promise.withResolvers();
    return this.#inputRoom.promise;
  }

  #roomMade(): void {
    this.#inputRoom?.resolve();
    this.#inputRoom = undefined;
  }

  /** Ends the session with a terminal error, answering everything waiting. */
  fail(condition: string): string {
    const answer = terminate(condition);
    this.#destroy(answer);
    return answer;
  }

  #process(rid: number, body: Element): Promise<string> {
    // Ended while this request waited for its turn: it gets the session's last answer.
    if (this.#gone) return Promise.resolve(this.#lastAnswer ?? terminate());
    if (this.#ended) return Promise.resolve(this.#answerNow(rid));
    for (const child of body.children) {
      if (typeof child === "string") continue;
      if (child.xmlns === NS.FRAMING) return Promise.resolve(this.fail("bad-request"));
      this.#feed(serialize(child, ""));
    }
    if (body.attrs.type === "terminate") {
      // XEP-0124 §12: the client ends the session; its last stanzas were fed above.
      this.#feed(`<close xmlns='${NS.FRAMING}'/>`);
      const answer = terminate();
      this.#destroy(answer);
      return Promise.resolve(answer);
    }
    if (body.attrs["xmpp:restart"] === "true" || body.attrs["urn:xmpp:xbosh:restart"] === "true") {
      // XEP-0206 §5: a stream restart after SASL success.
      this.#feed(`<open xmlns='${NS.FRAMING}' to='${escapeAttr(this.params.to)}' version='1.0'/>`);
    }
    return this.#hold(rid, false);
  }

  #hold(rid: number, creation: boolean): Promise<string> {
    const { promise, resolve } = Promise.withResolvers<string>();
    clearTimeout(this.#idleTimer);
    const timer = setTimeout(() => this.#release(held), this.params.wait * 1000);
    const held: Held = { rid, resolve, timer, creation };
    this.#held.push(held);
    // XEP-0124 §11: at most `hold` requests wait; the oldest is answered (empty if need be).
    while (this.#held.length > Math.max(this.params.hold, 1) && !creation) {
      this.#release(this.#held[0]);
    }
    if (this.params.hold === 0 && !creation) this.#scheduleFlush(true);
    this.#scheduleFlush();
    return promise;
  }

  #answerNow(rid: number): string {
    const answer = this.#ended
      ? bodyXml(
        this.#streamError
          ? { type: "terminate", condition: "remote-stream-error" }
          : { type: "terminate" },
        this.#out.join(""),
      )
      : bodyXml({}, this.#out.join(""));
    this.#out = [];
    this.#remember(rid, answer);
    if (this.#ended) this.#destroy(undefined);
    return answer;
  }

  #release(held: Held): void {
    const i = this.#held.indexOf(held);
    if (i === -1) return;
    this.#held.splice(i, 1);
    clearTimeout(held.timer);
    if (held.creation) {
      const p = this.params;
      const answer = bodyXml({
        sid: p.sid,
        wait: String(p.wait),
        hold: String(p.hold),
        requests: String(p.requests),
        inactivity: String(p.inactivity),
        polling: String(p.polling),
        ver: "1.11",
        from: this.#from,
        authid: this.#authid,
        "xmpp:version": "1.0",
        "xmpp:restartlogic": "true",
      }, this.#out.join(""));
      this.#out = [];
      this.#remember(held.rid, answer);
      held.resolve(answer);
    } else {
      held.resolve(this.#answerNow(held.rid));
    }
    if (this.#held.length === 0 && !this.#gone) this.#armIdle();
  }

  #remember(rid: number, answer: string): void {
    this.#sent.set(rid, answer);
    for (const old of this.#sent.keys()) {
      if (old <= rid - this.params.requests) this.#sent.delete(old);
    }
  }

  #scheduleFlush(force = false): void {
    if (this.#flushTimer !== undefined) return;
    // Batch what the core writes in one turn into one answer.
    this.#flushTimer = setTimeout(() => {
      this.#flushTimer = undefined;
      if (this.#held.length === 0) return;
      if (this.#out.length > 0 || this.#ended || force) this.#release(this.#held[0]);
    }, 1);
  }

  #armIdle(): void {
    clearTimeout(this.#idleTimer);
    // XEP-0124 §7.1: no request for `inactivity` seconds ends the session.
    this.#idleTimer = setTimeout(() => this.#destroy(undefined), this.params.inactivity * 1000);
  }

  #feed(xmlText: string): void {
    if (this.#ended || this.#gone) return;
    try {
      this.#controller.enqueue(encoder.encode(xmlText));
    } catch { /* the core stopped reading */ }
  }

  #endInput(): void {
    try {
      this.#controller.close();
    } catch { /* closed already */ }
    this.#roomMade();
  }

  #destroy(answer: string | undefined): void {
    if (this.#gone) return;
    this.#gone = true;
    clearTimeout(this.#idleTimer);
    clearTimeout(this.#flushTimer);
    const last = answer ?? terminate();
    this.#lastAnswer = last;
    for (const h of this.#held.splice(0)) {
      clearTimeout(h.timer);
      h.resolve(last);
    }
    for (const p of this.#pending.values()) p.resolve(last);
    this.#pending.clear();
    this.#endInput();
    this.#onGone();
  }
}

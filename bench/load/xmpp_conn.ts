/**
 * A minimal raw-socket XMPP c2s client for the load generator: no DOM, no XML library.
 * Top-level elements are cut out of the stream by counting tags and handed over as
 * strings; the scenarios look into them with plain string searches.
 *
 * @module
 */
import { plain, ScramSha1 } from "./scram.ts";

const encoder = new TextEncoder();
const READ_BUFFER_BYTES = 4096;

/** How to reach and log in to a server. */
export interface Target {
  /** Loopback port of the c2s listener. */
  readonly port: number;
  /** The XMPP domain. */
  readonly domain: string;
  /** SASL mechanism. */
  readonly mechanism: "SCRAM-SHA-1" | "PLAIN";
  /**
   * TLS: "starttls" (RFC 6120 §5, the default of `bench:compare`), "direct" (XEP-0368) or
   * "none". The certificate must be valid for `localhost`; a self-signed one goes in
   * `caCerts`.
   */
  readonly tls?: TlsMode;
  /** Certificates (PEM) to trust besides the system's, e.g. the server's self-signed one. */
  readonly caCerts?: string[];
}

/** How a connection is secured. */
export type TlsMode = "none" | "starttls" | "direct";

/** A protocol failure the load generator counts. */
export class ProtocolError extends Error {}

/**
 * The value of an attribute of an element's start tag.
 *
 * @param el The element's text.
 * @param name The attribute's name.
 * @returns The value, or undefined.
 */
export function attr(el: string, name: string): string | undefined {
  const end = el.indexOf(">");
  let i = el.indexOf(` ${name}=`);
  if (i < 0 || i > end) return undefined;
  i += name.length + 2;
  const q = el[i];
  const j = el.indexOf(q, i + 1);
  return el.slice(i + 1, j);
}

/**
 * The text between an element's start and end tag.
 *
 * @param el The element's text.
 * @returns The inner text ("" for an empty element).
 */
export function inner(el: string): string {
  const start = el.indexOf(">");
  if (el[start - 1] === "/") return "";
  return el.slice(start + 1, el.lastIndexOf("<"));
}

/** One client connection. */
export class XmppConn {
  #conn: Deno.Conn;
  /** Set when `<proceed/>` arrived: the read loop stops so that TLS can take the socket. */
  #upgrading = false;
  readonly #decoder = new TextDecoder();
  #buf = "";
  #pos = 0;
  #depth = 0;
  #start = 0;
  #out = "";
  #flushScheduled = false;
  #writing: Promise<void> = Promise.resolve();
  #queue: string[] = [];
  #waiter: ((el: string | null) => void) | undefined;
  /** Set after login: every top-level element goes here instead of the queue. */
  onElement: ((el: string) => void) | undefined;
  /** Called once when the stream or the socket ends. */
  onEnd: (() => void) | undefined;
  /** Whether the stream or socket ended. */
  ended = false;
  /** The bound JID. */
  jid = "";

  private constructor(conn: Deno.Conn) {
    this.#conn = conn;
    this.#readLoop();
  }

  /**
   * Opens a TCP connection to 127.0.0.1, with TLS from the first byte when the target says
   * "direct".
   *
   * @param target The port and TLS mode.
   * @returns The connection.
   */
  static async connect(target: Pick<Target, "port" | "tls" | "caCerts">): Promise<XmppConn> {
    const tcp = await Deno.connect({ hostname: "127.0.0.1", port: target.port });
    tcp.setNoDelay(true);
    if (target.tls !== "direct") return new XmppConn(tcp);
    const tls = await Deno.startTls(tcp, { hostname: "localhost", caCerts: target.caCerts });
    await tls.handshake();
    return new XmppConn(tls);
  }

  async #readLoop(): Promise<void> {
    // A small buffer per connection: 10,000 idle connections must not hold 64 KiB each.
    const buf = new Uint8Array(READ_BUFFER_BYTES);
    try {
      while (true) {
        const n = await this.#conn.read(buf);
        if (n === null) break;
        this.#buf += this.#decoder.decode(buf.subarray(0, n), { stream: true });
        if (this.#scan()) break;
        if (this.#upgrading) return; // the socket is TLS's now
      }
    } catch {
      // reset by peer or closed by us
    }
    this.#end();
  }

  #end(): void {
    if (this.ended) return;
    this.ended = true;
    this.#waiter?.(null);
    this.#waiter = undefined;
    this.onEnd?.();
  }

  #emit(el: string): void {
    if (el.startsWith("<proceed")) this.#upgrading = true;
    if (this.onElement) this.onElement(el);
    else if (this.#waiter) {
      const w = this.#waiter;
      this.#waiter = undefined;
      w(el);
    } else this.#queue.push(el);
  }

  /** Cuts complete top-level elements out of the buffer; true at the stream's end. */
  #scan(): boolean {
    const buf = this.#buf;
    let pos = this.#pos;
    let closed = false;
    while (true) {
      const i = buf.indexOf("<", pos);
      if (i < 0) {
        pos = buf.length;
        break;
      }
      const j = buf.indexOf(">", i);
      if (j < 0) {
        pos = i;
        break;
      }
      pos = j + 1;
      const c = buf.charCodeAt(i + 1);
      if (c === 63 /* ? */ || c === 33 /* ! */) continue;
      if (c === 47 /* / */) {
        this.#depth--;
        if (this.#depth === 0) {
          closed = true;
          break;
        }
        if (this.#depth === 1) this.#emit(buf.slice(this.#start, pos));
        continue;
      }
      const selfClosing = buf.charCodeAt(j - 1) === 47;
      if (this.#depth === 0) {
        this.#depth = 1;
        this.#emit(buf.slice(i, pos)); // the stream header
      } else if (this.#depth === 1) {
        this.#start = i;
        if (selfClosing) this.#emit(buf.slice(i, pos));
        else this.#depth = 2;
      } else if (!selfClosing) this.#depth++;
    }
    if (this.#depth >= 2) {
      this.#buf = buf.slice(this.#start);
      this.#pos = pos - this.#start;
      this.#start = 0;
    } else {
      this.#buf = buf.slice(pos);
      this.#pos = 0;
    }
    return closed;
  }

  /**
   * The next top-level element (or stream header) before `onElement` is set.
   *
   * @param timeoutMs How long to wait.
   * @returns The element's text.
   */
  next(timeoutMs = 10_000): Promise<string> {
    const queued = this.#queue.shift();
    if (queued !== undefined) return Promise.resolve(queued);
    if (this.ended) return Promise.reject(new ProtocolError("Stream ended"));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#waiter = undefined;
        reject(new ProtocolError("Timed out waiting for the server"));
      }, timeoutMs);
      this.#waiter = (el) => {
        clearTimeout(timer);
        if (el === null) reject(new ProtocolError("Stream ended"));
        else resolve(el);
      };
    });
  }

  /**
   * Queues text to write; writes of one tick go out together.
   *
   * @param data XML text.
   */
  send(data: string): void {
    if (this.ended) return;
    this.#out += data;
    if (!this.#flushScheduled) {
      this.#flushScheduled = true;
      queueMicrotask(() => this.#flush());
    }
  }

  #flush(): void {
    this.#flushScheduled = false;
    const bytes = encoder.encode(this.#out);
    this.#out = "";
    this.#writing = this.#writing.then(() => this.#writeAll(bytes)).catch(() => this.#end());
  }

  async #writeAll(bytes: Uint8Array): Promise<void> {
    let off = 0;
    while (off < bytes.length) off += await this.#conn.write(bytes.subarray(off));
  }

  #header(domain: string): void {
    this.send(
      `<?xml version='1.0'?><stream:stream to='${domain}' version='1.0' xml:lang='en' ` +
        `xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'>`,
    );
  }

  /** Opens the stream; with STARTTLS, negotiates TLS and opens it again. */
  async #open(target: Target): Promise<string> {
    this.#header(target.domain);
    const features = await this.#features();
    if (target.tls !== "starttls") return features;
    if (!features.includes("urn:ietf:params:xml:ns:xmpp-tls")) {
      throw new ProtocolError("Server does not offer STARTTLS");
    }
    this.send("<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>");
    const proceed = await this.next();
    if (!proceed.startsWith("<proceed")) throw new ProtocolError("STARTTLS refused");
    const tls = await Deno.startTls(this.#conn as Deno.TcpConn, {
      hostname: "localhost",
      caCerts: target.caCerts,
    });
    await tls.handshake();
    this.#conn = tls;
    this.#upgrading = false;
    this.#buf = "";
    this.#pos = 0;
    this.#depth = 0; // RFC 6120 §5.4.3.3: a new stream over TLS
    this.#readLoop();
    this.#header(target.domain);
    return await this.#features();
  }

  async #features(): Promise<string> {
    const header = await this.next();
    if (!header.startsWith("<stream:stream")) throw new ProtocolError("Expected a stream header");
    const features = await this.next();
    if (!features.startsWith("<stream:features")) throw new ProtocolError("Expected features");
    return features;
  }

  /**
   * Opens the stream, authenticates, restarts and binds a resource.
   *
   * @param target Server and mechanism.
   * @param user The localpart.
   * @param password The password.
   * @param resource The resource to bind.
   */
  async login(target: Target, user: string, password: string, resource: string): Promise<void> {
    const features = await this.#open(target);
    if (!features.includes(`>${target.mechanism}<`)) {
      throw new ProtocolError(`Server does not offer ${target.mechanism}`);
    }
    const ns = "urn:ietf:params:xml:ns:xmpp-sasl";
    let scram: ScramSha1 | undefined;
    if (target.mechanism === "PLAIN") {
      this.send(`<auth xmlns='${ns}' mechanism='PLAIN'>${plain(user, password)}</auth>`);
    } else {
      scram = new ScramSha1(user, password);
      this.send(`<auth xmlns='${ns}' mechanism='SCRAM-SHA-1'>${scram.first()}</auth>`);
      const challenge = await this.next();
      if (!challenge.startsWith("<challenge")) throw new ProtocolError("SASL failed");
      this.send(`<response xmlns='${ns}'>${await scram.final(inner(challenge))}</response>`);
    }
    let outcome = await this.next();
    if (outcome.startsWith("<challenge") && scram) {
      // RFC 6120 §6.4.5: additional data may come in a challenge instead of in success.
      if (!scram.verify(inner(outcome))) throw new ProtocolError("Bad server signature");
      this.send(`<response xmlns='${ns}'/>`);
      outcome = await this.next();
      if (!outcome.startsWith("<success")) throw new ProtocolError("SASL failed");
    } else if (!outcome.startsWith("<success")) {
      throw new ProtocolError("SASL failed");
    } else if (scram && !scram.verify(inner(outcome))) {
      throw new ProtocolError("Bad server signature");
    }
    this.#depth = 0; // RFC 6120 §6.4.6: a new stream
    this.#header(target.domain);
    await this.#features();
    this.send(
      `<iq type='set' id='bind'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'>` +
        `<resource>${resource}</resource></bind></iq>`,
    );
    const bound = await this.next();
    if (!bound.startsWith("<iq") || attr(bound, "type") !== "result") {
      throw new ProtocolError("Bind failed");
    }
    const j = bound.indexOf("<jid>");
    this.jid = bound.slice(j + 5, bound.indexOf("</jid>", j));
  }

  /**
   * Creates an account with in-band registration (XEP-0077) before authenticating.
   *
   * @param target Server.
   * @param user The localpart.
   * @param password The password.
   * @returns False when the account exists already.
   */
  async register(target: Target, user: string, password: string): Promise<boolean> {
    await this.#open(target);
    this.send(
      `<iq type='set' id='reg'><query xmlns='jabber:iq:register'><username>${user}</username>` +
        `<password>${password}</password></query></iq>`,
    );
    const reply = await this.next();
    if (attr(reply, "type") === "result") return true;
    if (reply.includes("<conflict")) return false;
    throw new ProtocolError(`Cannot register "${user}": ${reply.slice(0, 200)}`);
  }

  /**
   * Switches from `next()` to a callback for every further element.
   *
   * @param cb Receives each top-level element.
   */
  listen(cb: (el: string) => void): void {
    this.onElement = cb;
    for (const el of this.#queue.splice(0)) cb(el);
  }

  /**
   * Ends the stream and closes the socket, waiting briefly for the server's stream end.
   *
   * @param waitMs How long to wait for the server to close.
   */
  async close(waitMs = 1000): Promise<void> {
    if (!this.ended) {
      this.send("</stream:stream>");
      if (this.#flushScheduled) this.#flush();
      await this.#writing;
      if (waitMs > 0) {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, waitMs);
          const prev = this.onEnd;
          this.onEnd = () => {
            clearTimeout(timer);
            prev?.();
            resolve();
          };
          if (this.ended) this.onEnd();
        });
      }
    }
    this.ended = true;
    // A pending next() fails now instead of at its timeout.
    const waiter = this.#waiter;
    this.#waiter = undefined;
    waiter?.(null);
    try {
      this.#conn.close();
    } catch { /* closed already */ }
  }
}

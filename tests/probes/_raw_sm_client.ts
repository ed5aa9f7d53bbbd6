// A lean c2s client for probes with many sessions: plain TCP, SCRAM-SHA-1 (the tests' own
// client, tests/sasl/_scram_client.ts), binding or XEP-0198 resumption, and the elements the
// server writes, parsed by Parley's stream parser.
import type { Element } from "../../mod.ts";
import { StreamParser } from "../../src/xml/stream_parser.ts";
import { b64, clientFinal, unb64 } from "../sasl/_scram_client.ts";

const SASL = "urn:ietf:params:xml:ns:xmpp-sasl";
const HEADER = "<?xml version='1.0'?><stream:stream xmlns='jabber:client' " +
  "xmlns:stream='http://etherx.jabber.org/streams' to='localhost' version='1.0'>";
const enc = new TextEncoder();

/** One connection, from the first byte to binding or resumption. */
export class RawSmClient {
  readonly #conn: Deno.Conn;
  #parser = new StreamParser({ maxStanzaBytes: 1 << 20, maxDepth: 64 });
  /** Top-level elements not taken by `next` yet, in order. */
  readonly elements: Element[] = [];
  #wake: (() => void) | undefined;
  closed = false;

  private constructor(conn: Deno.Conn) {
    this.#conn = conn;
    this.#read();
  }

  async #read(): Promise<void> {
    const buf = new Uint8Array(64 * 1024);
    try {
      while (true) {
        const n = await this.#conn.read(buf);
        if (n === null) break;
        for (const ev of this.#parser.push(buf.subarray(0, n))) {
          if (ev.kind === "element") this.elements.push(ev.element);
        }
        this.#wake?.();
      }
    } catch { /* dropped */ }
    this.closed = true;
    this.#wake?.();
  }

  /** Writes raw XML. */
  async write(text: string): Promise<void> {
    const bytes = enc.encode(text);
    let at = 0;
    while (at < bytes.length) at += await this.#conn.write(bytes.subarray(at));
  }

  /** Takes the first element that matches, waiting up to `ms`. */
  async next(match: (el: Element) => boolean, ms = 30_000): Promise<Element> {
    const deadline = Date.now() + ms;
    while (true) {
      const i = this.elements.findIndex(match);
      if (i !== -1) return this.elements.splice(i, 1)[0];
      if (this.closed) throw new Error("Connection closed");
      const left = deadline - Date.now();
      if (left <= 0) throw new Error("Timed out waiting for an element");
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.#wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
  }

  /** Drops the connection without a stream end, as a lost network does. */
  drop(): void {
    try {
      this.#conn.close();
    } catch { /* closed */ }
  }

  /** Connects and authenticates with SCRAM-SHA-1; the stream is restarted, not bound. */
  static async login(port: number, user: string, password: string): Promise<RawSmClient> {
    const c = new RawSmClient(await Deno.connect({ hostname: "127.0.0.1", port }));
    await c.write(HEADER);
    await c.next((el) => el.name === "features");
    const nonce = crypto.randomUUID().replaceAll("-", "");
    const clientFirstBare = `n=${user},r=${nonce}`;
    await c.write(
      `<auth xmlns='${SASL}' mechanism='SCRAM-SHA-1'>${btoa(`n,,${clientFirstBare}`)}</auth>`,
    );
    const challenge = await c.next((el) => el.xmlns === SASL);
    if (challenge.name !== "challenge") throw new Error(`SASL: ${challenge.name}`);
    const serverFirst = new TextDecoder().decode(unb64(String(challenge.children[0] ?? "")));
    const final = await clientFinal({
      hash: "SHA-1",
      password,
      gs2Header: "n,,",
      clientFirstBare,
      serverFirst,
    });
    await c.write(`<response xmlns='${SASL}'>${b64(enc.encode(final.message))}</response>`);
    const success = await c.next((el) => el.xmlns === SASL);
    if (success.name !== "success") throw new Error(`SASL: ${success.name}`);
    c.#parser = new StreamParser({ maxStanzaBytes: 1 << 20, maxDepth: 64 });
    await c.write(HEADER);
    await c.next((el) => el.name === "features");
    return c;
  }
}

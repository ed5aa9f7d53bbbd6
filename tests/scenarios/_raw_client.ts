// A raw c2s client bound to a chosen loopback source address (127.0.0.0/8), so that a test can
// play clients from different remote addresses.
import * as net from "node:net";
import * as tls from "node:tls";

/** A raw client socket bound to a local loopback address, as a client elsewhere. */
export class RawClient {
  #text = "";
  #waiters: (() => void)[] = [];
  closed = false;

  constructor(readonly socket: net.Socket) {
    socket.setEncoding("utf8");
    socket.on("data", (chunk: string) => {
      this.#text += chunk;
      this.#wake();
    });
    socket.on("close", () => {
      this.closed = true;
      this.#wake();
    });
    socket.on("error", () => {});
  }

  static open(port: number, localAddress: string, secure: boolean): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const raw = net.connect({ host: "127.0.0.1", port, localAddress });
      raw.once("error", reject);
      raw.once("connect", () => {
        if (!secure) return resolve(new RawClient(raw));
        const socket = tls.connect({
          socket: raw,
          rejectUnauthorized: false,
          servername: "localhost",
        });
        socket.once("secureConnect", () => resolve(new RawClient(socket)));
        socket.once("error", reject);
      });
    });
  }

  #wake() {
    for (const w of this.#waiters.splice(0)) w();
  }

  /** Waits for `pattern` in what arrived, consumes up to its end; `undefined` once closed. */
  async until(pattern: RegExp, ms = 15_000): Promise<RegExpExecArray | undefined> {
    const deadline = Date.now() + ms;
    while (true) {
      const m = pattern.exec(this.#text);
      if (m) {
        this.#text = this.#text.slice(m.index + m[0].length);
        return m;
      }
      if (this.closed) return undefined;
      if (Date.now() > deadline) throw new Error(`Timed out waiting for ${pattern}`);
      await new Promise<void>((resolve) => {
        this.#waiters.push(resolve);
        setTimeout(resolve, 200);
      });
    }
  }

  write(text: string) {
    if (!this.closed) this.socket.write(text);
  }

  close() {
    this.socket.destroy();
  }
}

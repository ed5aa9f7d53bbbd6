// A TCP relay between clients and a server that fails as a mobile network does: it can lose
// what clients send, or everything both ways, for a while (the peers still think they are
// connected), and then cut every connection.

/** A relay on an ephemeral loopback port to `127.0.0.1:target`. */
export class CutProxy {
  readonly #listener: Deno.Listener;
  readonly #target: number;
  readonly #pairs = new Set<[Deno.Conn, Deno.Conn]>();
  #accepting: Promise<void>;
  /**
   * What is read and dropped: nothing, what clients send ("to-server": the server still
   * writes, but hears nothing back), or everything.
   */
  blackhole: "none" | "to-server" | "both" = "none";
  /** Connections accepted so far. */
  accepted = 0;

  private constructor(listener: Deno.Listener, target: number) {
    this.#listener = listener;
    this.#target = target;
    this.#accepting = this.#accept();
  }

  /** Starts a relay to a loopback port. */
  static start(target: number): CutProxy {
    return new CutProxy(Deno.listen({ hostname: "127.0.0.1", port: 0 }), target);
  }

  /** The relay's port. */
  get port(): number {
    return (this.#listener.addr as Deno.NetAddr).port;
  }

  async #accept(): Promise<void> {
    for await (const client of this.#listener) {
      this.accepted++;
      let server: Deno.Conn;
      try {
        server = await Deno.connect({ hostname: "127.0.0.1", port: this.#target });
      } catch {
        client.close();
        continue;
      }
      const pair: [Deno.Conn, Deno.Conn] = [client, server];
      this.#pairs.add(pair);
      this.#pump(client, server, pair, () => this.blackhole !== "none");
      this.#pump(server, client, pair, () => this.blackhole === "both");
    }
  }

  async #pump(
    from: Deno.Conn,
    to: Deno.Conn,
    pair: [Deno.Conn, Deno.Conn],
    dropping: () => boolean,
  ): Promise<void> {
    const buf = new Uint8Array(64 * 1024);
    try {
      while (true) {
        const n = await from.read(buf);
        if (n === null) break;
        if (dropping()) continue;
        let at = 0;
        while (at < n) at += await to.write(buf.subarray(at, n));
      }
    } catch { /* cut */ }
    this.#close(pair);
  }

  #close(pair: [Deno.Conn, Deno.Conn]): void {
    if (!this.#pairs.delete(pair)) return;
    for (const conn of pair) {
      try {
        conn.close();
      } catch { /* closed */ }
    }
  }

  /** Closes every relayed connection at once (both peers see their connection end). */
  cut(): void {
    for (const pair of [...this.#pairs]) this.#close(pair);
  }

  /** Stops accepting and cuts everything. */
  async close(): Promise<void> {
    this.#listener.close();
    this.cut();
    await this.#accepting.catch(() => {});
  }
}

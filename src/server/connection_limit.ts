/**
 * A cap on concurrent connections per remote address (issue #10): one address cannot hold
 * every socket the server has.
 *
 * @module
 */
import type { ByteStream } from "../base/transport.ts";
import type { Framing } from "../stream/framing.ts";
import type { StreamError } from "../base/stream_error.ts";

/**
 * Counts open connections per remote address.
 *
 * @example
 * ```ts
 * import { ConnectionLimiter } from "./connection_limit.ts";
 * const limiter = new ConnectionLimiter(1);
 * if (!limiter.acquire("192.0.2.1") || limiter.acquire("192.0.2.1")) throw new Error();
 * limiter.release("192.0.2.1");
 * if (!limiter.acquire("192.0.2.1")) throw new Error();
 * ```
 */
export class ConnectionLimiter {
  readonly #max: number;
  readonly #open = new Map<string, number>();

  /**
   * Creates a limiter.
   *
   * @param max Connections one address may have open at once.
   */
  constructor(max: number) {
    this.#max = max;
  }

  /**
   * Counts a new connection, unless its address is at the cap. A connection whose address is
   * unknown is not limited.
   *
   * @param address The remote address.
   * @returns `true` when the connection may proceed (then {@linkcode release} it once closed).
   */
  acquire(address: string | undefined): boolean {
    if (address === undefined) return true;
    const n = this.#open.get(address) ?? 0;
    if (n >= this.#max) return false;
    this.#open.set(address, n + 1);
    return true;
  }

  /**
   * Counts a connection accepted by {@linkcode acquire} as closed.
   *
   * @param address The remote address.
   */
  release(address: string | undefined): void {
    if (address === undefined) return;
    const n = (this.#open.get(address) ?? 0) - 1;
    if (n > 0) this.#open.set(address, n);
    else this.#open.delete(address);
  }

  /**
   * Open connections of an address.
   *
   * @param address The remote address.
   * @returns The count.
   */
  count(address: string): number {
    return this.#open.get(address) ?? 0;
  }
}

/**
 * Turns a connection away before any session exists for it: our stream header, the stream
 * error and our stream end (RFC 6120 §4.9.1.2), then the transport is closed. Never throws.
 *
 * @param stream The connection.
 * @param framing Its wire format.
 * @param domain Our domain, for the header's `from`.
 * @param error The stream error, e.g. `<policy-violation/>`.
 * @returns When the transport is closed.
 * @example
 * ```ts
 * import { refuseConnection } from "./connection_limit.ts";
 * import { streamFraming } from "../stream/framing.ts";
 * import { StreamError } from "../base/stream_error.ts";
 * const chunks: Uint8Array[] = [];
 * const stream = {
 *   readable: new ReadableStream<Uint8Array>(),
 *   writable: new WritableStream<Uint8Array>({ write: (c) => void chunks.push(c) }),
 *   info: { kind: "tcp", secure: false },
 *   close: () => Promise.resolve(),
 * };
 * await refuseConnection(stream, streamFraming, "localhost", new StreamError("policy-violation"));
 * if (!new TextDecoder().decode(chunks[0]).includes("<policy-violation")) throw new Error();
 * ```
 */
export async function refuseConnection(
  stream: ByteStream,
  framing: Framing,
  domain: string,
  error: StreamError,
): Promise<void> {
  const text = framing.open({ from: domain, id: "refused", version: "1.0", "xml:lang": "en" }) +
    framing.element(error.toElement()) + framing.close();
  try {
    const writer = stream.writable.getWriter();
    await Promise.race([
      writer.write(new TextEncoder().encode(text)),
      new Promise((resolve) => setTimeout(resolve, 1000)),
    ]);
    writer.releaseLock();
  } catch { /* the peer is gone already */ }
  await stream.close().catch(() => {});
}

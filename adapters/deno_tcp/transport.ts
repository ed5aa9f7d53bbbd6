/**
 * TCP transports for {@linkcode XmppServer.listen}: c2s with STARTTLS (RFC 6120 §5) and
 * direct TLS (XEP-0368).
 *
 * @module
 */
import type { Logger } from "../../src/base/logger.ts";
import type { Listening, Transport } from "../../src/server/server.ts";
import type { TlsCredentials } from "./certificate.ts";
import { listenTcp, type TcpListener } from "./listen.ts";

/** Options of a TCP transport. */
export interface TcpTransportOptions {
  /** Address to bind; default "0.0.0.0". */
  readonly hostname?: string;
  /** Port; 0 picks a free one. */
  readonly port: number;
  /** Certificate and key: needed for STARTTLS and direct TLS. */
  readonly tls?: TlsCredentials;
  /** TLS from the first byte (XEP-0368), usually on port 5223. */
  readonly directTls?: boolean;
  /** Called once listening, with the bound port (useful with port 0). */
  readonly onListen?: (listener: TcpListener) => void;
  /** Where failed TLS handshakes and listener errors are logged; default silent. */
  readonly logger?: Logger;
}

/**
 * A TCP transport.
 *
 * @param options Address, port and TLS.
 * @returns The transport, for `server.listen()`.
 * @example
 * ```ts ignore
 * import { createServer } from "../../mod.ts";
 * import { tcpTransport } from "./transport.ts";
 * const server = await createServer();
 * await server.listen(tcpTransport({ port: 5222 }));
 * ```
 */
export function tcpTransport(options: TcpTransportOptions): Transport {
  return {
    async start(accept): Promise<Listening> {
      if (options.directTls && !options.tls) {
        throw new TypeError("Cannot listen with direct TLS: no certificate given");
      }
      const listener = await listenTcp({
        hostname: options.hostname,
        port: options.port,
        tls: options.tls,
        directTls: options.directTls,
        logger: options.logger,
      }, (stream) => accept(stream));
      options.onListen?.(listener);
      return { close: () => listener.close() };
    },
  };
}

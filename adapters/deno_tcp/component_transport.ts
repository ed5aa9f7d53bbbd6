/**
 * The XEP-0114 component port: a TCP listener, on loopback by default, whose connections go to
 * the external components module.
 *
 * @module
 */
import type { Logger } from "../../src/base/logger.ts";
import type { ExternalComponents } from "../../src/modules/external_components.ts";
import type { Listening, Transport } from "../../src/server/server.ts";
import { listenTcp, type TcpListener } from "./listen.ts";

/** Options of {@linkcode componentTransport}. */
export interface ComponentTransportOptions {
  /** Address to bind; default "127.0.0.1" (components usually run on the same host). */
  readonly hostname?: string;
  /** Port; 0 picks a free one. The usual one is 5347. */
  readonly port: number;
  /** Called once listening, with the bound port. */
  readonly onListen?: (listener: TcpListener) => void;
  /** Where listener errors are logged; default silent. */
  readonly logger?: Logger;
}

/**
 * The component port as a transport for `server.listen()`: every connection is handed to the
 * module (`externalComponents()`), which must be loaded into the same server.
 *
 * @param components The loaded module.
 * @param options Address and port.
 * @returns The transport.
 * @example
 * ```ts ignore
 * import { createServer, externalComponents } from "@parley/server";
 * import { componentTransport } from "@parley/server/deno-tcp";
 * const components = externalComponents({ secrets: { "echo.localhost": "secret" } });
 * const server = await createServer({ modules: [components] });
 * await server.listen(componentTransport(components, { port: 5347 }));
 * ```
 */
export function componentTransport(
  components: ExternalComponents,
  options: ComponentTransportOptions,
): Transport {
  return {
    async start(): Promise<Listening> {
      const listener = await listenTcp({
        hostname: options.hostname ?? "127.0.0.1",
        port: options.port,
        logger: options.logger,
      }, (stream) => void components.accept(stream));
      options.onListen?.(listener);
      return { close: () => listener.close() };
    },
  };
}

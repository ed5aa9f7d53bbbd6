/**
 * The Deno TCP adapter: listens on TCP, with STARTTLS (RFC 6120 §5) and direct TLS
 * (XEP-0368), and gives the core each connection as a `ByteStream`. It also loads TLS
 * certificates, or creates a self-signed one for a development domain.
 *
 * Needs `--allow-net`, and `--allow-read`/`--allow-write` for certificate files.
 *
 * @example Serve a development domain with STARTTLS
 * ```ts ignore
 * import { listenTcp, loadOrCreateSelfSigned } from "@parley/server/deno-tcp";
 *
 * const tls = await loadOrCreateSelfSigned("./data/certs", "localhost");
 * const listener = await listenTcp({ port: 5222, tls }, (stream) => {
 *   console.log("Connection from", stream.info.remoteAddress);
 *   void stream.close();
 * });
 * ```
 *
 * @module
 */

export { loadCertificate, loadOrCreateSelfSigned } from "./certificate.ts";
export type { TlsCredentials } from "./certificate.ts";
export { listenTcp } from "./listen.ts";
export type { ConnectionHandler, ListenTcpOptions, TcpListener } from "./listen.ts";
export { tcpTransport } from "./transport.ts";
export { componentTransport } from "./component_transport.ts";
export type { ComponentTransportOptions } from "./component_transport.ts";
export { dnsSrvResolver, parseTarget, s2sConnector, s2sTransport } from "./s2s.ts";
export type { S2sConnectorOptions, S2sResolver, S2sTarget, S2sTransportOptions } from "./s2s.ts";
export type { TcpTransportOptions } from "./transport.ts";

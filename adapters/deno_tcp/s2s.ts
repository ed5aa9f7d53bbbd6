/**
 * Server-to-server transport: the s2s port (STARTTLS on the server side, RFC 6120 §5) and the
 * connector that finds a remote domain's server (a static route, else DNS SRV
 * `_xmpp-server._tcp`, else the domain itself on 5269, RFC 6120 §3.2) and connects to it, with
 * STARTTLS on the client side through `node:tls`.
 *
 * @module
 */
import * as net from "node:net";
import * as tls from "node:tls";
import type { Logger } from "../../src/base/logger.ts";
import type { ByteStream } from "../../src/base/transport.ts";
import type { Federation, S2sConnector } from "../../src/modules/s2s/federation.ts";
import type { Listening, Transport } from "../../src/server/server.ts";
import type { TlsCredentials } from "./certificate.ts";
import { listenTcp, type TcpListener } from "./listen.ts";
import { socketStreams } from "./_socket_streams.ts";

/** A host and port to connect to. */
export interface S2sTarget {
  /** Host name or address. */
  readonly host: string;
  /** Port. */
  readonly port: number;
  /** XEP-0368: TLS from the first byte (an `_xmpps-server._tcp` record). */
  readonly directTls?: boolean;
}

/** Finds the servers of a domain (DNS SRV, RFC 6120 §3.2.1). */
export type S2sResolver = (domain: string) => Promise<S2sTarget[]>;

/** Options of {@linkcode s2sConnector}. */
export interface S2sConnectorOptions {
  /** Static routes that override DNS, e.g. `{ "b.localhost": "127.0.0.1:5270" }`. */
  readonly routes?: Readonly<Record<string, string>>;
  /** How domains are resolved; default {@linkcode dnsSrvResolver}. */
  readonly resolve?: S2sResolver;
  /** Time to open one TCP connection; default 10,000 ms. */
  readonly connectTimeoutMs?: number;
  /** Time for the TLS handshake after STARTTLS; default 10,000 ms. */
  readonly tlsTimeoutMs?: number;
  /**
   * Our certificate, presented as the client's: a peer that trusts it offers SASL EXTERNAL
   * (XEP-0178), else dialback is used.
   */
  readonly tls?: TlsCredentials;
}

/**
 * Parses `HOST:PORT` (IPv6 in brackets), or `tls:HOST:PORT` for direct TLS (XEP-0368).
 *
 * @param value E.g. "127.0.0.1:5269".
 * @returns The target.
 * @throws {TypeError} When it is not HOST:PORT.
 * @example
 * ```ts
 * import { parseTarget } from "./s2s.ts";
 * if (parseTarget("[::1]:5269").host !== "::1") throw new Error();
 * if (!parseTarget("tls:127.0.0.1:5270").directTls) throw new Error();
 * ```
 */
export function parseTarget(value: string): S2sTarget {
  const directTls = value.startsWith("tls:");
  const m = /^\[?([^\]]+?)\]?:(\d{1,5})$/.exec(directTls ? value.slice(4) : value);
  const port = m ? Number(m[2]) : NaN;
  if (!m || port < 1 || port > 65535) {
    throw new TypeError(`Cannot use s2s route "${value}": expected HOST:PORT or tls:HOST:PORT`);
  }
  return directTls ? { host: m[1], port, directTls } : { host: m[1], port };
}

/**
 * Resolves `_xmpps-server._tcp.DOMAIN` (direct TLS, XEP-0368) and `_xmpp-server._tcp.DOMAIN`
 * SRV records (by priority, then weight), else the domain itself on 5269 (RFC 6120 §3.2.1,
 * §3.2.2). A "." target means no service.
 *
 * @param domain The domain.
 * @returns The targets, in order.
 */
export async function dnsSrvResolver(domain: string): Promise<S2sTarget[]> {
  // XEP-0368 §3: direct TLS and STARTTLS records are tried together, by priority and weight.
  const [tls, tcp] = await Promise.all([
    srv(`_xmpps-server._tcp.${domain}`, true),
    srv(`_xmpp-server._tcp.${domain}`, false),
  ]);
  if (tls === undefined && tcp === undefined) return [{ host: domain, port: 5269 }];
  return [...tls ?? [], ...tcp ?? []]
    .sort((a, b) => a.priority - b.priority || b.weight - a.weight)
    .map(({ target }) => target);
}

type Ranked = { target: S2sTarget; priority: number; weight: number };

/** The targets of one SRV name; `undefined` when it has no record, `[]` for "no service". */
async function srv(name: string, directTls: boolean): Promise<Ranked[] | undefined> {
  try {
    const records = await Deno.resolveDns(name, "SRV");
    if (records.length === 0) return undefined;
    if (records.length === 1 && records[0].target === ".") return [];
    return records.map((r) => ({
      target: {
        host: r.target.replace(/\.$/, ""),
        port: r.port,
        ...directTls ? { directTls } : {},
      },
      priority: r.priority,
      weight: r.weight,
    }));
  } catch {
    return undefined;
  }
}

function connectTcp(target: S2sTarget, timeoutMs: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: target.host, port: target.port });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`No TCP connection to ${target.host}:${target.port} in ${timeoutMs} ms`));
    }, timeoutMs);
    socket.once("connect", () => {
      clearTimeout(timer);
      socket.off("error", reject);
      socket.setNoDelay(true);
      resolve(socket);
    });
    socket.once("error", (e) => {
      clearTimeout(timer);
      reject(e);
    });
  });
}

function closeSocket(socket: net.Socket): Promise<void> {
  return new Promise((resolve) => {
    if (socket.destroyed) return resolve();
    const timer = setTimeout(() => socket.destroy(), 3000);
    socket.once("close", () => {
      clearTimeout(timer);
      resolve();
    });
    socket.end();
  });
}

function clientStream(
  socket: net.Socket,
  domain: string,
  tlsTimeoutMs: number,
  credentials: TlsCredentials | undefined,
): ByteStream {
  socket.on("error", () => {}); // reported through the streams
  const streams = socketStreams(socket);
  let upgraded: Promise<ByteStream> | undefined;
  return {
    readable: streams.readable,
    writable: streams.writable,
    info: { kind: "tcp", secure: false, remoteAddress: socket.remoteAddress },
    close: () => upgraded ? upgraded.then((s) => s.close(), () => {}) : closeSocket(socket),
    startTls() {
      streams.detach(new Error("The connection was upgraded to TLS"));
      // Dialback authenticates the peer (XEP-0220), so its certificate is not verified here.
      upgraded = new Promise<ByteStream>((resolve, reject) => {
        const secure = tls.connect({
          socket,
          servername: domain,
          rejectUnauthorized: false,
          ALPNProtocols: ["xmpp-server"],
          ...credentials ? { cert: credentials.certPem, key: credentials.keyPem } : {},
        });
        const timer = setTimeout(() => {
          secure.destroy();
          reject(new Error("TLS handshake timed out"));
        }, tlsTimeoutMs);
        secure.once("secureConnect", () => {
          clearTimeout(timer);
          secure.on("error", () => {});
          const s = socketStreams(secure, { under: socket });
          resolve({
            readable: s.readable,
            writable: s.writable,
            info: { kind: "tcp", secure: true, remoteAddress: socket.remoteAddress },
            close: () => closeSocket(secure),
          });
        });
        secure.once("error", (e) => {
          clearTimeout(timer);
          reject(new Error("TLS handshake failed", { cause: e }));
        });
      });
      return upgraded;
    },
  };
}

/**
 * The connector of the federation module: static routes, else DNS; TCP; client STARTTLS.
 *
 * @param options Routes and timeouts.
 * @returns The connector.
 * @example
 * ```ts ignore
 * import { federation } from "@parley/server";
 * import { s2sConnector } from "@parley/server/deno-tcp";
 * const s2s = federation({
 *   secret: "change me",
 *   connector: s2sConnector({ routes: { "b.localhost": "127.0.0.1:5270" } }),
 * });
 * ```
 */
export function s2sConnector(options: S2sConnectorOptions = {}): S2sConnector {
  const routes = new Map(
    Object.entries(options.routes ?? {}).map(([d, t]) => [d.toLowerCase(), parseTarget(t)]),
  );
  const resolve = options.resolve ?? dnsSrvResolver;
  const connectTimeoutMs = options.connectTimeoutMs ?? 10_000;
  const tlsTimeoutMs = options.tlsTimeoutMs ?? 10_000;
  return {
    async connect(domain) {
      const route = routes.get(domain);
      const targets = route ? [route] : await resolve(domain);
      let last: unknown = new Error(`No server for "${domain}"`);
      for (const target of targets) {
        try {
          const socket = await connectTcp(target, connectTimeoutMs);
          const stream = clientStream(socket, domain, tlsTimeoutMs, options.tls);
          // XEP-0368: TLS at once, with ALPN "xmpp-server".
          return target.directTls ? await stream.startTls!() : stream;
        } catch (e) {
          last = e;
        }
      }
      throw last;
    },
  };
}

/** Options of {@linkcode s2sTransport}. */
export interface S2sTransportOptions {
  /** Address to bind; default "0.0.0.0". */
  readonly hostname?: string;
  /** Port; 0 picks a free one. The usual one is 5269. */
  readonly port: number;
  /** Certificate and key for STARTTLS. */
  readonly tls?: TlsCredentials;
  /** Time allowed for the TLS handshake after STARTTLS; default 30,000 ms. */
  readonly handshakeTimeoutMs?: number;
  /** XEP-0368: TLS from the first byte (an `_xmpps-server._tcp` port) instead of STARTTLS. */
  readonly directTls?: boolean;
  /**
   * CA certificates (PEM) whose server certificates authenticate a peer with SASL EXTERNAL
   * (XEP-0178): peers are asked for a certificate, and one issued by these for the peer's
   * domain makes EXTERNAL available. Without it, only dialback.
   */
  readonly trust?: readonly string[];
  /** Called once listening, with the bound port. */
  readonly onListen?: (listener: TcpListener) => void;
  /** Where failed TLS handshakes and listener errors are logged; default silent. */
  readonly logger?: Logger;
}

/**
 * The s2s port as a transport for `server.listen()`: every connection goes to the federation
 * module, which must be loaded into the same server.
 *
 * @param s2s The loaded federation module.
 * @param options Address, port, certificate.
 * @returns The transport.
 * @example
 * ```ts ignore
 * import { createServer, federation } from "@parley/server";
 * import { s2sConnector, s2sTransport } from "@parley/server/deno-tcp";
 * const s2s = federation({ secret: "change me", connector: s2sConnector() });
 * const server = await createServer({ modules: [s2s] });
 * await server.listen(s2sTransport(s2s, { port: 5269 }));
 * ```
 */
export function s2sTransport(s2s: Federation, options: S2sTransportOptions): Transport {
  return {
    async start(): Promise<Listening> {
      const listener = await listenTcp({
        hostname: options.hostname,
        port: options.port,
        tls: options.tls,
        directTls: options.directTls,
        handshakeTimeoutMs: options.handshakeTimeoutMs,
        clientCertificates: options.trust ? { trust: options.trust } : undefined,
        logger: options.logger,
      }, (stream) => void s2s.accept(stream));
      options.onListen?.(listener);
      return { close: () => listener.close() };
    },
  };
}

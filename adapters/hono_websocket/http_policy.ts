/**
 * What the web transports decide from an HTTP request: whether its Origin may connect, and
 * whether the connection counts as secure for authentication.
 *
 * @module
 */

/**
 * Which browser origins may connect: a list of origins (`"https://app.example.com"`), `"*"`
 * for any, or a function. Requests without an `Origin` header (non-browser clients) and
 * same-origin requests are always allowed.
 */
export type OriginPolicy =
  | readonly string[]
  | "*"
  | ((origin: string, request: Request) => boolean);

const LOOPBACK = new Set(["localhost", "127.0.0.1", "[::1]"]);

function requestHost(request: Request): string {
  return request.headers.get("host") ?? new URL(request.url).host;
}

/**
 * Decides whether a request's `Origin` may use the endpoint. Without a policy: same-origin
 * and loopback origins (`http://localhost:*`, `127.0.0.1`, `[::1]`), for local development.
 *
 * @param request The HTTP request.
 * @param policy The configured policy.
 * @returns Whether the origin is allowed.
 * @example
 * ```ts
 * import { originAllowed } from "./http_policy.ts";
 * const req = new Request("http://chat.example/xmpp-websocket", {
 *   headers: { origin: "https://evil.example", host: "chat.example" },
 * });
 * if (originAllowed(req, undefined)) throw new Error();
 * ```
 */
export function originAllowed(request: Request, policy: OriginPolicy | undefined): boolean {
  const origin = request.headers.get("origin");
  if (origin === null) return true;
  let url: URL;
  try {
    url = new URL(origin);
  } catch {
    return false; // "null" (sandboxed pages, file:) and garbage
  }
  if (url.host === requestHost(request)) return true;
  if (policy === undefined) return LOOPBACK.has(url.hostname);
  if (policy === "*") return true;
  if (typeof policy === "function") return policy(origin, request);
  return policy.includes(url.origin);
}

/**
 * Whether the request arrived over TLS: an `https:` URL (Deno.serve with a certificate, i.e.
 * wss://), or, with `trustProxy`, `X-Forwarded-Proto: https` set by a TLS-terminating proxy.
 * Plain `ws://` and `http://` are never secure, loopback included.
 *
 * @param request The HTTP request.
 * @param trustProxy Whether a proxy in front sets `X-Forwarded-Proto`.
 * @returns Whether the transport counts as TLS.
 * @example
 * ```ts
 * import { requestIsSecure } from "./http_policy.ts";
 * if (requestIsSecure(new Request("http://localhost/"), false)) throw new Error();
 * ```
 */
export function requestIsSecure(request: Request, trustProxy: boolean): boolean {
  if (new URL(request.url).protocol === "https:") return true;
  if (!trustProxy) return false;
  const proto = request.headers.get("x-forwarded-proto")?.split(",")[0].trim().toLowerCase();
  return proto === "https";
}

/**
 * The client address: the connection's, or with `trustProxy` the first `X-Forwarded-For`.
 *
 * @param request The HTTP request.
 * @param trustProxy Whether a proxy in front sets `X-Forwarded-For`.
 * @param connAddress The socket's remote address, if the runtime gives it.
 * @returns The address, for logs.
 */
export function clientAddress(
  request: Request,
  trustProxy: boolean,
  connAddress?: string,
): string | undefined {
  if (trustProxy) {
    const forwarded = request.headers.get("x-forwarded-for")?.split(",")[0].trim();
    if (forwarded) return forwarded;
  }
  return connAddress;
}

/**
 * BOSH (XEP-0124, XEP-0206) as a Hono handler: each session drives the same `ClientSession`,
 * negotiation and router as TCP through a `ByteStream` built from the HTTP requests.
 *
 * @module
 */
import type { Context } from "hono";
import type { XmppServer } from "../../src/server/server.ts";
import type { Element } from "../../src/xml/element.ts";
import { StreamParser } from "../../src/xml/stream_parser.ts";
import { BoshSession, NS_HTTPBIND, terminate } from "./_bosh_session.ts";
import { clientAddress, originAllowed, type OriginPolicy, requestIsSecure } from "./http_policy.ts";

/** Options of {@linkcode xmppBosh}. */
export interface BoshOptions {
  /** Browser origins allowed (CORS); default same-origin and loopback origins. */
  readonly origins?: OriginPolicy;
  /** Trust `X-Forwarded-Proto`/`X-Forwarded-For` from a TLS-terminating proxy. */
  readonly trustProxy?: boolean;
  /** Offer PLAIN over plain `http://` (local development only). Default `false`. */
  readonly allowPlainWithoutTls?: boolean;
  /** Refuse sessions that are not TLS. Default `false`. */
  readonly requireTls?: boolean;
  /** Longest `wait`, in seconds. Default 60. */
  readonly maxWait?: number;
  /** Seconds without a request after which a session ends. Default 60. */
  readonly inactivity?: number;
  /** Largest request body, in bytes. Default 262144. */
  readonly maxBodyBytes?: number;
}

/** A Hono handler for POST (and OPTIONS, for CORS) on the BOSH path. */
export type BoshHandler = (c: Context) => Promise<Response>;

const XML_TYPE = "text/xml; charset=utf-8";

function positive(name: string, value: number | undefined, fallback: number): number {
  const v = value ?? fallback;
  if (!Number.isInteger(v) || v < 1) {
    throw new RangeError(`Option "${name}" must be a positive integer`);
  }
  return v;
}

async function readLimited(request: Request, max: number): Promise<Uint8Array | undefined> {
  const declared = Number(request.headers.get("content-length") ?? "0");
  if (declared > max) {
    await request.body?.cancel().catch(() => {});
    return undefined;
  }
  const chunks: Uint8Array[] = [];
  let size = 0;
  if (request.body) {
    const reader = request.body.getReader();
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      size += value.length;
      if (size > max) {
        await reader.cancel().catch(() => {});
        return undefined;
      }
      chunks.push(value);
    }
  }
  const all = new Uint8Array(size);
  let at = 0;
  for (const c of chunks) {
    all.set(c, at);
    at += c.length;
  }
  return all;
}

function parseBody(bytes: Uint8Array, max: number): Element | undefined {
  try {
    const parser = new StreamParser({ framed: true, maxStanzaBytes: max, maxDepth: 40 });
    const events = [...parser.push(bytes)];
    const rest = parser.rest().some((b) => b > 0x20);
    if (events.length !== 1 || rest || events[0].kind !== "element") return undefined;
    const body = events[0].element;
    return body.name === "body" && body.xmlns === NS_HTTPBIND ? body : undefined;
  } catch {
    return undefined;
  }
}

function intAttr(body: Element, name: string): number | undefined {
  const v = body.attrs[name];
  if (v === undefined || !/^\d{1,16}$/.test(v)) return undefined;
  const n = Number(v);
  return Number.isSafeInteger(n) ? n : undefined;
}

/**
 * Creates the BOSH endpoint. Binding errors are HTTP 200 with `<body type='terminate'/>`
 * (XEP-0124 §14.2): `bad-request` for a malformed body, `item-not-found` for an unknown sid
 * or a rid outside the window or already answered and forgotten (§14.3), `policy-violation` for
 * a body over `maxBodyBytes`. A forbidden Origin gets 403.
 *
 * @param server The XMPP server.
 * @param options Limits, origins and TLS trust.
 * @returns The handler, for `app.post("/http-bind", …)` and `app.options(…)`.
 */
export function xmppBosh(server: XmppServer, options: BoshOptions = {}): BoshHandler {
  const sessions = new Map<string, BoshSession>();
  const maxWait = positive("maxWait", options.maxWait, 60);
  const inactivity = positive("inactivity", options.inactivity, 60);
  const maxBody = positive("maxBodyBytes", options.maxBodyBytes, 262144);
  const trustProxy = options.trustProxy ?? false;

  return async (c) => {
    const request = c.req.raw;
    if (!originAllowed(request, options.origins)) {
      return new Response("Origin not allowed", { status: 403 });
    }
    const origin = request.headers.get("origin");
    const cors: Record<string, string> = origin
      ? {
        "access-control-allow-origin": origin,
        "access-control-allow-methods": "POST, OPTIONS",
        "access-control-allow-headers": "content-type",
        "access-control-max-age": "86400",
        vary: "origin",
      }
      : {};
    if (request.method === "OPTIONS") return new Response(null, { status: 204, headers: cors });
    const reply = (xmlText: string) =>
      new Response(xmlText, { headers: { ...cors, "content-type": XML_TYPE } });

    const bytes = await readLimited(request, maxBody);
    if (bytes === undefined) return reply(terminate("policy-violation"));
    const body = parseBody(bytes, maxBody);
    const rid = body && intAttr(body, "rid");
    if (!body || rid === undefined) return reply(terminate("bad-request"));

    const sid = body.attrs.sid;
    if (sid !== undefined) {
      const session = sessions.get(sid);
      if (!session) return reply(terminate("item-not-found"));
      return reply(await session.request(rid, body));
    }

    // Session creation (XEP-0124 §7.1, XEP-0206 §4).
    const to = body.attrs.to;
    const wait = intAttr(body, "wait");
    const hold = intAttr(body, "hold");
    if (!to || wait === undefined || hold === undefined) return reply(terminate("bad-request"));
    const id = crypto.randomUUID();
    const held = Math.min(hold, 1);
    const session = new BoshSession(
      {
        sid: id,
        wait: Math.min(wait, maxWait),
        hold: held,
        requests: held + 1,
        inactivity,
        polling: 2,
        to,
        lang: body.attrs["xml:lang"] ?? "en",
      },
      rid,
      {
        kind: "bosh",
        secure: requestIsSecure(request, trustProxy),
        remoteAddress: clientAddress(request, trustProxy),
      },
      () => sessions.delete(id),
    );
    sessions.set(id, session);
    void server.handle(session.stream, {
      framing: session.framing,
      requireTls: options.requireTls ?? false,
      allowPlainWithoutTls: options.allowPlainWithoutTls ?? false,
    });
    return reply(await session.start(rid, body.attrs["xmpp:version"] ?? "1.0"));
  };
}

/**
 * The HTTP side of XEP-0363 file upload as Hono routes: a PUT with the slot's signed token
 * stores the file, a GET serves it, with CORS for browser clients; and the timer that deletes
 * files older than the configured number of days.
 *
 * @module
 */
import type { Context, Hono } from "hono";
import type { ByteRange, FileStore } from "../../src/storage/file_store.ts";
import { uploadFilenameProblem, verifyUploadToken } from "../../src/modules/upload_token.ts";

/** Options of {@linkcode mountUpload}. */
export interface UploadHandlerOptions {
  /** The secret the upload module signs slots with (the same string). */
  readonly secret: string;
  /** Where files are kept, e.g. `fsFileStore("./data/uploads")`. */
  readonly store: FileStore;
  /** The path of the upload URL; default "/upload". */
  readonly path?: string;
  /** Days a file is kept (see {@linkcode uploadExpiry}); default 7. */
  readonly expiryDays?: number;
  /** The current time (a parameter, so tests can set it). */
  readonly now?: () => Date;
}

const SLOT = /^[A-Za-z0-9_-]{8,128}$/;

/** XEP-0363 §6 expects browsers to upload and fetch across origins. */
const CORS = {
  "Access-Control-Allow-Origin": "*",
  "Access-Control-Allow-Methods": "GET, HEAD, PUT, OPTIONS",
  "Access-Control-Allow-Headers": "Authorization, Content-Type, Range",
  "Access-Control-Expose-Headers": "Content-Length, Content-Range, Content-Disposition",
  "Access-Control-Max-Age": "86400",
} as const;

function fail(status: number, message: string, extra: Record<string, string> = {}): Response {
  return new Response(`${message}\n`, {
    status,
    headers: { ...CORS, "Content-Type": "text/plain; charset=utf-8", ...extra },
  });
}

/** The slot path from the URL, or why there is none. */
function slotKey(c: Context): string | Response {
  const slot = c.req.param("slot") ?? "";
  const name = c.req.param("name") ?? "";
  if (!SLOT.test(slot)) return fail(404, "No such upload");
  const problem = uploadFilenameProblem(name);
  if (problem) return fail(400, `Cannot use the filename: ${problem}`);
  return `${slot}/${name}`;
}

/** Checks token, length and type, then stores the body. */
async function put(c: Context, o: UploadHandlerOptions): Promise<Response> {
  const key = slotKey(c);
  if (key instanceof Response) return key;
  const auth = /^Bearer (\S+)$/.exec(c.req.header("Authorization") ?? "");
  if (!auth) return fail(401, "Cannot upload: no token", { "WWW-Authenticate": "Bearer" });
  const contentType = c.req.header("Content-Type") ?? "";
  const now = o.now?.() ?? new Date();
  const check = await verifyUploadToken(o.secret, auth[1], { path: key, contentType, now });
  if (!check.ok) return fail(403, `Cannot upload: the token is ${check.reason}`);
  const length = c.req.header("Content-Length");
  if (length === undefined) return fail(411, "Cannot upload: Content-Length is needed");
  const size = /^\d{1,15}$/.test(length) ? Number(length) : NaN;
  if (size > check.grant.size) {
    return fail(413, `Cannot upload more than ${check.grant.size} bytes`);
  }
  if (size !== check.grant.size) {
    return fail(400, `Cannot upload: expected ${check.grant.size} bytes`);
  }
  const body = c.req.raw.body ?? new ReadableStream({ start: (ctl) => ctl.close() });
  try {
    const stored = await o.store.put(key, body, {
      contentType: contentType || "application/octet-stream",
      size,
      created: now,
    });
    if (stored === "exists") return fail(409, "Cannot upload: the slot was used");
  } catch (e) {
    if (e instanceof RangeError) return fail(400, e.message);
    throw e;
  }
  return new Response(null, { status: 201, headers: CORS });
}

/** RFC 6266: inline for what browsers show safely, attachment otherwise, UTF-8 filename. */
function disposition(contentType: string, filename: string): string {
  const type = contentType.toLowerCase();
  // SVG is an image that can carry scripts: downloaded, never shown.
  const inline = /^(image|video|audio)\//.test(type) && !type.startsWith("image/svg");
  const ascii = filename.replace(/[^\x20-\x7e]|["\\]/g, "_");
  return `${inline ? "inline" : "attachment"}; filename="${ascii}"; ` +
    `filename*=UTF-8''${encodeURIComponent(filename)}`;
}

/**
 * RFC 9110 §14.1.2: one range of `bytes=a-b`, `bytes=a-` or `bytes=-n`; `undefined` for the
 * whole file (no header, several ranges, another unit); `"unsatisfiable"` past the end.
 */
function byteRange(
  header: string | undefined,
  size: number,
): ByteRange | "unsatisfiable" | undefined {
  const m = header && /^bytes=(\d{0,15})-(\d{0,15})$/.exec(header.trim());
  if (!m || (m[1] === "" && m[2] === "")) return undefined;
  if (m[1] === "") {
    const n = Number(m[2]);
    return n === 0 || size === 0
      ? "unsatisfiable"
      : { start: Math.max(0, size - n), end: size - 1 };
  }
  const start = Number(m[1]);
  const end = m[2] === "" ? size - 1 : Math.min(Number(m[2]), size - 1);
  if (start >= size) return "unsatisfiable";
  return start <= end ? { start, end } : undefined;
}

async function get(c: Context, o: UploadHandlerOptions): Promise<Response> {
  const key = slotKey(c);
  if (key instanceof Response) return key;
  const file = await o.store.head(key);
  if (!file) return fail(404, "No such upload");
  // Video players (Safari's, AVPlayer) ask for ranges and play nothing without them.
  const range = byteRange(c.req.header("Range"), file.size);
  if (range === "unsatisfiable") {
    return fail(416, "Cannot serve the range", { "Content-Range": `bytes */${file.size}` });
  }
  const headers: Record<string, string> = {
    ...CORS,
    "Content-Type": file.contentType,
    "Content-Length": String(range ? range.end - range.start + 1 : file.size),
    "Accept-Ranges": "bytes",
    "Content-Disposition": disposition(file.contentType, key.slice(key.indexOf("/") + 1)),
    "X-Content-Type-Options": "nosniff",
    // The files share an origin with the XMPP endpoints: nothing in them may run there.
    "Content-Security-Policy": "default-src 'none'; frame-ancestors 'none'; sandbox",
    "Cache-Control": "public, max-age=86400, immutable",
    "Last-Modified": file.created.toUTCString(),
  };
  if (range) headers["Content-Range"] = `bytes ${range.start}-${range.end}/${file.size}`;
  const status = range ? 206 : 200;
  if (c.req.method === "HEAD") return new Response(null, { status, headers });
  const opened = await o.store.get(key, range);
  if (!opened) return fail(404, "No such upload");
  return new Response(opened.body, { status, headers });
}

/**
 * Adds the upload routes (`PUT`, `GET`, `HEAD`, `OPTIONS` on `<path>/<slot>/<filename>`).
 *
 * @param app The Hono app.
 * @param options The secret shared with the upload module, and the file store.
 * @returns The app.
 * @example
 * ```ts ignore
 * import { Hono } from "hono";
 * import { createServer } from "@parley/server";
 * import { fsFileStore, mountUpload } from "@parley/server/hono-websocket";
 * const secret = "a long random secret of this deployment";
 * const server = await createServer({ upload: { url: "http://localhost:8080/upload", secret } });
 * Deno.serve({ port: 8080 }, mountUpload(new Hono(), { secret, store: fsFileStore("./uploads") }).fetch);
 * ```
 */
// deno-lint-ignore no-explicit-any
export function mountUpload<A extends Hono<any, any, any>>(
  app: A,
  options: UploadHandlerOptions,
): A {
  const route = `${(options.path ?? "/upload").replace(/\/+$/, "")}/:slot/:name`;
  app.put(route, (c) => put(c, options));
  app.get(route, (c) => get(c, options));
  app.on("HEAD", route, (c) => get(c, options));
  app.options(route, () => new Response(null, { status: 204, headers: CORS }));
  return app;
}

/** The expiry timer of {@linkcode uploadExpiry}. */
export interface UploadExpiry {
  /** Deletes the files older than the configured days now. @returns How many. */
  sweep(): Promise<number>;
  /** Stops the timer. */
  stop(): void;
}

/**
 * Deletes uploaded files older than `expiryDays`, now and then every `intervalMs`.
 *
 * @param store The file store.
 * @param options `expiryDays` (default 7), `intervalMs` (default 1 hour), `now`, and
 *   `onError` for a sweep that failed.
 * @returns The timer.
 * @example
 * ```ts ignore
 * const expiry = uploadExpiry(fsFileStore("./data/uploads"), { expiryDays: 7 });
 * // at shutdown:
 * expiry.stop();
 * ```
 */
export function uploadExpiry(
  store: FileStore,
  options: {
    readonly expiryDays?: number;
    readonly intervalMs?: number;
    readonly now?: () => Date;
    readonly onError?: (e: unknown) => void;
  } = {},
): UploadExpiry {
  const days = options.expiryDays ?? 7;
  const sweep = () =>
    store.deleteOlderThan(
      new Date((options.now?.() ?? new Date()).getTime() - days * 86_400_000),
    );
  const run = () => void sweep().catch((e) => options.onError?.(e));
  const timer = setInterval(run, options.intervalMs ?? 3_600_000);
  Deno.unrefTimer(timer);
  run();
  return { sweep, stop: () => clearInterval(timer) };
}

/**
 * The signed, expiring tokens of XEP-0363 upload slots, and the filename rules both sides of
 * an upload share. A token is an HMAC-SHA-256 (Web Crypto) over the slot's path, size, content
 * type and expiry with a per-deployment secret, so the HTTP side checks a PUT without storage.
 *
 * @module
 */

/** What a slot allows: one PUT of `size` bytes to `path` before `expires`. */
export interface UploadGrant {
  /** The slot's path below the upload URL: `<slot id>/<filename>` (the filename not encoded). */
  readonly path: string;
  /** The exact size in bytes. */
  readonly size: number;
  /** The content type the PUT must carry, lower case; `""` when the request named none. */
  readonly contentType: string;
  /** When the token expires, in seconds since the epoch. */
  readonly expires: number;
}

/** What {@linkcode verifyUploadToken} found. */
export type UploadTokenCheck =
  | { readonly ok: true; readonly grant: UploadGrant }
  | { readonly ok: false; readonly reason: "invalid" | "expired" };

const encoder = new TextEncoder();
const keys = new Map<string, Promise<CryptoKey>>();
const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, "0"));

function hmacKey(secret: string): Promise<CryptoKey> {
  let key = keys.get(secret);
  if (!key) {
    key = crypto.subtle.importKey(
      "raw",
      encoder.encode(secret),
      { name: "HMAC", hash: "SHA-256" },
      false,
      ["sign", "verify"],
    );
    // One deployment has one secret, tests a few: a small cache is enough.
    if (keys.size > 16) keys.clear();
    keys.set(secret, key);
  }
  return key;
}

function message(g: UploadGrant): Uint8Array<ArrayBuffer> {
  // Newlines separate the fields: a filename never holds one (see uploadFilenameProblem).
  return encoder.encode(`${g.path}\n${g.size}\n${g.contentType}\n${g.expires}`);
}

function fromHex(text: string): Uint8Array<ArrayBuffer> | undefined {
  if (!/^(?:[0-9a-f]{2})+$/.test(text)) return undefined;
  const out = new Uint8Array(text.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(text.slice(i * 2, i * 2 + 2), 16);
  return out;
}

/**
 * Signs a grant: the token goes in the slot's `Authorization: Bearer …` header.
 *
 * @param secret The deployment's secret.
 * @param grant What the slot allows.
 * @returns The token: expiry, size, whether the type is bound, and the MAC, dot-separated.
 * @example
 * ```ts
 * import { signUploadToken, verifyUploadToken } from "./upload_token.ts";
 * const grant = { path: "abc123de/cat.jpg", size: 3, contentType: "image/jpeg", expires: 2e9 };
 * const token = await signUploadToken("a secret of the deployment", grant);
 * const check = await verifyUploadToken("a secret of the deployment", token, {
 *   path: grant.path, contentType: "image/jpeg", now: new Date(0),
 * });
 * if (!check.ok || check.grant.size !== 3) throw new Error();
 * ```
 */
export async function signUploadToken(secret: string, grant: UploadGrant): Promise<string> {
  const mac = new Uint8Array(
    await crypto.subtle.sign("HMAC", await hmacKey(secret), message(grant)),
  );
  let hex = "";
  for (const b of mac) hex += HEX[b];
  return `${grant.expires}.${grant.size}.${grant.contentType ? 1 : 0}.${hex}`;
}

/**
 * Checks a PUT's token against its path and content type.
 *
 * @param secret The deployment's secret.
 * @param token The token from `Authorization: Bearer …`.
 * @param request The PUT's slot path, its `Content-Type` (any case) and the current time.
 * @returns The grant, or why the token does not allow the PUT.
 * @example
 * ```ts
 * import { verifyUploadToken } from "./upload_token.ts";
 * const check = await verifyUploadToken("s", "1.2.0.00", { path: "a/b", contentType: "", now: new Date() });
 * if (check.ok) throw new Error();
 * ```
 */
export async function verifyUploadToken(
  secret: string,
  token: string,
  request: { readonly path: string; readonly contentType: string; readonly now: Date },
): Promise<UploadTokenCheck> {
  const m = /^(\d{1,15})\.(\d{1,15})\.([01])\.([0-9a-f]{64})$/.exec(token);
  const mac = m && fromHex(m[4]);
  if (!m || !mac) return { ok: false, reason: "invalid" };
  const grant: UploadGrant = {
    path: request.path,
    size: Number(m[2]),
    // A slot requested without a type accepts any (XEP-0363 §4 makes the header optional).
    contentType: m[3] === "1" ? request.contentType.toLowerCase() : "",
    expires: Number(m[1]),
  };
  // crypto.subtle.verify compares in constant time.
  const valid = await crypto.subtle.verify("HMAC", await hmacKey(secret), mac, message(grant));
  if (!valid) return { ok: false, reason: "invalid" };
  if (grant.expires * 1000 <= request.now.getTime()) return { ok: false, reason: "expired" };
  return { ok: true, grant };
}

/** Longest filename, in UTF-8 bytes (common file systems allow 255). */
export const MAX_UPLOAD_FILENAME_BYTES = 255;

/**
 * Why a filename cannot name an upload, or `undefined` when it can. It becomes one path
 * segment on disk and in the URL: no `/` or `\`, not `.` or `..`, no control characters.
 *
 * @param name The filename from the slot request.
 * @returns The problem, in words, or `undefined`.
 * @example
 * ```ts
 * import { uploadFilenameProblem } from "./upload_token.ts";
 * if (uploadFilenameProblem("cat.jpg") !== undefined) throw new Error();
 * if (uploadFilenameProblem("../etc/passwd") === undefined) throw new Error();
 * ```
 */
export function uploadFilenameProblem(name: string): string | undefined {
  if (name.length === 0) return "it is empty";
  if (name === "." || name === "..") return "it names a directory";
  if (/[/\\]/.test(name)) return "it has a slash";
  // deno-lint-ignore no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(name)) return "it has a control character";
  if (encoder.encode(name).length > MAX_UPLOAD_FILENAME_BYTES) return "it is too long";
  return undefined;
}

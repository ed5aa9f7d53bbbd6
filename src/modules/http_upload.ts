/**
 * XEP-0363 HTTP File Upload: a component on `upload.<domain>` that hands out slots. A slot is
 * a PUT URL with a signed, expiring `Authorization` token and a GET URL; the HTTP side
 * (`adapters/hono_websocket/upload.ts`) checks the token and stores the file.
 *
 * @module
 */
import { HANDLED } from "../hooks/hook_registry.ts";
import type { StanzaEvent } from "../hooks/server_hooks.ts";
import type { Jid } from "../jid/jid.ts";
import type { ModuleApi, XmppModule } from "../module/module_api.ts";
import { errorReply, StanzaError } from "../base/stanza_error.ts";
import { documentCollection } from "../storage/document_collection.ts";
import { child, type Element, xml } from "../xml/element.ts";
import { NS } from "../xml/ns.ts";
import { signUploadToken, uploadFilenameProblem } from "./upload_token.ts";

/** Options of {@linkcode httpUpload}. */
export interface HttpUploadOptions {
  /**
   * The public URL files are PUT to and fetched from, e.g. `http://localhost:5280/upload`; or a
   * function returning it, read at each slot (for a port known only once listening).
   */
  readonly url: string | (() => string);
  /** The per-deployment secret tokens are signed with (16 characters or more). */
  readonly secret: string;
  /** The service's label below the domain; default "upload" (`upload.<domain>`). */
  readonly subdomain?: string;
  /** Largest file in bytes, advertised as `max-file-size`; default 100 MiB. */
  readonly maxFileSize?: number;
  /** Bytes one account may upload within `expiryDays`; default 1 GiB. */
  readonly quotaBytes?: number;
  /** Days a file is kept (the HTTP side deletes older ones); default 7. */
  readonly expiryDays?: number;
  /** Seconds a slot's PUT token is valid; default 300. */
  readonly slotTtlSeconds?: number;
}

/** The defaults of {@linkcode HttpUploadOptions}. */
export const HTTP_UPLOAD_DEFAULTS = {
  subdomain: "upload",
  maxFileSize: 100 * 1024 * 1024,
  quotaBytes: 1024 * 1024 * 1024,
  expiryDays: 7,
  slotTtlSeconds: 300,
} as const;

/** Slots one account may hold within `expiryDays`, whatever their size (bounds the record). */
const MAX_SLOTS_PER_WINDOW = 1000;
const DAY_MS = 86_400_000;
const CONTENT_TYPE = /^[!#$%&'*+.^_`|~0-9a-z-]+\/[!#$%&'*+.^_`|~0-9a-z-]+(?:\s*;[ -~]*)?$/;

interface Usage {
  /** The slots handed out within the window: size and time (ms since the epoch). */
  readonly slots: readonly { readonly size: number; readonly at: number }[];
}

type Settings = Required<HttpUploadOptions>;

function baseUrl(url: string): string {
  if (typeof url !== "string" || !/^https?:\/\/[^/]/.test(url)) {
    throw new TypeError(`Cannot use upload url "${url}": expected an http(s) URL`);
  }
  return url.replace(/\/+$/, "");
}

function settings(options: HttpUploadOptions): Settings {
  if (typeof options.url !== "function") baseUrl(options.url);
  if (typeof options.secret !== "string") {
    throw new TypeError(`Cannot use the upload secret: expected a string`);
  }
  if (options.secret.length < 16) {
    throw new RangeError("Cannot use the upload secret: it must have 16 characters or more");
  }
  const s = { ...HTTP_UPLOAD_DEFAULTS, ...options };
  for (const key of ["maxFileSize", "quotaBytes", "expiryDays", "slotTtlSeconds"] as const) {
    if (!Number.isSafeInteger(s[key]) || s[key] < 1) {
      throw new RangeError(`Cannot use upload ${key} ${s[key]}: expected a positive integer`);
    }
  }
  return s;
}

/** XEP-0363 §2: the service advertises its limit in an XEP-0128 form. */
function limitsForm(s: Settings): Element {
  return xml(
    "x",
    { xmlns: NS.DATA_FORMS, type: "result" },
    xml("field", { var: "FORM_TYPE", type: "hidden" }, xml("value", null, NS.HTTP_UPLOAD)),
    xml("field", { var: "max-file-size" }, xml("value", null, String(s.maxFileSize))),
  );
}

interface SlotRequest {
  readonly filename: string;
  readonly size: number;
  readonly contentType: string;
}

/** XEP-0363 §4: the request's attributes, checked; bad ones are `bad-request`. */
function parseRequest(request: Element): SlotRequest {
  const { filename, size, "content-type": type } = request.attrs;
  const problem = filename === undefined ? "it is missing" : uploadFilenameProblem(filename);
  if (problem) {
    throw new StanzaError("bad-request", "modify", `Cannot use the filename: ${problem}`);
  }
  if (size === undefined || !/^\d{1,15}$/.test(size)) {
    throw new StanzaError("bad-request", "modify", "Cannot use the size: expected bytes");
  }
  const contentType = (type ?? "").trim().toLowerCase();
  if (contentType && !CONTENT_TYPE.test(contentType)) {
    throw new StanzaError("bad-request", "modify", `Cannot use the content type "${type}"`);
  }
  return { filename: filename!, size: Number(size), contentType };
}

function fileTooLarge(max: number): StanzaError {
  // XEP-0363 §5: not-acceptable with the service's limit.
  return new StanzaError(
    "not-acceptable",
    "modify",
    `The file is larger than ${max} bytes`,
    xml(
      "file-too-large",
      { xmlns: NS.HTTP_UPLOAD },
      xml("max-file-size", null, String(max)),
    ),
  );
}

/** Hands out slots: limits, the per-account quota, the signed PUT header. */
class SlotIssuer {
  readonly #api: ModuleApi;
  readonly #s: Settings;
  readonly #usage;

  constructor(api: ModuleApi, s: Settings) {
    this.#api = api;
    this.#s = s;
    this.#usage = documentCollection<Usage>(api.storage, "http-upload:usage");
  }

  async slot(from: Jid, request: Element): Promise<Element> {
    if (!from.local || !this.#api.domains.includes(from.domain)) {
      throw new StanzaError("forbidden", "auth", "Only local accounts may upload");
    }
    const req = parseRequest(request);
    if (req.size > this.#s.maxFileSize) throw fileTooLarge(this.#s.maxFileSize);
    await this.#charge(from.bare, req.size);
    const id = this.#api.randomId();
    const expires = Math.floor(this.#api.now().getTime() / 1000) + this.#s.slotTtlSeconds;
    const token = await signUploadToken(this.#s.secret, {
      path: `${id}/${req.filename}`,
      size: req.size,
      contentType: req.contentType,
      expires,
    });
    const base = baseUrl(typeof this.#s.url === "function" ? this.#s.url() : this.#s.url);
    const url = `${base}/${id}/${encodeURIComponent(req.filename)}`;
    return xml(
      "slot",
      { xmlns: NS.HTTP_UPLOAD },
      xml("put", { url }, xml("header", { name: "Authorization" }, `Bearer ${token}`)),
      xml("get", { url }),
    );
  }

  /** When enough of the oldest slots leave the window for `size` more bytes (and a slot). */
  #retryAt(slots: Usage["slots"], size: number, since: number): string {
    let used = slots.reduce((n, x) => n + x.size, 0);
    let count = slots.length;
    let at = since;
    for (const slot of [...slots].sort((a, b) => a.at - b.at)) {
      if (used + size <= this.#s.quotaBytes && count < MAX_SLOTS_PER_WINDOW) break;
      used -= slot.size;
      count--;
      at = slot.at;
    }
    const stamp = new Date(at + this.#s.expiryDays * DAY_MS);
    return stamp.toISOString().replace(/\.\d{3}Z$/, "Z");
  }

  /**
   * Counts a slot against the account's quota: slots handed out within `expiryDays`, used or
   * not (a slot's file may still arrive), atomically per account.
   */
  async #charge(owner: string, size: number): Promise<void> {
    const now = this.#api.now().getTime();
    const since = now - this.#s.expiryDays * DAY_MS;
    let refused: StanzaError | undefined;
    await this.#usage.update(owner, (current) => {
      refused = undefined;
      const slots = (current?.slots ?? []).filter((x) => x.at > since);
      const used = slots.reduce((n, x) => n + x.size, 0);
      if (used + size > this.#s.quotaBytes || slots.length >= MAX_SLOTS_PER_WINDOW) {
        refused = new StanzaError(
          "resource-constraint",
          "wait",
          `Upload quota of ${this.#s.quotaBytes} bytes in ${this.#s.expiryDays} days reached`,
          // XEP-0363 §5: when the request would fit again.
          xml("retry", { xmlns: NS.HTTP_UPLOAD, stamp: this.#retryAt(slots, size, since) }),
        );
        return current;
      }
      return { slots: [...slots, { size, at: now }] };
    });
    if (refused) throw refused;
  }
}

async function answer(api: ModuleApi, issuer: SlotIssuer, ev: StanzaEvent): Promise<Element> {
  const request = child(ev.stanza, "request", NS.HTTP_UPLOAD)!;
  try {
    const slot = await issuer.slot(ev.from, request);
    return xml("iq", {
      xmlns: NS.CLIENT,
      type: "result",
      id: ev.stanza.attrs.id,
      from: ev.to.full,
      to: ev.from.full,
    }, slot);
  } catch (e) {
    if (e instanceof StanzaError) return errorReply(ev.stanza, e, ev.to.full);
    api.logger.error("Upload slot request failed", { error: String(e) });
    return errorReply(ev.stanza, new StanzaError("internal-server-error", "wait"), ev.to.full);
  }
}

/**
 * Creates the XEP-0363 upload service on `upload.<domain>`. Serve its URL with
 * `mountUpload` (`@parley/server/hono-websocket`) and the same secret.
 *
 * @param options The public URL, the secret and the limits.
 * @returns The module.
 * @throws {TypeError} When the URL is not an http(s) URL.
 * @throws {RangeError} When the secret is short or a limit is not a positive integer.
 * @example
 * ```ts
 * import { httpUpload } from "./http_upload.ts";
 * import { testServer } from "../testing/mod.ts";
 * import { xml } from "../xml/element.ts";
 * const upload = httpUpload({ url: "http://localhost:5280/upload", secret: "0123456789abcdef" });
 * const t = await testServer({ users: ["alice@localhost"], modules: [upload] });
 * const alice = await t.connect("alice@localhost/phone");
 * const result = await alice.iq(xml("iq", { type: "get", to: "upload.localhost", id: "s" },
 *   xml("request", { xmlns: "urn:xmpp:http:upload:0", filename: "cat.jpg", size: "3" })));
 * if (result.children.length !== 1) throw new Error();
 * await t.close();
 * ```
 */
export function httpUpload(options: HttpUploadOptions): XmppModule {
  const s = settings(options);
  return {
    name: "http-upload",
    specs: ["XEP-0363"],
    setup(api) {
      const issuer = new SlotIssuer(api, s);
      api.component(`${s.subdomain}.${api.domain}`, {
        name: "HTTP File Upload",
        identities: [{ category: "store", type: "file", name: "HTTP File Upload" }],
        features: [NS.HTTP_UPLOAD],
        extensions: [limitsForm(s)],
        async handle(ev) {
          const { stanza, to } = ev;
          if (stanza.name !== "iq" || stanza.attrs.type !== "get" || to.local || to.resource) {
            return undefined;
          }
          if (!child(stanza, "request", NS.HTTP_UPLOAD)) return undefined;
          await api.router.route(await answer(api, issuer, ev));
          return HANDLED;
        },
      });
    },
  };
}

/**
 * XEP-0215 external service discovery (`urn:xmpp:extdisco:2`): the STUN and TURN servers (or
 * other services) from the configuration, for local accounts.
 *
 * - `<services [type]/>` to the server lists them (XEP-0215 §3.1), filtered by type.
 * - A TURN service with a shared `secret` gets time-limited credentials by the TURN REST API
 *   convention (draft-uberti-behave-turn-rest §2.2, coturn's `use-auth-secret`): username
 *   `<expiry unix time>:<bare JID>`, password base64(HMAC-SHA1(secret, username)), listed
 *   with `expires` (XEP-0215 §3.2) so the client asks again in time; `<credentials>` with a
 *   `<service host type [port]/>` returns fresh ones for one service (XEP-0215 §3.3), and
 *   `<item-not-found/>` for a service that is not configured.
 * - Only a local account's own session may ask (`<forbidden/>` otherwise): the credentials are
 *   for this server's users.
 *
 * @module
 */
import { StanzaError } from "../base/stanza_error.ts";
import type { IqEvent } from "../hooks/iq_registry.ts";
import type { ModuleApi, XmppModule } from "../module/module_api.ts";
import { toBase64 } from "../util/base64.ts";
import { child, type Element, xml } from "../xml/element.ts";
import { NS } from "../xml/ns.ts";

/** One external service (XEP-0215 §4). */
export interface ExternalService {
  /** The kind, e.g. "stun", "turn", "turns". */
  readonly type: string;
  /** Its host name or IP address. */
  readonly host: string;
  /** Its port. */
  readonly port?: number;
  /** "udp" or "tcp". */
  readonly transport?: "udp" | "tcp";
  /** A name to show. */
  readonly name?: string;
  /** The TURN REST API shared secret: credentials are derived per user and expire. */
  readonly secret?: string;
  /** How long derived credentials last, in seconds; default 86,400. */
  readonly ttlSeconds?: number;
  /** Fixed credentials (when there is no `secret`). */
  readonly username?: string;
  /** Fixed password. */
  readonly password?: string;
}

const encoder = new TextEncoder();

function check(services: readonly ExternalService[]): void {
  if (!Array.isArray(services)) {
    throw new TypeError("Cannot use externalServices: expected a list of services");
  }
  for (const [i, s] of services.entries()) {
    if (typeof s?.type !== "string" || typeof s.host !== "string" || !s.type || !s.host) {
      throw new TypeError(`Cannot use externalServices[${i}]: a type and a host are required`);
    }
    if (s.port !== undefined && (!Number.isInteger(s.port) || s.port < 1 || s.port > 65535)) {
      throw new RangeError(`Cannot use externalServices[${i}].port ${s.port}: not in 1..65535`);
    }
    if (s.transport !== undefined && s.transport !== "udp" && s.transport !== "tcp") {
      throw new TypeError(`Cannot use externalServices[${i}].transport: "udp" or "tcp"`);
    }
    const ttl = s.ttlSeconds;
    if (ttl !== undefined && (!Number.isInteger(ttl) || ttl < 60 || ttl > 30 * 86_400)) {
      throw new RangeError(
        `Cannot use externalServices[${i}].ttlSeconds ${ttl}: not in 60..2592000`,
      );
    }
  }
}

/**
 * TURN REST API credentials: `<expiry>:<user>` and base64(HMAC-SHA1(secret, username)).
 *
 * @param secret The shared secret of the TURN server.
 * @param user Who they are for (the account's bare JID).
 * @param expires When they expire.
 * @returns The username and password.
 * @example
 * ```ts
 * import { turnCredentials } from "./external_services.ts";
 * const c = await turnCredentials("s3cret", "a@localhost", new Date(86_400_000));
 * if (c.username !== "86400:a@localhost" || c.password.length !== 28) throw new Error();
 * ```
 */
export async function turnCredentials(
  secret: string,
  user: string,
  expires: Date,
): Promise<{ username: string; password: string }> {
  const username = `${Math.floor(expires.getTime() / 1000)}:${user}`;
  const key = await crypto.subtle.importKey(
    "raw",
    encoder.encode(secret),
    { name: "HMAC", hash: "SHA-1" },
    false,
    ["sign"],
  );
  const mac = await crypto.subtle.sign("HMAC", key, encoder.encode(username));
  return { username, password: toBase64(new Uint8Array(mac)) };
}

async function serviceElement(api: ModuleApi, s: ExternalService, user: string): Promise<Element> {
  const attrs: Record<string, string | number | undefined> = {
    type: s.type,
    host: s.host,
    port: s.port,
    transport: s.transport,
    name: s.name,
  };
  if (s.secret !== undefined) {
    const expires = new Date(api.now().getTime() + (s.ttlSeconds ?? 86_400) * 1000);
    const c = await turnCredentials(s.secret, user, expires);
    Object.assign(attrs, { ...c, expires: expires.toISOString().replace(/\.\d{3}Z$/, "Z") });
  } else if (s.username !== undefined) {
    Object.assign(attrs, { username: s.username, password: s.password });
  }
  return xml("service", attrs);
}

function requester(ev: IqEvent): string {
  if (!ev.origin) throw new StanzaError("forbidden", "auth");
  return ev.origin.bare;
}

/**
 * The external service discovery module (XEP-0215).
 *
 * @param services The services; none: the module advertises nothing.
 * @returns The module.
 * @throws {TypeError} A service without type or host, or with a wrong transport.
 * @throws {RangeError} A port or TTL out of range.
 * @example
 * ```ts
 * import { externalServices } from "./external_services.ts";
 * import { testServer } from "../testing/mod.ts";
 * import { xml } from "../xml/element.ts";
 * const t = await testServer({ users: ["a@localhost"] });
 * // The built-in instance is configured from `externalServices`; this one replaces it.
 * await t.server.unload("external-services");
 * await t.server.use(externalServices([{ type: "stun", host: "stun.example.net", port: 3478 }]));
 * const a = await t.connect("a@localhost/r");
 * const r = await a.iq(xml("iq", { type: "get", to: "localhost" },
 *   xml("services", { xmlns: "urn:xmpp:extdisco:2" })));
 * if (!JSON.stringify(r).includes("stun.example.net")) throw new Error();
 * await t.close();
 * ```
 */
export function externalServices(services: readonly ExternalService[]): XmppModule {
  check(services);
  return {
    name: "external-services",
    specs: ["XEP-0215"],
    setup(api) {
      if (services.length === 0) return;
      api.feature(NS.EXTDISCO);
      api.iq("get", NS.EXTDISCO, "services", async (ev) => {
        const user = requester(ev);
        const type = ev.payload.attrs.type;
        const chosen = services.filter((s) => type === undefined || s.type === type);
        const list = await Promise.all(chosen.map((s) => serviceElement(api, s, user)));
        return xml("services", { xmlns: NS.EXTDISCO, type }, list);
      });
      // XEP-0215 §3.3: credentials for one service.
      api.iq("get", NS.EXTDISCO, "credentials", async (ev) => {
        const user = requester(ev);
        const wanted = child(ev.payload, "service", NS.EXTDISCO);
        if (!wanted?.attrs.host || !wanted.attrs.type) {
          throw new StanzaError("bad-request", "modify", "A <service/> with host and type");
        }
        const port = wanted.attrs.port === undefined ? undefined : Number(wanted.attrs.port);
        const found = services.find((s) =>
          s.host === wanted.attrs.host && s.type === wanted.attrs.type &&
          (port === undefined || s.port === port)
        );
        if (!found) throw new StanzaError("item-not-found", "cancel");
        return xml("credentials", { xmlns: NS.EXTDISCO }, await serviceElement(api, found, user));
      });
    },
  };
}

/**
 * XEP-0114 external components: a process connects to the component port, authenticates with
 * the shared secret of its domain (a subdomain such as `echo.example.org`), and then serves
 * that domain: every stanza to it or one of its JIDs goes to the component, which may send from
 * any JID of the domain.
 *
 * @module
 */
import { StreamError } from "../base/stream_error.ts";
import type { ByteStream } from "../base/transport.ts";
import { HANDLED } from "../hooks/hook_registry.ts";
import { prepDomain, tryParseJid } from "../jid/jid.ts";
import type { ModuleApi, XmppModule } from "../module/module_api.ts";
import { type Element, text, xml } from "../xml/element.ts";
import { NS } from "../xml/ns.ts";
import { handshakeDigest, sameText } from "./s2s/dialback.ts";
import { timed } from "./s2s/timed.ts";
import { type PipeLimits, renamespace, XmlPipe } from "./s2s/xml_pipe.ts";

/** Options of {@linkcode externalComponents}. */
export interface ExternalComponentsOptions {
  /** The shared secret of each component domain, e.g. `{ "echo.localhost": "secret" }`. */
  readonly secrets: Readonly<Record<string, string>>;
  /** Time from connection to a completed handshake; default 30,000 ms. */
  readonly handshakeTimeoutMs?: number;
  /** Parser limits; default 256 KiB stanzas, depth 32. */
  readonly limits?: PipeLimits;
}

/** The component module, with the entry point for its listener. */
export interface ExternalComponents extends XmppModule {
  /**
   * Serves one connection on the component port until it ends. Never throws.
   *
   * @param stream The connection.
   */
  accept(stream: ByteStream): Promise<void>;
}

const STANZAS = new Set(["message", "presence", "iq"]);

/** Why a component's stanza is refused (RFC 6120 §4.9.3), or `undefined` when it may pass. */
export function componentStanzaError(el: Element, domain: string): StreamError | undefined {
  if (!STANZAS.has(el.name)) return new StreamError("unsupported-stanza-type");
  if (el.xmlns !== NS.COMPONENT_ACCEPT) return new StreamError("invalid-namespace");
  const from = tryParseJid(el.attrs.from ?? "");
  // XEP-0114 §3: the component may send from any JID of its domain, and from no other.
  if (!from || from.domain !== domain) return new StreamError("invalid-from");
  if (!el.attrs.to || !tryParseJid(el.attrs.to)) return new StreamError("improper-addressing");
  return undefined;
}

class ComponentConnection {
  readonly #api: ModuleApi;
  readonly #pipe: XmlPipe;
  readonly #options: ExternalComponentsOptions;

  constructor(api: ModuleApi, stream: ByteStream, options: ExternalComponentsOptions) {
    this.#api = api;
    this.#options = options;
    this.#pipe = new XmlPipe(
      stream,
      NS.COMPONENT_ACCEPT,
      options.limits ?? { maxStanzaBytes: 262_144, maxDepth: 32 },
    );
  }

  /** Ends the connection with `<system-shutdown/>`. */
  stop(): Promise<void> {
    return this.#pipe.fail("system-shutdown");
  }

  async run(): Promise<void> {
    let remove: (() => void) | undefined;
    try {
      const domain = await timed(
        this.#handshake(),
        this.#options.handshakeTimeoutMs ?? 30_000,
        "component handshake",
      );
      if (!domain) return;
      try {
        remove = this.#api.component(domain, {
          identities: [{ category: "component", type: "generic" }],
          handle: async (ev) => {
            await this.#pipe.send(ev.stanza);
            return HANDLED;
          },
        });
      } catch {
        return this.#pipe.fail("conflict", "The domain is served already");
      }
      await this.#pipe.send(xml("handshake", { xmlns: NS.COMPONENT_ACCEPT }));
      this.#api.logger.info("Component connected", { domain });
      await this.#serve(domain);
    } catch (e) {
      const condition = e instanceof StreamError
        ? e.condition
        : e instanceof Error && e.name === "TimeoutError"
        ? "connection-timeout"
        : e instanceof SyntaxError
        ? "not-well-formed"
        : "internal-server-error";
      await this.#pipe.fail(condition);
    } finally {
      remove?.();
      await this.#pipe.close();
    }
  }

  /** XEP-0114 §3: the stream header, then the handshake; the domain once authenticated. */
  async #handshake(): Promise<string | undefined> {
    const open = await this.#pipe.next();
    if (open?.kind !== "open") return undefined;
    const id = this.#api.randomId();
    let domain: string;
    try {
      domain = prepDomain(open.header.attrs.to ?? "");
    } catch {
      await this.#pipe.open({ id });
      await this.#pipe.fail("host-unknown");
      return undefined;
    }
    await this.#pipe.open({ from: domain, id });
    if (open.header.contentNs !== NS.COMPONENT_ACCEPT) throw new StreamError("invalid-namespace");
    const secret = this.#options.secrets[domain];
    if (secret === undefined) throw new StreamError("host-unknown");
    const ev = await this.#pipe.next();
    if (ev?.kind !== "element") return undefined;
    const el = ev.element;
    if (el.name !== "handshake" || el.xmlns !== NS.COMPONENT_ACCEPT) {
      throw new StreamError("not-authorized");
    }
    if (!sameText(text(el).trim().toLowerCase(), await handshakeDigest(id, secret))) {
      this.#api.logger.warn("Component handshake failed", { domain });
      throw new StreamError("not-authorized");
    }
    return domain;
  }

  async #serve(domain: string): Promise<void> {
    for (;;) {
      const ev = await this.#pipe.next();
      if (!ev || ev.kind === "close") return;
      if (ev.kind !== "element") continue;
      const error = componentStanzaError(ev.element, domain);
      if (error) throw error;
      await this.#api.router.route(renamespace(ev.element, NS.COMPONENT_ACCEPT, NS.CLIENT));
    }
  }
}

/**
 * The XEP-0114 external component module. Load it into the server, then hand it the
 * connections of the component port (the Deno TCP adapter's `componentTransport` does).
 *
 * @param options The secrets of the component domains.
 * @returns The module.
 * @example
 * ```ts
 * import { createServer } from "../server/server.ts";
 * import { externalComponents } from "./external_components.ts";
 * const components = externalComponents({ secrets: { "echo.localhost": "secret" } });
 * const server = await createServer({ modules: [components] });
 * await server.close();
 * ```
 */
export function externalComponents(options: ExternalComponentsOptions): ExternalComponents {
  let api: ModuleApi | undefined;
  const open = new Map<ComponentConnection, Promise<void>>();
  return {
    name: "external-components",
    specs: ["XEP-0114"],
    setup(a) {
      api = a;
      a.onUnload(async () => {
        api = undefined;
        const runs = [...open.values()];
        await Promise.allSettled([...open.keys()].map((c) => c.stop()));
        await Promise.allSettled(runs);
      });
    },
    accept(stream) {
      if (!api) return stream.close();
      const conn = new ComponentConnection(api, stream, options);
      const run = conn.run().catch(() => {}).finally(() => open.delete(conn));
      open.set(conn, run);
      return run;
    },
  };
}

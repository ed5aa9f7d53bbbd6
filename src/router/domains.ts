/**
 * The domains the router knows: hosted ones (local accounts), component ones (a module serves
 * every JID of the domain, e.g. `conference.example.org`), and everything else, which is remote
 * and goes to the {@linkcode RemoteRouter} (federation) when there is one.
 *
 * @module
 */
import type { HookResult } from "../hooks/hook_registry.ts";
import type { StanzaEvent } from "../hooks/server_hooks.ts";

/**
 * Takes every stanza addressed to a component domain or one of its JIDs. It must deal with
 * each (answer, bounce or drop it); return `HANDLED` to tell the router so, anything else and the
 * router answers an iq request or a message with `<service-unavailable/>`.
 */
export type ComponentHandler = (event: StanzaEvent) => HookResult | Promise<HookResult>;

/** Routes stanzas to domains that are neither hosted nor components (RFC 6120 §10.4). */
export interface RemoteRouter {
  /**
   * Takes a stanza for a remote domain. It is responsible from now on: queue it while a
   * connection is set up, or bounce it (`remote-server-not-found`, `remote-server-timeout`).
   *
   * @param event The stanza, its parsed sender and recipient.
   */
  route(event: StanzaEvent): Promise<void>;
}

/** The destination class of a domain. */
export type DomainKind = "hosted" | "component" | "remote";

/** Hosted and component domains; components can come and go while the server runs. */
export class DomainTable {
  readonly #hosted: ReadonlySet<string>;
  readonly #components = new Map<string, ComponentHandler>();
  #remote: RemoteRouter | undefined;

  /**
   * @param hosted The hosted domains (prepared).
   */
  constructor(hosted: Iterable<string>) {
    this.#hosted = new Set(hosted);
  }

  /**
   * Tells what a domain is.
   *
   * @param domain A prepared domain.
   * @returns Its kind.
   * @example
   * ```ts
   * import { DomainTable } from "./domains.ts";
   * const t = new DomainTable(["localhost"]);
   * t.addComponent("conference.localhost", () => undefined);
   * if (t.kind("conference.localhost") !== "component" || t.kind("example.org") !== "remote") {
   *   throw new Error();
   * }
   * ```
   */
  kind(domain: string): DomainKind {
    if (this.#hosted.has(domain)) return "hosted";
    return this.#components.has(domain) ? "component" : "remote";
  }

  /** Whether a domain is hosted here (local accounts). */
  isHosted(domain: string): boolean {
    return this.#hosted.has(domain);
  }

  /** The handler of a component domain. */
  component(domain: string): ComponentHandler | undefined {
    return this.#components.get(domain);
  }

  /** The component domains, in registration order. */
  components(): string[] {
    return [...this.#components.keys()];
  }

  /**
   * Serves a domain with a component.
   *
   * @param domain The prepared domain.
   * @param handler What takes its stanzas.
   * @returns A function that removes the component.
   * @throws {Error} When the domain is hosted or served already.
   */
  addComponent(domain: string, handler: ComponentHandler): () => void {
    if (this.#hosted.has(domain) || this.#components.has(domain)) {
      throw new Error(`Cannot serve "${domain}" with a component: the domain is taken`);
    }
    this.#components.set(domain, handler);
    return () => {
      if (this.#components.get(domain) === handler) this.#components.delete(domain);
    };
  }

  /** The remote router, when federation is loaded. */
  get remote(): RemoteRouter | undefined {
    return this.#remote;
  }

  /**
   * Sets the remote router.
   *
   * @param remote It.
   * @returns A function that removes it.
   * @throws {Error} When another remote router is set.
   */
  setRemote(remote: RemoteRouter): () => void {
    if (this.#remote) throw new Error("Cannot set a remote router: one is set already");
    this.#remote = remote;
    return () => {
      if (this.#remote === remote) this.#remote = undefined;
    };
  }
}

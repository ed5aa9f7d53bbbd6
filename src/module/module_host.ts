/**
 * Loads modules: gives each its own {@linkcode ModuleApi} and remembers what it registered, so
 * unloading removes exactly that.
 *
 * @module
 */
import type { HookHandler, HookRegistry } from "../hooks/hook_registry.ts";
import type { IqRegistry, IqTarget } from "../hooks/iq_registry.ts";
import type { BareJid } from "../jid/jid.ts";
import type {
  AccountItemsProvider,
  Bind2Handler,
  ComponentOptions,
  DiscoIdentity,
  DiscoInfo,
  DiscoItem,
  DiscoNodeProvider,
  DiscoNodeResolver,
  ModuleApi,
  Sasl2Handler,
  ServerIdentity,
  XmppModule,
} from "./module_api.ts";
import type { ServerHooks } from "../hooks/server_hooks.ts";
import type { Router } from "../router/router.ts";
import type { DomainTable } from "../router/domains.ts";
import { componentHandler } from "./component.ts";
import type { Storage } from "../storage/storage.ts";
import type { Element } from "../xml/element.ts";
import type { Logger } from "../base/logger.ts";

/** What modules are loaded into. */
export interface ModuleHostDeps {
  /** Hosted domains, default first. */
  readonly domains: readonly string[];
  /** The router. */
  readonly router: Router;
  /** Hosted and component domains, and the remote router. */
  readonly domainTable: DomainTable;
  /** The storage. */
  readonly storage: Storage;
  /** The logger. */
  readonly logger: Logger;
  /** The hooks. */
  readonly hooks: HookRegistry<ServerHooks>;
  /** The IQ handlers. */
  readonly iqs: IqRegistry;
  /** Name and version. */
  readonly software: ServerIdentity;
  /** Whether an account exists. */
  accountExists(jid: string): Promise<boolean>;
  /** Removes an account with its data, modules' included. */
  removeAccount(jid: BareJid): Promise<boolean>;
  /** The clock. */
  now(): Date;
  /** New unique, unguessable ids. */
  randomId(): string;
}

type Dispose = () => void | Promise<void>;

function remover<T>(list: T[], item: T): Dispose {
  list.push(item);
  return () => {
    const i = list.indexOf(item);
    if (i !== -1) list.splice(i, 1);
  };
}

/** The modules of a server and what they registered. */
export class ModuleHost {
  readonly #deps: ModuleHostDeps;
  readonly #loaded = new Map<string, Dispose[]>();
  readonly #features: Record<IqTarget, string[]> = { server: [], account: [] };
  readonly #identities: Record<IqTarget, DiscoIdentity[]> = { server: [], account: [] };
  readonly #forms: Record<IqTarget, Element[]> = { server: [], account: [] };
  readonly #items: DiscoItem[] = [];
  readonly #accountItems: AccountItemsProvider[] = [];
  readonly #streamFeatures: Element[] = [];
  readonly #bind2: { readonly xmlns: string; readonly handler: Bind2Handler }[] = [];
  readonly #bind2Vars: string[] = [];
  readonly #sasl2: { readonly feature: Element; readonly handler: Sasl2Handler }[] = [];
  readonly #sasl2Features: Element[] = [];
  readonly #nodeResolvers: DiscoNodeResolver[] = [];

  /**
   * @param deps What modules are given.
   */
  constructor(deps: ModuleHostDeps) {
    this.#deps = deps;
  }

  /** Stream features offered after authentication. */
  get streamFeatures(): readonly Element[] {
    return this.#streamFeatures;
  }

  /** XEP-0386 Bind 2 inline feature namespaces (a live list). */
  get bind2Vars(): readonly string[] {
    return this.#bind2Vars;
  }

  /** XEP-0388 SASL2 inline features (a live list). */
  get sasl2Features(): readonly Element[] {
    return this.#sasl2Features;
  }

  /** The Bind 2 inline handlers, in load order. */
  get bind2Handlers(): readonly { readonly xmlns: string; readonly handler: Bind2Handler }[] {
    return this.#bind2;
  }

  /** The SASL2 inline handlers, in load order. */
  get sasl2Handlers(): readonly { readonly feature: Element; readonly handler: Sasl2Handler }[] {
    return this.#sasl2;
  }

  /** Names of the loaded modules. */
  get names(): string[] {
    return [...this.#loaded.keys()];
  }

  /**
   * What disco#info reports for a target.
   *
   * @param target "server" or "account".
   * @returns Identities, sorted unique features, and extended information forms.
   */
  discoInfo(target: IqTarget): DiscoInfo {
    return {
      identities: [...this.#identities[target]],
      features: [...new Set(this.#features[target])].sort(),
      forms: [...this.#forms[target]],
    };
  }

  /**
   * What disco#items reports for an account: the items of every provider, in load order.
   *
   * @param owner The account.
   * @param requester Who asks.
   * @returns The items.
   */
  async discoAccountItems(owner: BareJid, requester: BareJid): Promise<DiscoItem[]> {
    const out: DiscoItem[] = [];
    for (const provider of [...this.#accountItems]) out.push(...await provider(owner, requester));
    return out;
  }

  /**
   * Loads a module.
   *
   * @param module The module.
   * @throws {Error} When a module of that name is loaded already.
   */
  async load(module: XmppModule): Promise<void> {
    if (this.#loaded.has(module.name)) {
      throw new Error(`Cannot load module "${module.name}": already loaded`);
    }
    const disposers: Dispose[] = [];
    this.#loaded.set(module.name, disposers);
    const d = this.#deps;
    const api: ModuleApi = {
      domain: d.domains[0],
      domains: d.domains,
      router: d.router,
      storage: d.storage,
      logger: d.logger,
      software: d.software,
      // The handler's type is checked by ModuleApi.hook (synchronous for stanza/out).
      hook: (event, fn, options) =>
        disposers.push(d.hooks.add(event, fn as HookHandler<ServerHooks[typeof event]>, options)),
      component: (domain, component) => disposers.push(...this.#component(domain, component)),
      remote: (router) => disposers.push(d.domainTable.setRemote(router)),
      iq: (type, xmlns, name, handler, options) =>
        disposers.push(d.iqs.add(type, xmlns, name, handler, options)),
      feature: (xmlns, options) =>
        disposers.push(remover(this.#features[options?.target ?? "server"], xmlns)),
      identity: (identity, options) =>
        disposers.push(remover(this.#identities[options?.target ?? "server"], identity)),
      discoForm: (form, options) =>
        disposers.push(remover(this.#forms[options?.target ?? "server"], form)),
      item: (item) => disposers.push(remover(this.#items, item)),
      accountItems: (provider) => disposers.push(remover(this.#accountItems, provider)),
      discoNodes: (resolver) => disposers.push(remover(this.#nodeResolvers, resolver)),
      discoNodeProvider: (node) => this.#discoNodeProvider(node),
      streamFeature: (feature) => disposers.push(remover(this.#streamFeatures, feature)),
      bind2Feature: (xmlns, handler) =>
        disposers.push(remover(this.#bind2, { xmlns, handler }), remover(this.#bind2Vars, xmlns)),
      sasl2Feature: (feature, handler) =>
        disposers.push(
          remover(this.#sasl2, { feature, handler }),
          remover(this.#sasl2Features, feature),
        ),
      discoInfo: (target) => this.discoInfo(target),
      discoItems: () => [...this.#items],
      discoAccountItems: (owner, requester) => this.discoAccountItems(owner, requester),
      accountExists: (jid) => d.accountExists(jid),
      removeAccount: (jid) => d.removeAccount(jid),
      onUnload: (fn) => disposers.push(fn),
      now: () => d.now(),
      randomId: () => d.randomId(),
    };
    try {
      await module.setup(api);
    } catch (e) {
      await this.unload(module.name);
      throw e;
    }
  }

  #discoNodeProvider(node: string): DiscoNodeProvider | undefined {
    for (const resolve of [...this.#nodeResolvers]) {
      const provider = resolve(node);
      if (provider) return provider;
    }
    return undefined;
  }

  #component(domain: string, component: ComponentOptions): Dispose[] {
    const d = this.#deps;
    const remove = d.domainTable.addComponent(
      domain,
      componentHandler(d.router, domain, component),
    );
    return [remove, remover(this.#items, { jid: domain, name: component.name })];
  }

  /**
   * Unloads a module, removing everything it registered.
   *
   * @param name The module's name.
   * @returns `false` when no such module was loaded.
   */
  async unload(name: string): Promise<boolean> {
    const disposers = this.#loaded.get(name);
    if (!disposers) return false;
    this.#loaded.delete(name);
    for (const dispose of disposers.reverse()) await dispose();
    return true;
  }

  /** Unloads every module, last loaded first. */
  async unloadAll(): Promise<void> {
    for (const name of this.names.reverse()) await this.unload(name);
  }
}

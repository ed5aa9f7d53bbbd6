/**
 * The API a module registers through, built-in or third-party alike.
 *
 * @module
 */
import type { BareJid } from "../jid/jid.ts";
import type { Router } from "../router/router.ts";
import type { Logger } from "../base/logger.ts";
import type { Storage } from "../storage/storage.ts";
import type { Element } from "../xml/element.ts";
import type { HookHandler, HookOptions } from "../hooks/hook_registry.ts";
import type { IqHandler, IqOptions, IqTarget } from "../hooks/iq_registry.ts";
import type { ServerHooks } from "../hooks/server_hooks.ts";

/** A disco#info identity (XEP-0030 §3.1). */
export interface DiscoIdentity {
  /** Category, e.g. "server". */
  readonly category: string;
  /** Type, e.g. "im". */
  readonly type: string;
  /** Human-readable name. */
  readonly name?: string;
}

/** A disco#items item (XEP-0030 §4.1). */
export interface DiscoItem {
  /** The item's JID. */
  readonly jid: string;
  /** Human-readable name. */
  readonly name?: string;
  /** The item's node. */
  readonly node?: string;
}

/**
 * Lists disco#items items of an account (XEP-0030 §4), e.g. the PEP nodes `requester` may
 * see. Registered with {@linkcode ModuleApi.accountItems}.
 *
 * @param owner The account asked about.
 * @param requester Who asks (the owner itself for an iq without `to`).
 * @returns The items to list.
 */
export type AccountItemsProvider = (
  owner: BareJid,
  requester: BareJid,
) => Promise<readonly DiscoItem[]>;

/** What disco#info reports for a target. */
export interface DiscoInfo {
  /** The identities. */
  readonly identities: readonly DiscoIdentity[];
  /** The features, sorted, without duplicates. */
  readonly features: readonly string[];
}

/** The name and version the server reports (XEP-0092). */
export interface ServerIdentity {
  /** Software name. */
  readonly name: string;
  /** Software version. */
  readonly version: string;
}

/** What a module registers through. Everything registered is removed when it is unloaded. */
export interface ModuleApi {
  /** The default hosted domain. */
  readonly domain: string;
  /** Every hosted domain. */
  readonly domains: readonly string[];
  /** Routes stanzas and finds sessions. */
  readonly router: Router;
  /** The server's storage. */
  readonly storage: Storage;
  /** The server's logger. */
  readonly logger: Logger;
  /** The server software's name and version. */
  readonly software: ServerIdentity;
  /** Adds a hook handler. */
  hook<K extends keyof ServerHooks>(
    event: K,
    fn: HookHandler<ServerHooks[K]>,
    options?: HookOptions,
  ): void;
  /** Adds an IQ handler for a payload (type, namespace, name). */
  iq(
    type: "get" | "set",
    xmlns: string,
    name: string,
    handler: IqHandler,
    options?: IqOptions,
  ): void;
  /** Advertises a disco#info feature for the server (default) or for accounts. */
  feature(xmlns: string, options?: { readonly target?: IqTarget }): void;
  /** Advertises a disco#info identity for the server (default) or for accounts. */
  identity(identity: DiscoIdentity, options?: { readonly target?: IqTarget }): void;
  /** Lists a disco#items item of the server. */
  item(item: DiscoItem): void;
  /** Adds a source of disco#items items of accounts (queried per request, in load order). */
  accountItems(provider: AccountItemsProvider): void;
  /** Offers a stream feature after authentication, next to `<bind/>`. */
  streamFeature(feature: Element): void;
  /** What disco#info reports now for a target. */
  discoInfo(target: IqTarget): DiscoInfo;
  /** What disco#items reports now for the server. */
  discoItems(): readonly DiscoItem[];
  /** What disco#items reports for an account, as `requester` sees it. */
  discoAccountItems(owner: BareJid, requester: BareJid): Promise<readonly DiscoItem[]>;
  /** Whether an account exists. */
  accountExists(jid: BareJid): Promise<boolean>;
  /** Runs when the module is unloaded or the server closes. */
  onUnload(fn: () => void | Promise<void>): void;
  /** The current time (a parameter, so tests can set it). */
  now(): Date;
  /** A new unique, unguessable id for stanzas and items (a parameter, so tests can set it). */
  randomId(): string;
}

/** A server feature: a factory returns one, and the server calls `setup` once. */
export interface XmppModule {
  /** Unique name, e.g. "ping". */
  readonly name: string;
  /** The specifications it implements, e.g. ["XEP-0199"]. */
  readonly specs?: readonly string[];
  /** Registers the module's hooks, handlers and features. */
  setup(api: ModuleApi): void | Promise<void>;
}

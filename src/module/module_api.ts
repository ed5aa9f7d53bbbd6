/**
 * The API a module registers through, built-in or third-party alike.
 *
 * @module
 */
import type { BareJid, FullJid } from "../jid/jid.ts";
import type { Session, StreamHandle } from "../base/session.ts";
import type { Router } from "../router/router.ts";
import type { Logger } from "../base/logger.ts";
import type { Storage } from "../storage/storage.ts";
import type { Element } from "../xml/element.ts";
import type { HookHandler, HookOptions, HookResult } from "../hooks/hook_registry.ts";
import type { IqHandler, IqOptions, IqTarget } from "../hooks/iq_registry.ts";
import type { ServerHooks, StanzaEvent, SyncHooks } from "../hooks/server_hooks.ts";
import type { RemoteRouter } from "../router/domains.ts";

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

/**
 * Answers disco#info and disco#items on one node of the server's domain (XEP-0030 §3.2, §4.2),
 * e.g. XEP-0050's `http://jabber.org/protocol/commands`. Found through
 * {@linkcode ModuleApi.discoNodes}; a method that returns `undefined` makes the query
 * `<item-not-found/>`.
 */
export interface DiscoNodeProvider {
  /** The node's disco#info for `requester` (a full or bare JID). */
  info?(requester: string): Promise<DiscoInfo | undefined> | DiscoInfo | undefined;
  /** The node's disco#items for `requester`. */
  items?(
    requester: string,
  ): Promise<readonly DiscoItem[] | undefined> | readonly DiscoItem[] | undefined;
}

/** Finds the provider of a node of the server's domain ({@linkcode ModuleApi.discoNodes}). */
export type DiscoNodeResolver = (node: string) => DiscoNodeProvider | undefined;

/** What disco#info reports for a target. */
export interface DiscoInfo {
  /** The identities. */
  readonly identities: readonly DiscoIdentity[];
  /** The features, sorted, without duplicates. */
  readonly features: readonly string[];
  /** XEP-0128 extended information: data forms of type `result`, each with a FORM_TYPE. */
  readonly forms: readonly Element[];
}

/** The name and version the server reports (XEP-0092). */
export interface ServerIdentity {
  /** Software name. */
  readonly name: string;
  /** Software version. */
  readonly version: string;
}

/** A handler of a hook whose handlers run synchronously (`stanza/out`). */
export type SyncHookHandler<E> = (event: E) => HookResult;

/** The handler type of a hook: synchronous for {@linkcode SyncHooks}, else maybe async. */
export type ServerHookHandler<K extends keyof ServerHooks> = K extends SyncHooks
  ? SyncHookHandler<ServerHooks[K]>
  : HookHandler<ServerHooks[K]>;

/** A domain a module serves (`ModuleApi.component`), e.g. `conference.example.org`. */
export interface ComponentOptions {
  /** Its disco#info identities (XEP-0030 §3.1), e.g. `{ category: "conference", type: "text" }`. */
  readonly identities: readonly DiscoIdentity[];
  /** Its disco#info features. */
  readonly features?: readonly string[];
  /**
   * Extended information in its disco#info (XEP-0128): `jabber:x:data` forms of type `result`
   * with a `FORM_TYPE`, e.g. XEP-0363's `max-file-size`.
   */
  readonly extensions?: readonly Element[];
  /** Its name in the hosted domain's disco#items. */
  readonly name?: string;
  /**
   * Takes every stanza to the domain or one of its JIDs. Return `HANDLED` for what it dealt
   * with; an iq `get` of disco#info or disco#items on the domain itself is then answered from
   * `identities` and `features`, another iq request or a message gets `<service-unavailable/>`,
   * anything else is dropped.
   */
  handle(event: StanzaEvent): HookResult | Promise<HookResult>;
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
  /** Adds a hook handler (synchronous for `stanza/out`). */
  hook<K extends keyof ServerHooks>(
    event: K,
    fn: ServerHookHandler<K>,
    options?: HookOptions,
  ): void;
  /**
   * Serves a domain (a subdomain of a hosted one, by convention): every stanza addressed to it
   * or its JIDs goes to the component, and it is listed in the hosted domains' disco#items.
   *
   * @throws {Error} When the domain is hosted or served already.
   */
  component(domain: string, component: ComponentOptions): void;
  /**
   * Routes stanzas to domains that are neither hosted nor components (federation).
   *
   * @throws {Error} When another module set one.
   */
  remote(router: RemoteRouter): void;
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
  /**
   * Adds an XEP-0128 extended information form (`<x xmlns='jabber:x:data' type='result'/>`
   * with a hidden FORM_TYPE) to the disco#info of the server (default) or of accounts, e.g.
   * XEP-0157 contact addresses.
   */
  discoForm(form: Element, options?: { readonly target?: IqTarget }): void;
  /** Lists a disco#items item of the server. */
  item(item: DiscoItem): void;
  /** Adds a source of disco#items items of accounts (queried per request, in load order). */
  accountItems(provider: AccountItemsProvider): void;
  /**
   * Answers disco#info and disco#items on nodes of the server's domain: `resolver` returns
   * the provider of a node, or `undefined` for nodes it does not know. Resolvers are asked in
   * load order.
   */
  discoNodes(resolver: DiscoNodeResolver): void;
  /** The provider of a node of the server's domain, if a module's resolver knows it. */
  discoNodeProvider(node: string): DiscoNodeProvider | undefined;
  /** Offers a stream feature after authentication, next to `<bind/>`. */
  streamFeature(feature: Element): void;
  /**
   * Offers a XEP-0386 Bind 2 inline feature: `xmlns` is listed as `<feature var/>` in the
   * Bind 2 offer, and a child of the client's `<bind/>` in that namespace is handed to
   * `handler` on the new session; what it returns goes into `<bound/>`.
   */
  bind2Feature(xmlns: string, handler: Bind2Handler): void;
  /**
   * Offers a XEP-0388 SASL2 inline feature: `feature` is listed in `<authentication><inline>`,
   * and a child of the client's `<authenticate/>` in its namespace is handed to `handler`
   * after authentication, before any Bind 2 request.
   */
  sasl2Feature(feature: Element, handler: Sasl2Handler): void;
  /** What disco#info reports now for a target. */
  discoInfo(target: IqTarget): DiscoInfo;
  /** What disco#items reports now for the server. */
  discoItems(): readonly DiscoItem[];
  /** What disco#items reports for an account, as `requester` sees it. */
  discoAccountItems(owner: BareJid, requester: BareJid): Promise<readonly DiscoItem[]>;
  /** Whether an account exists. */
  accountExists(jid: BareJid): Promise<boolean>;
  /**
   * Removes an account and everything stored for it, then runs `account/removed` so that every
   * module removes its own data of the account.
   *
   * @returns `false` when there was no such account.
   */
  removeAccount(jid: BareJid): Promise<boolean>;
  /** Runs when the module is unloaded or the server closes. */
  onUnload(fn: () => void | Promise<void>): void;
  /** The current time (a parameter, so tests can set it). */
  now(): Date;
  /** A new unique, unguessable id for stanzas and items (a parameter, so tests can set it). */
  randomId(): string;
}

/**
 * Handles a XEP-0386 Bind 2 inline request on the session just bound (e.g. XEP-0198
 * `<enable/>`, XEP-0280 `<enable/>`).
 *
 * @param session The new session.
 * @param request The child of `<bind/>` in the feature's namespace.
 * @returns The answer to put into `<bound/>`, if any.
 */
export type Bind2Handler = (
  session: Session,
  request: Element,
) => Element | undefined | Promise<Element | undefined>;

/**
 * Handles a XEP-0388 SASL2 inline request after authentication (e.g. XEP-0198 `<resume/>`).
 *
 * @param stream The authenticated connection, not bound.
 * @param request The child of `<authenticate/>` in the feature's namespace.
 * @param succeed Writes `<success/>` with `answer` inside and `jid` as the authorization
 * identifier: for a handler that takes the stream over (a resumed session), before anything
 * else it writes.
 * @returns `true` when the handler took the stream over (it called `succeed`); otherwise an
 * element to put into `<success/>` (e.g. `<failed/>`), or nothing, and negotiation goes on
 * (Bind 2, or the post-authentication features).
 */
export type Sasl2Handler = (
  stream: StreamHandle,
  request: Element,
  succeed: (answer: Element, jid: FullJid) => void,
) => boolean | Element | undefined | Promise<boolean | Element | undefined>;

/** A server feature: a factory returns one, and the server calls `setup` once. */
export interface XmppModule {
  /** Unique name, e.g. "ping". */
  readonly name: string;
  /** The specifications it implements, e.g. ["XEP-0199"]. */
  readonly specs?: readonly string[];
  /** Registers the module's hooks, handlers and features. */
  setup(api: ModuleApi): void | Promise<void>;
}

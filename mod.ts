/**
 * Parley: an embeddable XMPP server for Deno and other web-standard runtimes.
 *
 * The core speaks web standards only; transports live in adapters (`@parley/server/deno-tcp`).
 *
 * ```ts ignore
 * import { createServer } from "@parley/server";
 * import { tcpTransport } from "@parley/server/deno-tcp";
 * const server = await createServer({ domain: "localhost", users: [{ jid: "alice@localhost", password: "pw" }] });
 * await server.listen(tcpTransport({ port: 5222, tls }));
 * ```
 *
 * @module
 */
export { createServer } from "./src/server/server.ts";
export type { ConnectionOptions, Listening, Transport, XmppServer } from "./src/server/server.ts";
export { DEFAULT_LIMITS, defineConfig, resolveConfig, VERSION } from "./src/server/config.ts";
export type {
  ListenConfig,
  RegistrationConfig,
  ResolvedConfig,
  ServerConfig,
  ServerLimits,
  UserSeed,
} from "./src/server/config.ts";
export { silentLogger } from "./src/server/logger.ts";
export type { LogFields, Logger } from "./src/server/logger.ts";
export type {
  AccountItemsProvider,
  DiscoIdentity,
  DiscoInfo,
  DiscoItem,
  ModuleApi,
  ServerIdentity,
  XmppModule,
} from "./src/hooks/module_api.ts";
export { HANDLED } from "./src/hooks/hook_registry.ts";
export type { Handled } from "./src/hooks/hook_registry.ts";
export type { HookHandler, HookOptions, HookResult } from "./src/hooks/hook_registry.ts";
export type {
  NonzaEvent,
  ServerHooks,
  SessionClosedEvent,
  SessionEvent,
  StanzaEvent,
} from "./src/hooks/server_hooks.ts";
export type { IqEvent, IqHandler, IqOptions, IqTarget } from "./src/hooks/iq_registry.ts";
export type { Router } from "./src/router/router.ts";
export type { LocalSession } from "./src/router/local_session.ts";
export { errorReply, StanzaError } from "./src/router/stanza_error.ts";
export type { StanzaErrorCondition, StanzaErrorType } from "./src/router/stanza_error.ts";
export { StreamError, streamErrorElement } from "./src/stream/stream_error.ts";
export type { StreamErrorCondition } from "./src/stream/stream_error.ts";
export type { ByteStream, TransportInfo } from "./src/stream/byte_stream.ts";
export { seeOtherUri, streamFraming, websocketFraming } from "./src/stream/framing.ts";
export type { Framing } from "./src/stream/framing.ts";
export type { StreamEvent, StreamHeader } from "./src/xml/stream_event.ts";
export { child, elements, is, text, withAttrs, xml } from "./src/xml/element.ts";
export type { Element, XmlAttrs, XmlChild, XmlNode } from "./src/xml/element.ts";
export { NS } from "./src/xml/ns.ts";
export { serialize } from "./src/xml/serializer.ts";
export { parseXmlDocument } from "./src/xml/document.ts";
export type { XmlDocumentOptions } from "./src/xml/document.ts";
export { bareJid, fullJid, JidError, parseJid, toBare, tryParseJid } from "./src/jid/jid.ts";
export type { BareJid, FullJid, Jid } from "./src/jid/jid.ts";
export { memoryStorage } from "./src/storage/memory.ts";
export type { Storage } from "./src/storage/storage.ts";
export type { AccountStore, Credentials, ScramCredential } from "./src/storage/account_store.ts";
export type {
  PendingSubscription,
  Roster,
  RosterDelta,
  RosterItem,
  RosterStore,
  Subscription,
} from "./src/storage/roster_store.ts";
export type { OfflineMessage, OfflineStore } from "./src/storage/offline_store.ts";
export type { BlocklistStore, PrivateStore, VcardStore } from "./src/storage/xml_stores.ts";
export type {
  ArchivedMessage,
  ArchivePage,
  ArchiveQuery,
  ArchiveStore,
} from "./src/storage/archive_store.ts";
export type { NodeConfig, PubsubItem, PubsubStore } from "./src/storage/pubsub_store.ts";
export { deriveCredentials } from "./src/sasl/credentials.ts";
export type { DeriveOptions } from "./src/sasl/credentials.ts";
export { builtinModules, disco, legacySession, ping, time, version } from "./src/modules/mod.ts";
export { account, blocking, pep, privateStorage, vcard } from "./src/modules/mod.ts";
export type { BuiltinModuleOptions } from "./src/modules/mod.ts";
export type { AccountOptions } from "./src/modules/account.ts";
export type { PepOptions } from "./src/modules/pep.ts";
export type { PrivateStorageOptions } from "./src/modules/private_storage.ts";
export type { VcardOptions } from "./src/modules/vcard.ts";
export { offline, presence, roster, subscriptions } from "./src/modules/mod.ts";
export type { OfflineOptions } from "./src/modules/offline.ts";
export type { RosterOptions } from "./src/modules/roster.ts";

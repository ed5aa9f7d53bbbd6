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
export type {
  ConnectionOptions,
  Listening,
  ServerParts,
  Transport,
  XmppServer,
} from "./src/server/server.ts";
export { DEFAULT_LIMITS, defineConfig, resolveConfig, VERSION } from "./src/server/config.ts";
export type {
  FastConfig,
  GuestConfig,
  ListenConfig,
  RegistrationConfig,
  ResolvedConfig,
  S2sConfig,
  ServerConfig,
  ServerLimits,
  UserSeed,
} from "./src/server/config.ts";
export type { AuthProvider } from "./src/server/auth_provider.ts";
export { silentLogger } from "./src/base/logger.ts";
export { randomId } from "./src/util/random_id.ts";
export type { LogFields, Logger } from "./src/base/logger.ts";
export type {
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
  ServerHookHandler,
  ServerIdentity,
  SyncHookHandler,
  XmppModule,
} from "./src/module/module_api.ts";
export { HANDLED } from "./src/hooks/hook_registry.ts";
export type { Handled } from "./src/hooks/hook_registry.ts";
export type { HookHandler, HookOptions, HookResult } from "./src/hooks/hook_registry.ts";
export type {
  AccountEvent,
  DelegateEvent,
  InboundEvent,
  NonzaEvent,
  OutboundEvent,
  PresenceEvent,
  ProvidedRosterEvent,
  RouteEvent,
  ServerHooks,
  SessionClosedEvent,
  SessionEndingEvent,
  SessionEvent,
  StanzaEvent,
  SyncHooks,
  UndeliverableEvent,
} from "./src/hooks/server_hooks.ts";
export type { IqEvent, IqHandler, IqOptions, IqTarget } from "./src/hooks/iq_registry.ts";
export type { Router } from "./src/router/router.ts";
export type { ComponentHandler, DomainKind, RemoteRouter } from "./src/router/domains.ts";
export { memoryDirectory } from "./src/router/session_directory.ts";
export type { SessionDirectory } from "./src/router/session_directory.ts";
export type { Session, SessionRef, SessionState, StreamHandle } from "./src/base/session.ts";
export { errorReply, StanzaError } from "./src/base/stanza_error.ts";
export type { StanzaErrorCondition, StanzaErrorType } from "./src/base/stanza_error.ts";
export { StreamError, streamErrorElement } from "./src/base/stream_error.ts";
export type { StreamErrorCondition } from "./src/base/stream_error.ts";
export type { ByteChannel, ByteStream, TransportInfo } from "./src/base/transport.ts";
export { seeOtherUri, streamFraming, websocketFraming } from "./src/stream/framing.ts";
export type { Framing } from "./src/stream/framing.ts";
export type { StreamEvent, StreamHeader } from "./src/xml/stream_event.ts";
export { child, elements, is, text, withAttrs, xml } from "./src/xml/element.ts";
export type { Element, XmlAttrs, XmlChild, XmlNode } from "./src/xml/element.ts";
export { NS } from "./src/xml/ns.ts";
export { serialize } from "./src/xml/serializer.ts";
export { StreamParser } from "./src/xml/stream_parser.ts";
export type { StreamParserOptions } from "./src/xml/stream_parser.ts";
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
  RosterOp,
  RosterOpResult,
  RosterStore,
  Subscription,
} from "./src/storage/roster_store.ts";
export type {
  ProvidedContact,
  ProvidedRosterChange,
  RosterProvider,
} from "./src/storage/provided_roster.ts";
export { InviteTokens, inviteUri } from "./src/storage/invite_tokens.ts";
export type { Invite, InviteOptions } from "./src/storage/invite_tokens.ts";
export type { OfflineMessage, OfflineStore } from "./src/storage/offline_store.ts";
export type { BlocklistStore, PrivateStore, VcardStore } from "./src/storage/xml_stores.ts";
export type {
  ArchiveBound,
  ArchivedMessage,
  ArchiveMetadata,
  ArchivePage,
  ArchiveQuery,
  ArchiveStore,
} from "./src/storage/archive_store.ts";
export type {
  LastPublished,
  NodeConfig,
  PubsubItem,
  PubsubStore,
} from "./src/storage/pubsub_store.ts";
export { DOCUMENT_LIMITS } from "./src/storage/document_store.ts";
export type {
  DocumentListOptions,
  DocumentPage,
  DocumentStore,
  DocumentUpdater,
  DocumentWriteOptions,
  StoredDocument,
} from "./src/storage/document_store.ts";
export { documentCollection } from "./src/storage/document_collection.ts";
export type {
  DocumentCollection,
  DocumentCollectionOptions,
} from "./src/storage/document_collection.ts";
export { loadXml, storedXmlBytes, storeXml } from "./src/storage/stored_xml.ts";
export { deriveCredentials } from "./src/sasl/credentials.ts";
export type { DeriveOptions } from "./src/sasl/credentials.ts";
export { builtinModules, disco, legacySession, ping, time, version } from "./src/modules/mod.ts";
export { account, blocking, pep, privateStorage, vcard } from "./src/modules/mod.ts";
export type { BuiltinLimits, BuiltinModuleOptions } from "./src/modules/mod.ts";
export type { AccountOptions } from "./src/modules/account.ts";
export type { PepOptions } from "./src/modules/pep.ts";
export type { PrivateStorageOptions } from "./src/modules/private_storage.ts";
export type { VcardOptions } from "./src/modules/vcard.ts";
export { offline, presence, roster, subscriptions } from "./src/modules/mod.ts";
export { externalComponents } from "./src/modules/external_components.ts";
export type { PipeLimits } from "./src/modules/s2s/xml_pipe.ts";
export type { GcraRate } from "./src/util/gcra.ts";
export { federation } from "./src/modules/s2s/federation.ts";
export type { Federation, FederationOptions, S2sConnector } from "./src/modules/s2s/federation.ts";
export type {
  ExternalComponents,
  ExternalComponentsOptions,
} from "./src/modules/external_components.ts";
export type { OfflineOptions } from "./src/modules/offline.ts";
export type { RosterOptions } from "./src/modules/roster.ts";
export { carbons, clientState, mam, streamManagement } from "./src/modules/mod.ts";
export { archiveId, sentFromArchive } from "./src/modules/mam.ts";
export type { MamDefault, MamOptions } from "./src/modules/mam.ts";
export { muc } from "./src/modules/mod.ts";
export type { MucOptions } from "./src/modules/mod.ts";
export type { Affiliation, AllowPm, Role, RoomConfig } from "./src/modules/muc/mod.ts";
export {
  enableStreamManagement,
  requestAck,
  STREAM_MANAGEMENT_PRIORITY,
  withdrawUnsent,
} from "./src/modules/stream_management.ts";
export type {
  StreamManagementModule,
  StreamManagementOptions,
} from "./src/modules/stream_management.ts";
export { carbonEligible, carbonsEnabled, enableCarbons } from "./src/modules/carbons.ts";
export { holding, isUrgent, markUrgent } from "./src/modules/client_state.ts";
export type { ClientStateOptions, Holding } from "./src/modules/client_state.ts";
export { push, pushRelay } from "./src/modules/mod.ts";
export type { PushConfig } from "./src/modules/mod.ts";
export { PUSH_DOCUMENTS } from "./src/modules/push.ts";
export type { PushOptions, PushRegistration } from "./src/modules/push.ts";
export type {
  PushRelayOptions,
  PushRelayRate,
  PushRelaySummary,
} from "./src/modules/push_relay.ts";
export {
  avatarConversion,
  contactAddresses,
  externalServices,
  lastActivity,
} from "./src/modules/mod.ts";
export type { ContactInfo } from "./src/modules/contact_addresses.ts";
export type { LastActivityOptions } from "./src/modules/last_activity.ts";
export { turnCredentials } from "./src/modules/external_services.ts";
export type { ExternalService } from "./src/modules/external_services.ts";
export { HTTP_UPLOAD_DEFAULTS, httpUpload } from "./src/modules/http_upload.ts";
export type { HttpUploadOptions } from "./src/modules/http_upload.ts";
export {
  MAX_UPLOAD_FILENAME_BYTES,
  signUploadToken,
  uploadFilenameProblem,
  verifyUploadToken,
} from "./src/modules/upload_token.ts";
export type { UploadGrant, UploadTokenCheck } from "./src/modules/upload_token.ts";
export type { ByteRange, FileStore, StoredFile, StoredFileInfo } from "./src/storage/file_store.ts";
export { adhoc, PING_COMMAND } from "./src/modules/adhoc.ts";
export type { AdhocOptions } from "./src/modules/adhoc.ts";
export { CommandRegistry } from "./src/modules/command_registry.ts";
export type {
  AdhocCommand,
  CommandAction,
  CommandNote,
  CommandRequest,
  CommandResponse,
} from "./src/modules/command_registry.ts";
export { dataForm, submittedValues } from "./src/modules/data_form.ts";
export { pubsub, PUBSUB_FEATURES } from "./src/modules/pubsub.ts";
export type { PubsubOptions } from "./src/modules/pubsub.ts";
export type { FormField } from "./src/modules/data_form.ts";

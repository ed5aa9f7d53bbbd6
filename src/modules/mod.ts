/**
 * The built-in modules. Each is written against the public module API only, as a third party
 * would write one.
 *
 * @module
 */
import type { XmppModule } from "../module/module_api.ts";
import { account } from "./account.ts";
import { blocking } from "./blocking.ts";
import { pep } from "./pep.ts";
import { privateStorage } from "./private_storage.ts";
import { vcard } from "./vcard.ts";
import { disco } from "./disco.ts";
import { legacySession } from "./legacy_session.ts";
import { ping } from "./ping.ts";
import { time } from "./time.ts";
import { version } from "./version.ts";
import { offline } from "./offline.ts";
import { presence } from "./presence.ts";
import { roster } from "./roster.ts";
import { subscriptions } from "./subscriptions.ts";
import { streamManagement } from "./stream_management.ts";
import { carbons } from "./carbons.ts";
import { clientState } from "./client_state.ts";
import { mam } from "./mam.ts";
import { push, type PushOptions } from "./push.ts";
import { pushRelay, type PushRelayOptions } from "./push_relay.ts";
import { lastActivity } from "./last_activity.ts";
import { contactAddresses, type ContactInfo } from "./contact_addresses.ts";
import { type ExternalService, externalServices } from "./external_services.ts";
import { avatarConversion } from "./avatar_conversion.ts";
import { httpUpload, type HttpUploadOptions } from "./http_upload.ts";
import { adhoc } from "./adhoc.ts";
import { pubsub, type PubsubOptions } from "./pubsub.ts";
import type { CommandRegistry } from "./command_registry.ts";
import { muc, type MucOptions } from "./muc/mod.ts";

export { disco, legacySession, ping, time, version };
export { account, blocking, pep, privateStorage, vcard };
export { offline, presence, roster, subscriptions };
export { carbons, clientState, mam, streamManagement };
export { push, pushRelay };
export { avatarConversion, contactAddresses, externalServices, lastActivity };

/** Push notification settings (XEP-0357): what the summary holds, and the first-party relay. */
export interface PushConfig extends PushOptions {
  /** The relay component (off unless set): where it POSTs summaries. */
  readonly relay?: Omit<PushRelayOptions, "fetch">;
}
export { httpUpload };
export { adhoc, pubsub };
export { muc };
export type { MucOptions };

/** The limits the built-in modules enforce (a part of the server's `limits`). */
export interface BuiltinLimits {
  /** Items one roster may hold (RFC 6121 §2.3.3: more is not-allowed); default 1000. */
  readonly maxRosterItems?: number;
  /** Offline messages kept per account (XEP-0160); default 500. */
  readonly maxOfflineMessages?: number;
  /** Largest vCard (XEP-0054) an account may store, in bytes of serialized XML; default 64 KiB. */
  readonly maxVcardBytes?: number;
  /** Largest PEP item (XEP-0163), in bytes of serialized XML; default 64 KiB. */
  readonly maxPepItemBytes?: number;
  /**
   * Longest a session whose connection was lost waits for XEP-0198 resumption (advertised as
   * `max`); default 300,000 ms (5 minutes).
   */
  readonly resumptionTimeoutMs?: number;
  /**
   * Stanzas a client may leave unacknowledged (XEP-0198), connected or waiting for
   * resumption, before its session is ended and they are redelivered; default 1000.
   */
  readonly maxUnackedStanzas?: number;
  /** Their size in bytes (roughly, as XML) before the same happens; default 1 MiB. */
  readonly maxUnackedBytes?: number;
  /** Stanzas held for an inactive client (XEP-0352) before all are released; default 256. */
  readonly maxHeldStanzas?: number;
}

/** What the built-in modules take from the server's configuration. */
export interface BuiltinModuleOptions {
  /** The server's limits (vCard and PEP item sizes). */
  readonly limits?: BuiltinLimits;
  /** PBKDF2 iterations for passwords changed in-band (XEP-0077 §3.3). */
  readonly scramIterations?: number;
  /** XEP-0357 push notifications, and the relay. */
  readonly push?: PushConfig;
  /** XEP-0157 contact addresses shown in the server's disco#info. */
  readonly contactInfo?: ContactInfo;
  /** XEP-0215 external services (STUN, TURN) offered to local accounts. */
  readonly externalServices?: readonly ExternalService[];
  /** XEP-0363 HTTP file upload on `upload.<domain>`; not loaded without it. */
  readonly upload?: HttpUploadOptions;
  /** Bare JIDs allowed to run the XEP-0133 administration commands. */
  readonly admins?: readonly string[];
  /** Where XEP-0050 ad-hoc commands are registered. */
  readonly commands?: CommandRegistry;
  /** XEP-0401 invitations: the admins' `urn:xmpp:invite#create-account` command. */
  readonly invites?: { readonly inviteUrl?: string };
  /** The XEP-0060 service on `pubsub.<domain>`; `false`: none. */
  readonly pubsub?: PubsubOptions | false;
  /** The XEP-0045 service on `conference.<domain>`: its options, or `false` for none. */
  readonly muc?: MucOptions | false;
}

/**
 * The modules a server loads unless told otherwise.
 *
 * @param options Limits from the server's configuration.
 * @returns New instances of the built-in modules.
 * @example
 * ```ts
 * import { builtinModules } from "./mod.ts";
 * if (!builtinModules().some((m) => m.name === "ping")) throw new Error();
 * ```
 */
export function builtinModules(options: BuiltinModuleOptions = {}): XmppModule[] {
  const limits = options.limits ?? {};
  return [
    disco(),
    ping(),
    version(),
    time(),
    legacySession(),
    roster({ maxItems: limits.maxRosterItems }),
    subscriptions(),
    presence(),
    offline({ maxMessages: limits.maxOfflineMessages }),
    blocking(),
    vcard({ maxBytes: limits.maxVcardBytes }),
    privateStorage({ maxBytes: limits.maxVcardBytes }),
    account({ scramIterations: options.scramIterations }),
    pep({ maxItemBytes: limits.maxPepItemBytes }),
    streamManagement({
      resumptionTimeoutMs: limits.resumptionTimeoutMs,
      maxUnackedStanzas: limits.maxUnackedStanzas,
      maxUnackedBytes: limits.maxUnackedBytes,
    }),
    carbons(),
    clientState({ maxHeld: limits.maxHeldStanzas }),
    mam(),
    push(options.push),
    ...(options.push?.relay ? [pushRelay(options.push.relay)] : []),
    lastActivity(),
    contactAddresses(options.contactInfo ?? {}),
    externalServices(options.externalServices ?? []),
    avatarConversion(),
    ...options.upload ? [httpUpload(options.upload)] : [],
    adhoc({
      admins: options.admins,
      commands: options.commands,
      scramIterations: options.scramIterations,
      invites: options.invites,
    }),
    ...(options.pubsub === false ? [] : [pubsub(options.pubsub)]),
    ...options.muc === false ? [] : [muc(options.muc)],
  ];
}

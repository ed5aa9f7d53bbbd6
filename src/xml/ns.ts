/**
 * XML namespaces used by the core. Logic refers to these constants, never to string literals.
 *
 * @module
 */

/** Namespace names, keyed by a short name. */
export const NS = {
  CLIENT: "jabber:client",
  SERVER: "jabber:server",
  STREAM: "http://etherx.jabber.org/streams",
  STREAMS: "urn:ietf:params:xml:ns:xmpp-streams",
  STANZAS: "urn:ietf:params:xml:ns:xmpp-stanzas",
  TLS: "urn:ietf:params:xml:ns:xmpp-tls",
  SASL: "urn:ietf:params:xml:ns:xmpp-sasl",
  BIND: "urn:ietf:params:xml:ns:xmpp-bind",
  SESSION: "urn:ietf:params:xml:ns:xmpp-session",
  SASL_CB: "urn:xmpp:sasl-cb:0",
  FRAMING: "urn:ietf:params:xml:ns:xmpp-framing",
  XML: "http://www.w3.org/XML/1998/namespace",
  DISCO_INFO: "http://jabber.org/protocol/disco#info",
  DISCO_ITEMS: "http://jabber.org/protocol/disco#items",
  PING: "urn:xmpp:ping",
  VERSION: "jabber:iq:version",
  TIME: "urn:xmpp:time",
  DELAY: "urn:xmpp:delay",
  ROSTER: "jabber:iq:roster",
  ROSTER_VER: "urn:xmpp:features:rosterver",
  PRESENCE_PREAPPROVAL: "urn:xmpp:features:pre-approval",
  BLOCKING: "urn:xmpp:blocking",
  BLOCKING_ERRORS: "urn:xmpp:blocking:errors",
  VCARD: "vcard-temp",
  PRIVATE: "jabber:iq:private",
  BOOKMARKS_LEGACY: "storage:bookmarks",
  BOOKMARKS: "urn:xmpp:bookmarks:1",
  PUBSUB: "http://jabber.org/protocol/pubsub",
  PUBSUB_OWNER: "http://jabber.org/protocol/pubsub#owner",
  PUBSUB_EVENT: "http://jabber.org/protocol/pubsub#event",
  PUBSUB_ERRORS: "http://jabber.org/protocol/pubsub#errors",
  PUBLISH_OPTIONS: "http://jabber.org/protocol/pubsub#publish-options",
  NODE_CONFIG: "http://jabber.org/protocol/pubsub#node_config",
  DATA_FORMS: "jabber:x:data",
  CAPS: "http://jabber.org/protocol/caps",
  REGISTER: "jabber:iq:register",
  REGISTER_FEATURE: "http://jabber.org/features/iq-register",
  /** XEP-0401 / XEP-0445 pre-authenticated registration (the `<preauth/>` element). */
  PARS: "urn:xmpp:pars:0",
  /** XEP-0401: the stream feature of a server that takes invitations. */
  INVITE: "urn:xmpp:invite",
  /** XEP-0445: the stream feature of token-gated in-band registration. */
  IBR_TOKEN: "urn:xmpp:ibr-token:0",
  // Phones and several devices (#12): XEP-0198, XEP-0280 with XEP-0297, XEP-0352, and the
  // payloads XEP-0352 tells apart.
  SM: "urn:xmpp:sm:3",
  CARBONS: "urn:xmpp:carbons:2",
  FORWARD: "urn:xmpp:forward:0",
  CSI: "urn:xmpp:csi:0",
  HINTS: "urn:xmpp:hints",
  CHATSTATES: "http://jabber.org/protocol/chatstates",
  RECEIPTS: "urn:xmpp:receipts",
  CHAT_MARKERS: "urn:xmpp:chat-markers:0",
  STANZA_ID: "urn:xmpp:sid:0",
  // XEP-0313 message archive, with XEP-0059 result set management.
  MAM: "urn:xmpp:mam:2",
  MAM_EXTENDED: "urn:xmpp:mam:2#extended",
  RSM: "http://jabber.org/protocol/rsm",
  XDATA_VALIDATE: "http://jabber.org/protocol/xdata-validate",
  MUC_USER: "http://jabber.org/protocol/muc#user",
  // Modern logins (#15): XEP-0388 SASL2, XEP-0386 Bind 2, XEP-0484 FAST.
  SASL2: "urn:xmpp:sasl:2",
  BIND2: "urn:xmpp:bind:0",
  FAST: "urn:xmpp:fast:0",
  // Federation (#14): RFC 6120 s2s, XEP-0220 dialback, XEP-0114 external components.
  DIALBACK: "jabber:server:dialback",
  DIALBACK_FEATURE: "urn:xmpp:features:dialback",
  COMPONENT_ACCEPT: "jabber:component:accept",
  BIDI: "urn:xmpp:bidi",
  BIDI_FEATURE: "urn:xmpp:features:bidi",
  // Push and the small services (#12 items 5, 7): XEP-0357, XEP-0012, XEP-0157, XEP-0215,
  // XEP-0398.
  PUSH: "urn:xmpp:push:0",
  PUSH_SUMMARY: "urn:xmpp:push:summary",
  LAST: "jabber:iq:last",
  SERVER_INFO: "http://jabber.org/network/serverinfo",
  EXTDISCO: "urn:xmpp:extdisco:2",
  VCARD_UPDATE: "vcard-temp:x:update",
  AVATAR_METADATA: "urn:xmpp:avatar:metadata",
  PEP_VCARD_CONVERSION: "urn:xmpp:pep-vcard-conversion:0",
  // XEP-0363 HTTP file upload (#12 item 6).
  HTTP_UPLOAD: "urn:xmpp:http:upload:0",
  // Components and services (#13): XEP-0050 ad-hoc commands, XEP-0133 service administration.
  COMMANDS: "http://jabber.org/protocol/commands",
  ADMIN: "http://jabber.org/protocol/admin",
  // Group chat (#13): XEP-0045 and the XEPs around it.
  MUC: "http://jabber.org/protocol/muc",
  MUC_ADMIN: "http://jabber.org/protocol/muc#admin",
  MUC_OWNER: "http://jabber.org/protocol/muc#owner",
  MUC_ROOMCONFIG: "http://jabber.org/protocol/muc#roomconfig",
  MUC_ROOMINFO: "http://jabber.org/protocol/muc#roominfo",
  MUC_REQUEST: "http://jabber.org/protocol/muc#request",
  MUC_SELF_PING: "http://jabber.org/protocol/muc#self-ping-optimization",
  OCCUPANT_ID: "urn:xmpp:occupant-id:0",
  // XEP-0425 message moderation: the current version, and version 0 (with XEP-0422 fastening)
  // that slixmpp 1.8 speaks.
  MODERATE: "urn:xmpp:message-moderate:1",
  RETRACT: "urn:xmpp:message-retract:1",
  MODERATE_0: "urn:xmpp:message-moderate:0",
  RETRACT_0: "urn:xmpp:message-retract:0",
  FASTEN: "urn:xmpp:fasten:0",
} as const;

/** One of the namespace names in {@linkcode NS}. */
export type Namespace = typeof NS[keyof typeof NS];

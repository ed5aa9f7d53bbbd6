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
  MUC_USER: "http://jabber.org/protocol/muc#user",
  // Federation (#14): RFC 6120 s2s, XEP-0220 dialback, XEP-0114 external components.
  DIALBACK: "jabber:server:dialback",
  DIALBACK_FEATURE: "urn:xmpp:features:dialback",
  COMPONENT_ACCEPT: "jabber:component:accept",
  BIDI: "urn:xmpp:bidi",
  BIDI_FEATURE: "urn:xmpp:features:bidi",
} as const;

/** One of the namespace names in {@linkcode NS}. */
export type Namespace = typeof NS[keyof typeof NS];

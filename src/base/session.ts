/**
 * What the router and modules know of a bound client session.
 *
 * @module
 */
import type { BareJid, FullJid } from "../jid/jid.ts";
import type { TransportInfo } from "./transport.ts";
import type { StreamError } from "./stream_error.ts";
import type { Element } from "../xml/element.ts";

/** A bound client session on this node. */
export interface LocalSession {
  /** Unique id of the connection (the stream id). */
  readonly id: string;
  /** The bound full JID. */
  readonly jid: FullJid;
  /** The account's bare JID. */
  readonly bare: BareJid;
  /** The bound resource. */
  readonly resource: string;
  /** Facts about the transport. */
  readonly info: TransportInfo;
  /** The SASL mechanism the client authenticated with, e.g. "SCRAM-SHA-1". */
  readonly mechanism?: string;
  /** The last available presence broadcast by the client; `undefined` while unavailable. */
  presence: Element | undefined;
  /** Priority of that presence (RFC 6121 §4.7.2.3); 0 when unavailable. */
  priority: number;
  /** Per-session state kept by modules, keyed by module-chosen names. */
  readonly data: Map<string, unknown>;
  /** Writes a stanza to the client (its `from` and `to` are written as they are). */
  send(stanza: Element): void;
  /** Ends the session, with a stream error when one is given. */
  close(error?: StreamError): Promise<void>;
}

/**
 * Parsing of the SCRAM client messages (RFC 5802 §7). Private to `src/sasl/`.
 *
 * @module
 */
import { SaslError } from "./sasl_error.ts";

/** A parsed client-first-message. */
export interface ClientFirst {
  /** gs2-cbind-flag: "n" (no support), "y" (supported, server seems not to), "p" (used). */
  readonly flag: "n" | "y" | "p";
  /** The channel binding type after "p=". */
  readonly cbName?: string;
  /** The unescaped authzid, when "a=" was sent. */
  readonly authzid?: string;
  /** The unescaped username. */
  readonly username: string;
  /** The client nonce. */
  readonly nonce: string;
  /** The gs2-header exactly as sent, both commas included. */
  readonly gs2Header: string;
  /** client-first-message-bare exactly as sent. */
  readonly bare: string;
}

/** A parsed client-final-message. */
export interface ClientFinal {
  /** The base64 value of "c=". */
  readonly channelBinding: string;
  /** The value of "r=". */
  readonly nonce: string;
  /** The base64 value of "p=". */
  readonly proof: string;
  /** client-final-message-without-proof exactly as sent. */
  readonly withoutProof: string;
}

const CB_NAME = /^[A-Za-z0-9.-]+$/;
// printable = %x21-2B / %x2D-7E
const PRINTABLE = /^[\x21-\x2b\x2d-\x7e]+$/;
// value-safe-char excludes NUL, "," and "="; "=" only in "=2C" and "=3D".
const SASLNAME = /^(?:[^\0,=]|=2C|=3D)+$/;

function malformed(text: string): SaslError {
  return new SaslError("malformed-request", text);
}

/**
 * Unescapes a saslname (RFC 5802 §5.1): "=2C" is ",", "=3D" is "=", and any other "=" makes
 * the message malformed ("the server MUST fail the authentication").
 */
export function unescapeSaslname(value: string): string {
  if (!SASLNAME.test(value)) throw malformed("Invalid saslname");
  return value.replace(/=2C|=3D/g, (m) => m === "=2C" ? "," : "=");
}

/** Parses a client-first-message (RFC 5802 §7). */
export function parseClientFirst(message: string): ClientFirst {
  const c1 = message.indexOf(",");
  const c2 = c1 === -1 ? -1 : message.indexOf(",", c1 + 1);
  if (c2 === -1) throw malformed("Missing GS2 header");
  const flagPart = message.slice(0, c1);
  const authzPart = message.slice(c1 + 1, c2);
  let flag: ClientFirst["flag"];
  let cbName: string | undefined;
  if (flagPart === "n" || flagPart === "y") flag = flagPart;
  else if (flagPart.startsWith("p=") && CB_NAME.test(flagPart.slice(2))) {
    flag = "p";
    cbName = flagPart.slice(2);
  } else throw malformed("Invalid channel binding flag");
  let authzid: string | undefined;
  if (authzPart !== "") {
    if (!authzPart.startsWith("a=")) throw malformed("Invalid authzid");
    authzid = unescapeSaslname(authzPart.slice(2));
  }
  const bare = message.slice(c2 + 1);
  // RFC 5802 §5.1: a mandatory extension "m=" MUST cause authentication failure.
  if (bare.startsWith("m=")) throw malformed("Unsupported mandatory extension");
  const attrs = bare.split(",");
  if (attrs.length < 2 || !attrs[0].startsWith("n=") || !attrs[1].startsWith("r=")) {
    throw malformed("Expected username and nonce");
  }
  const username = unescapeSaslname(attrs[0].slice(2));
  const nonce = attrs[1].slice(2);
  if (!PRINTABLE.test(nonce)) throw malformed("Invalid nonce");
  return { flag, cbName, authzid, username, nonce, gs2Header: message.slice(0, c2 + 1), bare };
}

/** Parses a client-final-message (RFC 5802 §7); unknown extensions are ignored. */
export function parseClientFinal(message: string): ClientFinal {
  const attrs = message.split(",");
  const last = attrs[attrs.length - 1];
  if (
    attrs.length < 3 || !attrs[0].startsWith("c=") || !attrs[1].startsWith("r=") ||
    !last.startsWith("p=")
  ) {
    throw malformed("Expected channel binding, nonce and proof");
  }
  return {
    channelBinding: attrs[0].slice(2),
    nonce: attrs[1].slice(2),
    proof: last.slice(2),
    withoutProof: attrs.slice(0, -1).join(","),
  };
}

/**
 * Room nicknames: the resourcepart of an occupant JID (XEP-0045 §7.2.1), prepared with the
 * rules of the PRECIS Nickname profile (RFC 8266 §2.2): other spaces mapped to U+0020,
 * leading and trailing spaces removed, runs of spaces collapsed, NFKC.
 *
 * @module
 */
import { StanzaError } from "../../base/stanza_error.ts";

// RFC 8266 §2.2 step 1: non-ASCII spaces (Unicode Zs) become U+0020.
const SPACES = /\p{Zs}+/gu;
// Code points resourceprep (RFC 3920 Appendix B, RFC 3454 tables C.2-C.9) and PRECIS
// (disallowed: controls, unassigned, private use, surrogates, non-characters, bidi
// controls, tags) refuse.
const PROHIBITED =
  /[\p{Cc}\p{Cf}\p{Co}\p{Cn}\p{Cs}\u2028\u2029\ufff9-\ufffd\u2ff0-\u2ffb\u{e0001}\u{e0020}-\u{e007f}]/u;

/**
 * Prepares a nickname.
 *
 * @param raw The resourcepart of the occupant JID, as received.
 * @param maxLength Most characters (code points) a nickname may have.
 * @returns The prepared nickname (which may differ: status code 210).
 * @throws {StanzaError} `jid-malformed` for an empty nickname or one with prohibited
 * characters, `not-acceptable` for one over `maxLength`.
 * @example
 * ```ts
 * import { prepareNick } from "./nick.ts";
 * if (prepareNick("  Bob\u00a0 Smith ", 64) !== "Bob Smith") throw new Error();
 * ```
 */
export function prepareNick(raw: string, maxLength: number): string {
  const nick = raw.normalize("NFKC").replace(SPACES, " ").trim();
  if (nick === "") {
    throw new StanzaError("jid-malformed", "modify", "A room nickname is required");
  }
  if (PROHIBITED.test(nick)) {
    throw new StanzaError("jid-malformed", "modify", "The nickname has prohibited characters");
  }
  if ([...nick].length > maxLength) {
    throw new StanzaError(
      "not-acceptable",
      "modify",
      `The nickname is over ${maxLength} characters`,
    );
  }
  return nick;
}

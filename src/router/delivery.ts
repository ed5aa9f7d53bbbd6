/**
 * Delivery rules for stanzas to local accounts (RFC 6121 §8.5), as pure functions.
 *
 * @module
 */
import type { Element } from "../xml/element.ts";
import type { SessionRef } from "../base/session.ts";

/** The message types of RFC 6121 §5.2.2; anything else is treated as "normal". */
export type MessageType = "chat" | "error" | "groupchat" | "headline" | "normal";

/**
 * Reads a message's type, mapping a missing or unknown value to "normal" (RFC 6121 §5.2.2).
 *
 * @param message The message stanza.
 * @returns The type.
 * @example
 * ```ts
 * import { messageType } from "./delivery.ts";
 * import { xml } from "../xml/element.ts";
 * if (messageType(xml("message", { type: "bogus" })) !== "normal") throw new Error();
 * ```
 */
export function messageType(message: Element): MessageType {
  const t = message.attrs.type;
  return t === "chat" || t === "error" || t === "groupchat" || t === "headline" ? t : "normal";
}

/** What to do with a message to a local account's bare JID. */
export type BareMessageDecision =
  | { readonly kind: "deliver"; readonly to: readonly SessionRef[] }
  | { readonly kind: "offline" }
  | { readonly kind: "drop" }
  | { readonly kind: "error"; readonly condition: "service-unavailable" };

/**
 * Chooses the sessions that receive a message sent to an account's bare JID
 * (RFC 6121 §8.5.2.1.1 for available resources, §8.5.2.2.1 for none).
 *
 * Only available sessions with a non-negative priority count. `chat` and `normal` go to those
 * with the highest priority; `headline` to all of them; `groupchat` gets service-unavailable;
 * `error` is dropped when nobody can take it.
 *
 * @param sessions The account's bound sessions.
 * @param type The message type.
 * @returns The decision.
 * @example
 * ```ts
 * import { bareMessageTargets } from "./delivery.ts";
 * const d = bareMessageTargets([], "chat");
 * if (d.kind !== "offline") throw new Error();
 * ```
 */
export function bareMessageTargets(
  sessions: readonly SessionRef[],
  type: MessageType,
): BareMessageDecision {
  if (type === "groupchat") return { kind: "error", condition: "service-unavailable" };
  const eligible = sessions.filter((s) => s.presence !== undefined && s.priority >= 0);
  if (eligible.length === 0) {
    // §8.5.2.2.1: no available resource. Headline and error are not stored.
    return type === "headline" || type === "error" ? { kind: "drop" } : { kind: "offline" };
  }
  if (type === "headline") return { kind: "deliver", to: eligible };
  let top = -Infinity;
  for (const s of eligible) if (s.priority > top) top = s.priority;
  return { kind: "deliver", to: eligible.filter((s) => s.priority === top) };
}

/** What to do with a message to a full JID that has no session (RFC 6121 §8.5.3.2.1). */
export type MissingFullDecision = "as-bare" | "drop";

/**
 * Decides the fate of a message sent to a full JID with no matching session: `chat` and
 * `normal` are handled as if sent to the bare JID; `groupchat`, `headline` and `error` are
 * silently dropped (RFC 6121 §8.5.3.2.1).
 *
 * @param type The message type.
 * @returns "as-bare" or "drop".
 * @example
 * ```ts
 * import { missingFullMessage } from "./delivery.ts";
 * if (missingFullMessage("headline") !== "drop") throw new Error();
 * ```
 */
export function missingFullMessage(type: MessageType): MissingFullDecision {
  return type === "chat" || type === "normal" ? "as-bare" : "drop";
}

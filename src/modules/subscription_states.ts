/**
 * The presence subscription state machine of RFC 6121 Appendix A, as pure functions. The
 * user's side ("outbound": a stanza the user sends) and the contact's side ("inbound": a stanza
 * that arrives for the user) are separate, so the other side can later be a remote server.
 *
 * @module
 */
import type { Subscription } from "../storage/roster_store.ts";

/** The four subscription stanzas (RFC 6121 §3). */
export type SubscriptionEvent = "subscribe" | "subscribed" | "unsubscribe" | "unsubscribed";

/**
 * One side's view of a subscription: the roster item's state plus the pending inbound request,
 * which is stored apart from the roster (RFC 6121 Appendix A.1 "Pending In").
 */
export interface SubscriptionState {
  /** `none`, `to`, `from` or `both`. */
  readonly subscription: Subscription;
  /** Pending Out: the user asked to subscribe to the contact. */
  readonly pendingOut: boolean;
  /** Pending In: the contact asked to subscribe to the user. */
  readonly pendingIn: boolean;
  /** The user pre-approved the contact's subscription (RFC 6121 §3.4). */
  readonly approved: boolean;
}

/** What the server does after a transition. */
export interface SubscriptionOutcome {
  /** The new state; equal to the old one when nothing changed. */
  readonly state: SubscriptionState;
  /** Whether the roster item changed (subscription, ask or approved): push it. */
  readonly push: boolean;
  /**
   * Outbound: route the stanza to the contact. Inbound: deliver it to the user's available
   * resources.
   */
  readonly forward: boolean;
  /**
   * Inbound only: answer on the user's behalf with this stanza type (RFC 6121 §3.1.3
   * auto-reply, §3.4 pre-approval).
   */
  readonly reply?: "subscribed";
  /**
   * Send the user's current presence to the contact (`available`, RFC 6121 §3.1.5) or
   * unavailable presence from every available resource (`unavailable`, §3.2.2 and §3.3.2).
   */
  readonly presence?: "available" | "unavailable";
}

/** The state of a contact that is on no roster and asked for nothing. */
export const NO_SUBSCRIPTION: SubscriptionState = {
  subscription: "none",
  pendingOut: false,
  pendingIn: false,
  approved: false,
};

/**
 * Whether the user receives the contact's presence: subscription "to" or "both".
 *
 * @param sub The roster item's subscription, `undefined` when there is no item.
 * @returns `true` for "to" and "both".
 * @example
 * ```ts
 * import { hasTo } from "./subscription_states.ts";
 * if (!hasTo("both") || hasTo("from") || hasTo(undefined)) throw new Error();
 * ```
 */
export function hasTo(sub: Subscription | undefined): boolean {
  return sub === "to" || sub === "both";
}

/**
 * Whether the contact receives the user's presence: subscription "from" or "both".
 *
 * @param sub The roster item's subscription, `undefined` when there is no item.
 * @returns `true` for "from" and "both".
 * @example
 * ```ts
 * import { hasFrom } from "./subscription_states.ts";
 * if (!hasFrom("both") || hasFrom("to") || hasFrom(undefined)) throw new Error();
 * ```
 */
export function hasFrom(sub: Subscription | undefined): boolean {
  return sub === "from" || sub === "both";
}

function sub(to: boolean, from: boolean): Subscription {
  return to ? (from ? "both" : "to") : (from ? "from" : "none");
}

function outcome(
  old: SubscriptionState,
  state: SubscriptionState,
  extra: Omit<SubscriptionOutcome, "state" | "push"> = { forward: false },
): SubscriptionOutcome {
  const push = old.subscription !== state.subscription || old.pendingOut !== state.pendingOut ||
    old.approved !== state.approved;
  return { state, push, ...extra };
}

/**
 * The user's server handles a subscription stanza the user sends to a contact
 * (RFC 6121 Appendix A.2, §3.1.2, §3.2.1, §3.3.1, §3.4.1).
 *
 * @param s The user's state for the contact.
 * @param event The stanza type.
 * @returns The new state and what to do.
 * @example
 * ```ts
 * import { NO_SUBSCRIPTION, outbound } from "./subscription_states.ts";
 * const o = outbound(NO_SUBSCRIPTION, "subscribe");
 * if (!o.state.pendingOut || !o.forward || !o.push) throw new Error();
 * ```
 */
export function outbound(s: SubscriptionState, event: SubscriptionEvent): SubscriptionOutcome {
  const to = hasTo(s.subscription);
  const from = hasFrom(s.subscription);
  switch (event) {
    case "subscribe":
      // A.2.1: None → None + Pending Out, From → From + Pending Out; with To or Both nothing
      // changes but the request is still routed (the contact's server auto-replies).
      return outcome(s, { ...s, pendingOut: !to }, { forward: true });
    case "unsubscribe":
      // A.2.2: drop To and Pending Out; route it only when there was something to cancel.
      return outcome(s, { ...s, subscription: sub(false, from), pendingOut: false }, {
        forward: to || s.pendingOut,
      });
    case "subscribed":
      if (s.pendingIn) {
        // A.2.3: approve the pending request; the contact gets our presence (§3.1.5).
        return outcome(s, {
          ...s,
          subscription: sub(to, true),
          pendingIn: false,
          approved: false,
        }, { forward: true, presence: "available" });
      }
      // §3.4.1: no request pending: a pre-approval, not routed. Already From: nothing to do.
      if (from) return outcome(s, s);
      return outcome(s, { ...s, approved: true });
    case "unsubscribed":
      // A.2.4: cancel or deny the contact's subscription, and a pre-approval with it.
      return outcome(s, {
        ...s,
        subscription: sub(to, false),
        pendingIn: false,
        approved: false,
      }, {
        forward: from || s.pendingIn,
        presence: from ? "unavailable" : undefined,
      });
  }
}

/**
 * The user's server handles a subscription stanza that arrives from a contact
 * (RFC 6121 Appendix A.3, §3.1.3, §3.1.6, §3.2.3, §3.3.3, §3.4).
 *
 * @param s The user's state for the contact.
 * @param event The stanza type.
 * @returns The new state and what to do.
 * @example
 * ```ts
 * import { inbound, NO_SUBSCRIPTION } from "./subscription_states.ts";
 * const o = inbound(NO_SUBSCRIPTION, "subscribe");
 * if (!o.state.pendingIn || !o.forward || o.push) throw new Error();
 * ```
 */
export function inbound(s: SubscriptionState, event: SubscriptionEvent): SubscriptionOutcome {
  const to = hasTo(s.subscription);
  const from = hasFrom(s.subscription);
  switch (event) {
    case "subscribe":
      // §3.1.3: already subscribed: auto-reply on the user's behalf, deliver nothing.
      if (from) return outcome(s, s, { forward: false, reply: "subscribed" });
      if (s.approved) {
        // §3.4: pre-approved: accept without asking the user.
        return outcome(s, { ...s, subscription: sub(to, true), approved: false }, {
          forward: false,
          reply: "subscribed",
          presence: "available",
        });
      }
      // A.3.1: → Pending In; delivered (again) to the user.
      return outcome(s, { ...s, pendingIn: true }, { forward: true });
    case "unsubscribe":
      // A.3.2: the contact drops its subscription to the user (or its request).
      if (!from && !s.pendingIn) return outcome(s, s);
      return outcome(s, { ...s, subscription: sub(to, false), pendingIn: false }, {
        forward: true,
        presence: from ? "unavailable" : undefined,
      });
    case "subscribed":
      // A.3.3: only an answer to our own pending request counts.
      if (!s.pendingOut) return outcome(s, s);
      return outcome(s, { ...s, subscription: sub(true, from), pendingOut: false }, {
        forward: true,
      });
    case "unsubscribed":
      // A.3.4: the contact denies or cancels our subscription.
      if (!to && !s.pendingOut) return outcome(s, s);
      return outcome(s, { ...s, subscription: sub(false, from), pendingOut: false }, {
        forward: true,
      });
  }
}

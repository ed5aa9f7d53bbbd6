import assert from "node:assert/strict";
import {
  inbound,
  NO_SUBSCRIPTION,
  outbound,
  type SubscriptionEvent,
  type SubscriptionOutcome,
  type SubscriptionState,
} from "../../src/modules/subscription_states.ts";

// The states of RFC 6121 Appendix A.1, by their names there.
const S: Record<string, SubscriptionState> = {
  "None": NO_SUBSCRIPTION,
  "None + Pending Out": { ...NO_SUBSCRIPTION, pendingOut: true },
  "None + Pending In": { ...NO_SUBSCRIPTION, pendingIn: true },
  "None + Pending Out+In": { ...NO_SUBSCRIPTION, pendingOut: true, pendingIn: true },
  "To": { ...NO_SUBSCRIPTION, subscription: "to" },
  "To + Pending In": { ...NO_SUBSCRIPTION, subscription: "to", pendingIn: true },
  "From": { ...NO_SUBSCRIPTION, subscription: "from" },
  "From + Pending Out": { ...NO_SUBSCRIPTION, subscription: "from", pendingOut: true },
  "Both": { ...NO_SUBSCRIPTION, subscription: "both" },
  "None + Pre-Approved": { ...NO_SUBSCRIPTION, approved: true },
  "To + Pre-Approved": { ...NO_SUBSCRIPTION, subscription: "to", approved: true },
  "None + Pending Out + Pre-Approved": { ...NO_SUBSCRIPTION, pendingOut: true, approved: true },
};

type Row = [
  from: string,
  event: SubscriptionEvent,
  to: string,
  rest: Omit<SubscriptionOutcome, "state" | "push">,
];

function check(
  fn: typeof outbound,
  rows: Row[],
) {
  for (const [from, event, to, rest] of rows) {
    const got = fn(S[from], event);
    const changed = JSON.stringify({ ...S[from], pendingIn: false }) !==
      JSON.stringify({ ...S[to], pendingIn: false });
    assert.deepEqual(
      got,
      { state: S[to], push: changed, ...rest },
      `${fn.name}(${from}, ${event})`,
    );
  }
}

const fwd = { forward: true };
const none = { forward: false };

Deno.test("outbound() follows RFC 6121 Appendix A.2 for each state", () => {
  check(outbound, [
    // A.2.1 subscribe.
    ["None", "subscribe", "None + Pending Out", fwd],
    ["None + Pending Out", "subscribe", "None + Pending Out", fwd],
    ["None + Pending In", "subscribe", "None + Pending Out+In", fwd],
    ["To", "subscribe", "To", fwd],
    ["To + Pending In", "subscribe", "To + Pending In", fwd],
    ["From", "subscribe", "From + Pending Out", fwd],
    ["Both", "subscribe", "Both", fwd],
    // A.2.2 unsubscribe.
    ["None", "unsubscribe", "None", none],
    ["None + Pending Out", "unsubscribe", "None", fwd],
    ["None + Pending In", "unsubscribe", "None + Pending In", none],
    ["None + Pending Out+In", "unsubscribe", "None + Pending In", fwd],
    ["To", "unsubscribe", "None", fwd],
    ["To + Pending In", "unsubscribe", "None + Pending In", fwd],
    ["From", "unsubscribe", "From", none],
    ["From + Pending Out", "unsubscribe", "From", fwd],
    ["Both", "unsubscribe", "From", fwd],
    // A.2.3 subscribed: approving a pending request, or a pre-approval (§3.4).
    ["None", "subscribed", "None + Pre-Approved", none],
    ["None + Pending Out", "subscribed", "None + Pending Out + Pre-Approved", none],
    ["None + Pending In", "subscribed", "From", { forward: true, presence: "available" }],
    [
      "None + Pending Out+In",
      "subscribed",
      "From + Pending Out",
      { forward: true, presence: "available" },
    ],
    ["To", "subscribed", "To + Pre-Approved", none],
    ["To + Pending In", "subscribed", "Both", { forward: true, presence: "available" }],
    ["From", "subscribed", "From", none],
    ["Both", "subscribed", "Both", none],
    // A.2.4 unsubscribed: denying, cancelling, or withdrawing a pre-approval.
    ["None", "unsubscribed", "None", { forward: false, presence: undefined }],
    ["None + Pending In", "unsubscribed", "None", { forward: true, presence: undefined }],
    [
      "None + Pending Out+In",
      "unsubscribed",
      "None + Pending Out",
      { forward: true, presence: undefined },
    ],
    ["To", "unsubscribed", "To", { forward: false, presence: undefined }],
    ["To + Pending In", "unsubscribed", "To", { forward: true, presence: undefined }],
    ["From", "unsubscribed", "None", { forward: true, presence: "unavailable" }],
    [
      "From + Pending Out",
      "unsubscribed",
      "None + Pending Out",
      { forward: true, presence: "unavailable" },
    ],
    ["Both", "unsubscribed", "To", { forward: true, presence: "unavailable" }],
    ["None + Pre-Approved", "unsubscribed", "None", { forward: false, presence: undefined }],
  ]);
});

Deno.test("inbound() follows RFC 6121 Appendix A.3 for each state", () => {
  const reply = { forward: false, reply: "subscribed" as const };
  check(inbound, [
    // A.3.1 subscribe: stored as Pending In and delivered, or auto-answered.
    ["None", "subscribe", "None + Pending In", fwd],
    ["None + Pending Out", "subscribe", "None + Pending Out+In", fwd],
    ["None + Pending In", "subscribe", "None + Pending In", fwd],
    ["To", "subscribe", "To + Pending In", fwd],
    ["From", "subscribe", "From", reply],
    ["From + Pending Out", "subscribe", "From + Pending Out", reply],
    ["Both", "subscribe", "Both", reply],
    ["None + Pre-Approved", "subscribe", "From", { ...reply, presence: "available" }],
    ["To + Pre-Approved", "subscribe", "Both", { ...reply, presence: "available" }],
    // A.3.2 unsubscribe.
    ["None", "unsubscribe", "None", none],
    ["None + Pending Out", "unsubscribe", "None + Pending Out", none],
    ["None + Pending In", "unsubscribe", "None", { forward: true, presence: undefined }],
    [
      "None + Pending Out+In",
      "unsubscribe",
      "None + Pending Out",
      { forward: true, presence: undefined },
    ],
    ["To", "unsubscribe", "To", none],
    ["To + Pending In", "unsubscribe", "To", { forward: true, presence: undefined }],
    ["From", "unsubscribe", "None", { forward: true, presence: "unavailable" }],
    [
      "From + Pending Out",
      "unsubscribe",
      "None + Pending Out",
      { forward: true, presence: "unavailable" },
    ],
    ["Both", "unsubscribe", "To", { forward: true, presence: "unavailable" }],
    // A.3.3 subscribed: only an answer to our request counts.
    ["None", "subscribed", "None", none],
    ["None + Pending Out", "subscribed", "To", fwd],
    ["None + Pending In", "subscribed", "None + Pending In", none],
    ["None + Pending Out+In", "subscribed", "To + Pending In", fwd],
    ["To", "subscribed", "To", none],
    ["From", "subscribed", "From", none],
    ["From + Pending Out", "subscribed", "Both", fwd],
    ["Both", "subscribed", "Both", none],
    // A.3.4 unsubscribed.
    ["None", "unsubscribed", "None", none],
    ["None + Pending Out", "unsubscribed", "None", fwd],
    ["None + Pending In", "unsubscribed", "None + Pending In", none],
    ["None + Pending Out+In", "unsubscribed", "None + Pending In", fwd],
    ["To", "unsubscribed", "None", fwd],
    ["To + Pending In", "unsubscribed", "None + Pending In", fwd],
    ["From", "unsubscribed", "From", none],
    ["From + Pending Out", "unsubscribed", "From", fwd],
    ["Both", "unsubscribed", "From", fwd],
  ]);
});

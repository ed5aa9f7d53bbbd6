import assert from "node:assert/strict";
import { Delivery } from "../../../src/modules/muc/delivery.ts";
import { type Element, xml } from "../../../src/xml/element.ts";

const quiet = { debug() {}, info() {}, warn() {}, error() {} };

Deno.test("Delivery keeps each recipient's order across batches and does not block the caller", async () => {
  const routed: string[] = [];
  const gates: (() => void)[] = [];
  const router = {
    route(s: Element) {
      // The first stanza to alice is slow: nothing after it for alice may overtake it.
      if (s.attrs.id === "a1") {
        return new Promise<void>((resolve) =>
          gates.push(() => {
            routed.push(`${s.attrs.to} ${s.attrs.id}`);
            resolve();
          })
        );
      }
      routed.push(`${s.attrs.to} ${s.attrs.id}`);
      return Promise.resolve();
    },
  };
  const d = new Delivery(router, quiet as never);
  const m = (to: string, id: string) => xml("message", { to, id });
  d.deliver("room", [m("alice", "a1"), m("bob", "b1"), m("alice", "a2")]);
  d.deliver("room", [m("bob", "b2"), m("alice", "a3")]);
  d.deliver("other", [m("carol", "c1")]);
  await new Promise((r) => setTimeout(r, 0));
  // Bob's first stanza went out beside Alice's slow one; the room's second batch waits.
  assert.deepEqual(routed, ["bob b1", "carol c1"]);
  gates.shift()!();
  await d.drain();
  assert.deepEqual(routed, ["bob b1", "carol c1", "alice a1", "alice a2", "bob b2", "alice a3"]);
});

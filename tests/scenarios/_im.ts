// Helpers for the RFC 6121 scenario tests (roster, subscriptions, presence, offline messages).
import { xml } from "@xmpp/client";
import type { LtxElement, TestClient } from "./_harness.ts";
import { iq } from "./_iq.ts";

export const ROSTER = "jabber:iq:roster";

/** Requests the roster (which makes the resource an interested one). */
export function getRoster(c: TestClient, ver?: string): Promise<LtxElement> {
  return iq(c, "get", xml("query", { xmlns: ROSTER, ver }));
}

/** A roster set with one item. */
export function setItem(
  c: TestClient,
  attrs: Record<string, string>,
  groups: string[] = [],
): Promise<LtxElement> {
  return iq(
    c,
    "set",
    xml("query", { xmlns: ROSTER }, xml("item", attrs, ...groups.map((g) => xml("group", {}, g)))),
  );
}

/** Waits for the next roster push about `jid` and returns its item. */
export async function nextPush(c: TestClient, jid: string, what: string): Promise<LtxElement> {
  const push = await c.next(
    (s) =>
      s.is("iq") && s.attrs.type === "set" &&
      s.getChild("query", ROSTER)?.getChild("item")?.attrs.jid === jid,
    what,
  );
  // RFC 6121 §2.1.6: the client acknowledges the push.
  await c.xmpp.send(xml("iq", { type: "result", id: push.attrs.id, to: push.attrs.from }));
  return push.getChild("query", ROSTER)!.getChild("item")!;
}

/** Waits for the next presence that matches. */
export function nextPresence(
  c: TestClient,
  from: string,
  type: string | undefined,
  what: string,
): Promise<LtxElement> {
  return c.next((s) => s.is("presence") && s.attrs.from === from && s.attrs.type === type, what);
}

/** Destroys the client's socket: no unavailable presence, no stream close. */
export function dropConnection(c: TestClient): void {
  type Destroyable = { destroy?: () => void; socket?: { destroy(): void } };
  const socket = (c.xmpp as unknown as { socket: Destroyable }).socket;
  if (typeof socket.destroy === "function") socket.destroy();
  else socket.socket!.destroy();
}

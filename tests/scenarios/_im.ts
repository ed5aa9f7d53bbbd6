// Helpers for the RFC 6121 scenario tests (roster, subscriptions, presence, offline messages).
import { xml } from "@xmpp/client";
import type { LtxElement, TestClient } from "./_harness.ts";

export const ROSTER = "jabber:iq:roster";
export const STANZAS = "urn:ietf:params:xml:ns:xmpp-stanzas";

let counter = 0;

/** Sends an iq (no `to` unless given) and resolves with its result or error. */
export async function request(
  c: TestClient,
  type: "get" | "set",
  payload: ReturnType<typeof xml>,
  to?: string,
): Promise<LtxElement> {
  const id = `im${++counter}`;
  const reply = c.next(
    (s) =>
      s.is("iq") && s.attrs.id === id && (s.attrs.type === "result" || s.attrs.type === "error"),
    `the reply to iq ${id}`,
  );
  await c.xmpp.send(xml("iq", { type, id, to }, payload));
  return await reply;
}

/** Requests the roster (which makes the resource an interested one). */
export function getRoster(c: TestClient, ver?: string): Promise<LtxElement> {
  return request(c, "get", xml("query", { xmlns: ROSTER, ver }));
}

/** A roster set with one item. */
export function setItem(
  c: TestClient,
  attrs: Record<string, string>,
  groups: string[] = [],
): Promise<LtxElement> {
  return request(
    c,
    "set",
    xml("query", { xmlns: ROSTER }, xml("item", attrs, ...groups.map((g) => xml("group", {}, g)))),
  );
}

/** The error condition of an error stanza. */
export function errorCondition(s: LtxElement): string | undefined {
  return s.getChild("error")?.getChildElements().find((e) => e.getNS() === STANZAS)?.name;
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

/** Resolves to true when nothing matching arrives within `ms` (a bounded negative check). */
export async function silent(
  c: TestClient,
  match: (s: LtxElement) => boolean,
  ms = 200,
): Promise<boolean> {
  try {
    await c.next(match, "nothing", ms);
    return false;
  } catch {
    return true;
  }
}

/** Destroys the client's socket: no unavailable presence, no stream close. */
export function dropConnection(c: TestClient): void {
  type Destroyable = { destroy?: () => void; socket?: { destroy(): void } };
  const socket = (c.xmpp as unknown as { socket: Destroyable }).socket;
  if (typeof socket.destroy === "function") socket.destroy();
  else socket.socket!.destroy();
}

// XEP-0045 steps the group chat scenarios share, driven through xmpp.js.
import { xml } from "@xmpp/client";
import type { LtxElement, TestClient } from "./_harness.ts";

export const MUC = "http://jabber.org/protocol/muc";
export const MUC_USER = "http://jabber.org/protocol/muc#user";
export const MUC_OWNER = "http://jabber.org/protocol/muc#owner";

/** The status codes of a MUC presence (XEP-0045 §15.6.2), in document order. */
export function statusCodes(s: LtxElement): string[] {
  return (s.getChild("x", MUC_USER)?.getChildren("status") ?? []).map((c: LtxElement) =>
    c.attrs.code
  );
}

/**
 * `client` creates `room` as `nick` and accepts the default configuration (an instant room,
 * XEP-0045 §10.1.2: an empty submitted form); returns the self-presence it was given.
 */
export async function createInstantRoom(
  client: TestClient,
  room: string,
  nick: string,
): Promise<LtxElement> {
  await client.xmpp.send(xml("presence", { to: `${room}/${nick}` }, xml("x", { xmlns: MUC })));
  const self = await client.next(
    (s) => s.is("presence") && s.attrs.from === `${room}/${nick}` && statusCodes(s).includes("110"),
    `${nick}'s self-presence`,
  );
  await client.xmpp.iqCaller.set(
    xml("query", { xmlns: MUC_OWNER }, xml("x", { xmlns: "jabber:x:data", type: "submit" })),
    room,
  );
  return self;
}

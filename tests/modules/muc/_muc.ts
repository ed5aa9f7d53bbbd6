// Helpers of the MUC module tests: joining, status codes, error conditions.
import type { TestClient } from "../../../src/testing/mod.ts";
import { child, type Element, elements, xml } from "../../../src/xml/element.ts";
import { NS } from "../../../src/xml/ns.ts";

export const ROOM = "tea@conference.localhost";

/** The status codes of a presence or message. */
export function codes(el: Element): number[] {
  const x = child(el, "x", NS.MUC_USER);
  return x ? elements(x, "status").map((s) => Number(s.attrs.code)) : [];
}

/** The muc#user item of a presence. */
export function item(el: Element): Record<string, string | number | undefined> {
  return child(child(el, "x", NS.MUC_USER)!, "item")?.attrs ?? {};
}

/** The defined condition of an error stanza, with its type. */
export function condition(el: Element): string {
  const error = child(el, "error");
  const c = error?.children.find((n): n is Element =>
    typeof n !== "string" && n.xmlns === NS.STANZAS
  );
  return `${error?.attrs.type}/${c?.name}`;
}

/** Presence to join a room, with MUC children. */
export function joinPresence(occupant: string, ...children: Element[]): Element {
  return xml("presence", { to: occupant }, xml("x", { xmlns: NS.MUC }, ...children));
}

/** Joins and waits for the self-presence (status 110); returns it. */
export async function join(
  client: TestClient,
  occupant: string,
  ...children: Element[]
): Promise<Element> {
  await client.send(joinPresence(occupant, ...children));
  return await client.next((el) =>
    el.name === "presence" && el.attrs.from === occupant && codes(el).includes(110)
  );
}

/** The next presence or message from a JID (of type error or not). */
export function from(client: TestClient, name: string, jid: string): Promise<Element> {
  return client.next((el) => el.name === name && el.attrs.from === jid);
}

/** Makes a new locked room an instant room (§10.1.2). */
export async function instant(client: TestClient, room = ROOM): Promise<void> {
  await client.iq(xml(
    "iq",
    { type: "set", to: room },
    xml("query", { xmlns: NS.MUC_OWNER }, xml("x", { xmlns: NS.DATA_FORMS, type: "submit" })),
  ));
}

/** Submits configuration fields (§10.2). */
export async function configure(
  client: TestClient,
  fields: Record<string, string | string[]>,
  room = ROOM,
): Promise<Element> {
  return await client.iq(xml(
    "iq",
    { type: "set", to: room },
    xml(
      "query",
      { xmlns: NS.MUC_OWNER },
      xml(
        "x",
        { xmlns: NS.DATA_FORMS, type: "submit" },
        xml(
          "field",
          { var: "FORM_TYPE" },
          xml("value", null, "http://jabber.org/protocol/muc#roomconfig"),
        ),
        Object.entries(fields).map(([v, value]) =>
          xml("field", { var: v }, [value].flat().map((x) => xml("value", null, x)))
        ),
      ),
    ),
  ));
}

/** Creates an instant room with Alice as owner. */
export async function createRoom(client: TestClient, nick = "Alice"): Promise<Element> {
  const self = await join(client, `${ROOM}/${nick}`);
  await instant(client);
  return self;
}

/** Sends a groupchat message. */
export function say(client: TestClient, body: string, room = ROOM): Promise<void> {
  return client.send(xml("message", { to: room, type: "groupchat" }, xml("body", null, body)));
}

/** The next unavailable presence from a JID. */
export function unavailable(client: TestClient, jid: string): Promise<Element> {
  return client.next((el) =>
    el.name === "presence" && el.attrs.from === jid && el.attrs.type === "unavailable"
  );
}

// Helpers for iq exchanges in the scenario tests of blocking, vCard, private storage, PEP, IBR.
import { xml } from "@xmpp/client";
import type { LtxElement, TestClient } from "./_harness.ts";

let counter = 0;

type XmlNode = ReturnType<typeof xml>;

/** Sends an iq and resolves with the reply (result or error) without throwing. */
export async function iq(
  c: TestClient,
  type: "get" | "set",
  payload: XmlNode,
  to?: string,
): Promise<LtxElement> {
  const id = `t${++counter}`;
  const waiting = c.next(
    (s) =>
      s.is("iq") && s.attrs.id === id && (s.attrs.type === "result" || s.attrs.type === "error"),
    `the reply to iq ${id}`,
  );
  await c.xmpp.send(xml("iq", { type, id, to }, payload));
  return await waiting;
}

/** The condition of an error stanza: the first child of <error/> in the stanzas namespace. */
export function condition(s: LtxElement): string | undefined {
  const error = s.getChild("error");
  return error?.getChildElements().find((e) => e.getNS() === "urn:ietf:params:xml:ns:xmpp-stanzas")
    ?.name;
}

/** Resolves after `ms`. */
export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Whether no stanza matching `match` arrives within `ms`. */
export async function nothing(
  c: TestClient,
  match: (s: LtxElement) => boolean,
  ms = 150,
): Promise<boolean> {
  try {
    await c.next(match, "nothing", ms);
    return false;
  } catch {
    return true;
  }
}

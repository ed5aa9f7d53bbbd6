// An xmpp.js client as a phone runs it: stream management on (@xmpp/stream-management),
// reconnecting and resuming by itself.
import { client, xml } from "@xmpp/client";

type Client = ReturnType<typeof client>;
import { type LtxElement, waitFor, withTimeout } from "./_harness.ts";

const SM = "urn:xmpp:sm:3";

/** An xmpp.js client as a phone runs it: stream management on, reconnecting by itself. */
export interface Mobile {
  xmpp: Client;
  /** Every message received, in order. */
  messages: LtxElement[];
  /** Every urn:xmpp:sm:3 element the server sent. */
  nonzas: LtxElement[];
  resumed: number;
  stop(): Promise<void>;
}

/** Connects a phone-like client to `service` and waits until stream management is on. */
export async function mobile(
  service: string,
  username: string,
  options: { resource?: string; previd?: string } = {},
): Promise<Mobile> {
  const xmpp = client({
    service,
    domain: "localhost",
    username,
    password: `${username}-pw`,
    resource: options.resource ?? "phone",
  });
  xmpp.reconnect.delay = 100;
  // A previd the server never issued: the client tries to resume first.
  if (options.previd) xmpp.streamManagement.id = options.previd;
  const m: Mobile = {
    xmpp,
    messages: [],
    nonzas: [],
    resumed: 0,
    async stop() {
      xmpp.reconnect.stop();
      try {
        await withTimeout(xmpp.stop(), `${username} to stop`, 5000);
      } catch { /* offline */ }
    },
  };
  xmpp.on("error", () => {});
  xmpp.on("stanza", (s: LtxElement) => {
    if (s.is("message")) m.messages.push(s);
  });
  xmpp.on("element", (el: LtxElement) => {
    if (el.attrs.xmlns === SM) m.nonzas.push(el);
    // XEP-0388/XEP-0386 inline: <resumed/> or <failed/> in <success/>, <enabled/> in <bound/>.
    if (el.is("success", "urn:xmpp:sasl:2")) {
      for (const c of el.getChildElements()) {
        if (c.attrs.xmlns === SM) m.nonzas.push(c);
        if (c.is("bound", "urn:xmpp:bind:0")) {
          m.nonzas.push(...c.getChildElements().filter((b) => b.attrs.xmlns === SM));
        }
      }
    }
  });
  xmpp.streamManagement.on("resumed", () => m.resumed++);
  await withTimeout(xmpp.start(), `${username} to come online`);
  await waitFor(() => xmpp.streamManagement.enabled, "stream management to be enabled");
  return m;
}

/** A chat message whose body is its id. */
export const chat = (to: string, id: string) =>
  xml("message", { to, id, type: "chat" }, xml("body", {}, id));

/** Paces a conversation (not an assertion). */
export const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Ids of received messages from `prefix`, in order. */
export const ids = (messages: LtxElement[], prefix: string) =>
  messages.map((s) => s.attrs.id).filter((id) => id?.startsWith(prefix));

/** [prefix0, prefix1, …]. */
export const range = (prefix: string, n: number) =>
  Array.from({ length: n }, (_, i) => `${prefix}${i}`);

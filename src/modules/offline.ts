/**
 * XEP-0160 offline messages: a `chat` or `normal` message for an account with no available
 * resource is stored and delivered, with an XEP-0203 delay stamp, when a session of the
 * account becomes available with a non-negative priority.
 *
 * @module
 */
import { HANDLED } from "../hooks/hook_registry.ts";
import type { ModuleApi, XmppModule } from "../module/module_api.ts";
import type { StanzaEvent } from "../hooks/server_hooks.ts";
import type { BareJid } from "../jid/jid.ts";
import type { Session } from "../base/session.ts";
import { messageType } from "../router/delivery.ts";
import { StanzaError } from "../base/stanza_error.ts";
import type { OfflineMessage } from "../storage/offline_store.ts";
import { type Element, xml } from "../xml/element.ts";
import { NS } from "../xml/ns.ts";
import { loadXml, storeXml } from "../storage/stored_xml.ts";
import { xep82DateTime } from "./time.ts";
import { archiveId, sentFromArchive } from "./mam.ts";

/** Options of the offline module. */
export interface OfflineOptions {
  /** Messages kept per account; default 500. */
  readonly maxMessages?: number;
}

async function store(api: ModuleApi, ev: StanzaEvent, limit: number) {
  const type = messageType(ev.stanza);
  // RFC 6121 §8.5.2.2.1, XEP-0160 §3: only chat and normal messages are stored.
  if (type !== "chat" && type !== "normal") return;
  const stored = await api.storage.offline.push(
    ev.to.bare,
    storeXml(ev.stanza),
    api.now(),
    limit,
  );
  if (!stored) {
    // RFC 6121 §8.5.2.2.1: a message the server does not store is answered with
    // service-unavailable (XEP-0160 §3 names the same error); bounce() never answers an error.
    await api.router.bounce(
      ev.stanza,
      new StanzaError("service-unavailable", "cancel", "Offline storage is full"),
    );
  }
  return HANDLED;
}

/** A stored message, or `undefined` (logged) when it cannot be parsed back. */
function readStored(api: ModuleApi, owner: BareJid, m: OfflineMessage): Element | undefined {
  let message: Element | undefined;
  try {
    message = loadXml(m.stanza);
  } catch (e) {
    api.logger.warn("Cannot read a stored offline message; dropping it", {
      jid: owner,
      id: m.id,
      error: e instanceof Error ? e.message : String(e),
    });
    return undefined;
  }
  if (!message) {
    api.logger.warn("Dropping an empty stored offline message", { jid: owner, id: m.id });
  }
  return message;
}

function stamped(api: ModuleApi, message: Element, stamp: Date): Element {
  // XEP-0203 §3: one delay per entity; a message the server delayed before (XEP-0198
  // redelivery) keeps the earlier stamp.
  const ours = message.children.some((c) =>
    typeof c !== "string" && c.name === "delay" && c.xmlns === NS.DELAY &&
    c.attrs.from === api.domain
  );
  if (ours) return message;
  // XEP-0203 §3; XEP-0160 §3: the delay's 'from' is the server.
  const delay = xml("delay", { xmlns: NS.DELAY, from: api.domain, stamp: xep82DateTime(stamp) });
  return { ...message, children: [...message.children, delay] };
}

/**
 * The offline message module (XEP-0160 with XEP-0203 stamps).
 *
 * @param options The per-account cap.
 * @returns The module.
 * @example
 * ```ts
 * import { offline } from "./offline.ts";
 * import { testServer } from "../testing/mod.ts";
 * import { child, xml } from "../xml/element.ts";
 * const t = await testServer({ modules: [], users: ["a@localhost", "b@localhost"] });
 * await t.server.unload("offline");
 * await t.server.use(offline({ maxMessages: 5 }));
 * const a = await t.connect("a@localhost/r");
 * await a.send(xml("message", { to: "b@localhost", id: "m" }, xml("body", null, "later")));
 * const b = await t.connect("b@localhost/r");
 * const m = await b.next((el) => el.name === "message" && el.attrs.id === "m");
 * if (!child(m, "delay", "urn:xmpp:delay")) throw new Error();
 * await t.close();
 * ```
 */
export function offline(options: OfflineOptions = {}): XmppModule {
  const limit = options.maxMessages ?? 500;
  const delivering = new Set<BareJid>();
  // Sessions whose delivery failed (storage down): their next available presence tries again.
  const retry = new WeakSet<Session>();
  return {
    name: "offline",
    specs: ["XEP-0160", "XEP-0203"],
    setup(api) {
      api.hook("message/offline", (ev) => store(api, ev, limit));
      api.hook("presence/server", async ({ stanza, origin, previous }) => {
        if (!origin || stanza.attrs.to !== undefined || stanza.attrs.type !== undefined) return;
        // XEP-0160 §3: delivery when the session becomes available with a non-negative
        // priority; later presence updates of an eligible session do not look again.
        const eligible = origin.priority >= 0;
        const was = previous.presence !== undefined && previous.priority >= 0 &&
          !retry.has(origin);
        if (!eligible || was || delivering.has(origin.bare)) return;
        delivering.add(origin.bare);
        try {
          const messages = await api.storage.offline.list(origin.bare);
          if (messages.length === 0) return;
          const sent: string[] = [];
          for (const m of messages) {
            const message = readStored(api, origin.bare, m);
            // A message that cannot be read back is dropped, or it would block the queue.
            // XEP-0313 §7.1.1: what the client got from its archive already is not sent again.
            const id = message && archiveId(message, origin.bare);
            const synced = id !== undefined && sentFromArchive(origin, id);
            if (message && !synced) await origin.send(stamped(api, message, m.stamp));
            sent.push(m.id);
          }
          // Removed only once written to the session (or found unreadable).
          await api.storage.offline.remove(origin.bare, sent);
          retry.delete(origin);
        } catch (e) {
          retry.add(origin);
          throw e;
        } finally {
          delivering.delete(origin.bare);
        }
      });
    },
  };
}

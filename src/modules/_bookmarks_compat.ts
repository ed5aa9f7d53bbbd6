// Private to the private storage module: XEP-0402 §5.3 compatibility ("urn:xmpp:bookmarks:1#compat"),
// so that legacy bookmarks in private storage (XEP-0048 `storage:bookmarks`) and PEP native
// bookmarks (`urn:xmpp:bookmarks:1`) are one list.
import type { BareJid } from "../jid/jid.ts";
import type { PubsubStore } from "../storage/pubsub_store.ts";
import { child, type Element, elements, text, xml } from "../xml/element.ts";
import { NS } from "../xml/ns.ts";
import { DEFAULT_CONFIG, MAX_ITEMS } from "./_pep_config.ts";
import { loadXml, storeXml } from "../storage/stored_xml.ts";

/** XEP-0402 §3: the node is private to its owner and keeps every bookmark. */
const BOOKMARKS_CONFIG = {
  ...DEFAULT_CONFIG,
  "pubsub#access_model": "whitelist",
  "pubsub#max_items": "max",
  "pubsub#send_last_published_item": "never",
};

/** The legacy `<storage xmlns='storage:bookmarks'/>` built from the PEP node, if it exists. */
export async function legacyBookmarks(
  pubsub: PubsubStore,
  owner: BareJid,
): Promise<Element | undefined> {
  if (!await pubsub.getNode(owner, NS.BOOKMARKS)) return undefined;
  const items = await pubsub.getItems(owner, NS.BOOKMARKS, { max: MAX_ITEMS });
  return xml(
    "storage",
    { xmlns: NS.BOOKMARKS_LEGACY },
    items.map((item) => {
      const c = loadXml(item.payload);
      if (!c) return undefined;
      const nick = child(c, "nick", NS.BOOKMARKS);
      const password = child(c, "password", NS.BOOKMARKS);
      return xml(
        "conference",
        {
          jid: item.id,
          name: c.attrs.name,
          autojoin: c.attrs.autojoin === "true" || c.attrs.autojoin === "1" ? "true" : "false",
        },
        nick ? xml("nick", null, text(nick)) : undefined,
        password ? xml("password", null, text(password)) : undefined,
      );
    }),
  );
}

/** Mirrors a legacy bookmark list into the PEP node: one item per room, id = room JID. */
export async function mirrorBookmarks(
  pubsub: PubsubStore,
  owner: BareJid,
  storage: Element,
  publisher: string,
  now: Date,
): Promise<void> {
  if (!await pubsub.getNode(owner, NS.BOOKMARKS)) {
    await pubsub.setNode(owner, NS.BOOKMARKS, BOOKMARKS_CONFIG);
  }
  const keep = new Set<string>();
  for (const c of elements(storage, "conference", NS.BOOKMARKS_LEGACY)) {
    const jid = c.attrs.jid;
    if (!jid) continue;
    keep.add(jid);
    const nick = text(child(c, "nick", NS.BOOKMARKS_LEGACY));
    const password = text(child(c, "password", NS.BOOKMARKS_LEGACY));
    const payload = xml(
      "conference",
      {
        xmlns: NS.BOOKMARKS,
        name: c.attrs.name,
        autojoin: c.attrs.autojoin === "true" || c.attrs.autojoin === "1" ? "true" : "false",
      },
      nick ? xml("nick", null, nick) : undefined,
      password ? xml("password", null, password) : undefined,
    );
    await pubsub.publish(
      owner,
      NS.BOOKMARKS,
      { id: jid, payload: storeXml(payload), publisher, stamp: now },
      MAX_ITEMS,
    );
  }
  for (const item of await pubsub.getItems(owner, NS.BOOKMARKS, { max: MAX_ITEMS })) {
    if (!keep.has(item.id)) await pubsub.retract(owner, NS.BOOKMARKS, item.id);
  }
}

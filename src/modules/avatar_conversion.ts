/**
 * XEP-0398 user avatar to vCard-based avatars conversion, the presence half: presence from an
 * account that published an XEP-0084 avatar over PEP carries the avatar's id (the SHA-1 of the
 * image, XEP-0084 §4.2) as the XEP-0153 `<x xmlns='vcard-temp:x:update'><photo/></x>` hash, so
 * that clients which only know vCard avatars see it change.
 *
 * - The hash is the item id of the account's newest `urn:xmpp:avatar:metadata` item, read at
 *   login and followed as the account publishes (an empty `<metadata/>`, a retraction or a
 *   deleted node: no avatar, the presence is left as the client sent it).
 * - The `<photo/>` is added or replaced in available presence the account sends, as it is
 *   written to local sessions (`stanza/out`).
 * - The account advertises `urn:xmpp:pep-vcard-conversion:0` (XEP-0398 §5).
 *
 * Not done: the vCard half (a vCard PHOTO from the PEP avatar and back), and presence to remote
 * servers.
 *
 * @module
 */
import type { StanzaEvent } from "../hooks/server_hooks.ts";
import type { BareJid } from "../jid/jid.ts";
import type { ModuleApi, XmppModule } from "../module/module_api.ts";
import { setBounded } from "../util/bounded_map.ts";
import { child, type Element, elements, xml } from "../xml/element.ts";
import { NS } from "../xml/ns.ts";

const MAX_CACHED = 100_000;

/** The avatar id a publish, retraction or deletion of the metadata node sets; else `undefined`. */
function fromPubsub(stanza: Element): string | null | undefined {
  const pubsub = child(stanza, "pubsub", NS.PUBSUB) ?? child(stanza, "pubsub", NS.PUBSUB_OWNER);
  if (!pubsub) return undefined;
  const action = elements(pubsub).find((e) => e.attrs.node === NS.AVATAR_METADATA);
  if (!action) return undefined;
  if (action.name === "retract" || action.name === "delete" || action.name === "purge") {
    return null;
  }
  if (action.name !== "publish") return undefined;
  const item = child(action, "item");
  const metadata = item && child(item, "metadata", NS.AVATAR_METADATA);
  if (!item || !metadata) return undefined;
  // XEP-0084 §4.2: an empty <metadata/> disables the avatar.
  return child(metadata, "info", NS.AVATAR_METADATA) && item.attrs.id ? item.attrs.id : null;
}

/** The presence with its `<photo/>` set to `hash` (XEP-0153 §4.1). */
function withPhoto(presence: Element, hash: string): Element {
  const update = xml("x", { xmlns: NS.VCARD_UPDATE }, xml("photo", null, hash));
  const children = presence.children.filter((c) =>
    typeof c === "string" || c.name !== "x" || c.xmlns !== NS.VCARD_UPDATE
  );
  return { ...presence, children: [...children, update] };
}

/**
 * The avatar conversion module (XEP-0398, presence).
 *
 * @returns The module.
 * @example
 * ```ts
 * import { avatarConversion } from "./avatar_conversion.ts";
 * if (avatarConversion().name !== "avatar-conversion") throw new Error();
 * ```
 */
export function avatarConversion(): XmppModule {
  /** Each known account's avatar id; `null`: none. */
  const hashes = new Map<BareJid, string | null>();
  let api: ModuleApi;

  async function load(owner: BareJid): Promise<void> {
    const [last] = await api.storage.pubsub.lastItems([owner], [NS.AVATAR_METADATA]);
    const payload = last?.item.payload ?? "";
    // An item whose payload lists no <info/> is an empty <metadata/>.
    const hash = last && payload.includes("<info") ? last.item.id : null;
    if (!hashes.has(owner)) setBounded(hashes, owner, hash, MAX_CACHED);
  }

  function onRoute({ stanza, from, origin }: StanzaEvent): void {
    if (!origin || stanza.name !== "iq" || stanza.attrs.type !== "set") return;
    // The account's own PEP service: no 'to', or its bare JID.
    if (stanza.attrs.to !== undefined && stanza.attrs.to !== from.bare) return;
    const hash = fromPubsub(stanza);
    if (hash !== undefined) setBounded(hashes, from.bare, hash, MAX_CACHED);
  }

  return {
    name: "avatar-conversion",
    specs: ["XEP-0398"],
    setup(moduleApi) {
      api = moduleApi;
      api.feature(NS.PEP_VCARD_CONVERSION, { target: "account" });
      api.hook("session/bound", ({ session }) => load(session.bare));
      api.hook("stanza/route", onRoute);
      api.hook("stanza/out", (ev) => {
        const { stanza } = ev;
        if (stanza.name !== "presence" || stanza.attrs.type !== undefined) return;
        const from = stanza.attrs.from;
        const hash = from && hashes.get(from.split("/")[0] as BareJid);
        if (hash) ev.stanza = withPhoto(stanza, hash);
      }, { priority: 10 });
      api.hook("account/removed", ({ jid }) => void hashes.delete(jid));
    },
  };
}

// Private to the pubsub module: the subscription and affiliation lists of XEP-0060: an
// entity's own across the service (§5.6, §5.7) and a node's, managed by its owners (§8.8,
// §8.9).
import type { Jid } from "../jid/jid.ts";
import { tryParseJid } from "../jid/jid.ts";
import { StanzaError } from "../base/stanza_error.ts";
import type { DocumentCollection } from "../storage/document_collection.ts";
import { type Element, elements, xml } from "../xml/element.ts";
import { NS } from "../xml/ns.ts";
import { nodeOf } from "./_pubsub_items.ts";
import {
  type Affiliation,
  AFFILIATIONS,
  type NodeMeta,
  requireOwner,
  type Subscription,
} from "./_pubsub_meta.ts";
import type { PubsubService } from "./_pubsub_service.ts";
import { subscriptionElement } from "./_pubsub_subscribe.ts";

const mine = (jid: Jid) => (s: Subscription) =>
  s.jid === jid.bare || s.jid.startsWith(`${jid.bare}/`);

/** The nodes a request names: its `node`, or every node (XEP-0060 §5.6, §5.7). */
async function* requested(meta: DocumentCollection<NodeMeta>, request: Element) {
  for await (const doc of meta.all()) {
    if (!request.attrs.node || doc.key === request.attrs.node) yield doc;
  }
}

/** XEP-0060 §5.6: the requester's subscriptions, on one node or all. */
export async function ownSubscriptions(
  meta: DocumentCollection<NodeMeta>,
  from: Jid,
  request: Element,
): Promise<Element> {
  const out: Element[] = [];
  for await (const doc of requested(meta, request)) {
    for (const s of doc.value.subscriptions.filter(mine(from))) {
      out.push(subscriptionElement(doc.key, s));
    }
  }
  return xml("pubsub", { xmlns: NS.PUBSUB }, xml("subscriptions", null, out));
}

/** XEP-0060 §5.7: the requester's affiliations, on one node or all. */
export async function ownAffiliations(
  meta: DocumentCollection<NodeMeta>,
  from: Jid,
  request: Element,
): Promise<Element> {
  const out: Element[] = [];
  for await (const doc of requested(meta, request)) {
    const affiliation = doc.value.affiliations[from.bare];
    if (affiliation) out.push(xml("affiliation", { node: doc.key, affiliation }));
  }
  return xml("pubsub", { xmlns: NS.PUBSUB }, xml("affiliations", null, out));
}

/** XEP-0060 §8.8.1 and §8.9.1: a node's subscriptions or affiliations, for its owners. */
export async function nodeList(
  service: PubsubService,
  from: Jid,
  request: Element,
): Promise<Element> {
  const node = nodeOf(request);
  const { meta } = await service.node(node);
  requireOwner(meta, from);
  const entries = request.name === "subscriptions"
    ? meta.subscriptions.map((s) =>
      xml("subscription", { jid: s.jid, subscription: "subscribed", subid: s.subid })
    )
    : Object.entries(meta.affiliations).map(([jid, affiliation]) =>
      xml("affiliation", { jid, affiliation })
    );
  return xml("pubsub", { xmlns: NS.PUBSUB_OWNER }, xml(request.name, { node }, entries));
}

function entryJid(entry: Element): string {
  const jid = tryParseJid(entry.attrs.jid ?? "");
  if (!jid) throw new StanzaError("jid-malformed", "modify");
  return jid.full;
}

/** XEP-0060 §8.8.2: owners set subscriptions to "subscribed" or "none". */
function applySubscriptions(
  m: NodeMeta,
  entries: Element[],
  newId: () => string,
): NodeMeta {
  let subs = [...m.subscriptions];
  for (const e of entries) {
    const jid = entryJid(e);
    const state = e.attrs.subscription;
    if (state !== "subscribed" && state !== "none") {
      throw new StanzaError("bad-request", "modify", `Cannot set subscription "${state}"`);
    }
    const existing = subs.find((s) => s.jid === jid);
    subs = subs.filter((s) => s.jid !== jid);
    if (state === "subscribed") {
      subs.push(existing ?? { jid, subid: newId(), deliver: true });
    }
  }
  return { ...m, subscriptions: subs };
}

/**
 * XEP-0060 §8.9.2: owners set affiliations; an outcast loses its subscriptions, and a node
 * keeps at least one owner (else <not-acceptable/>, nothing changed).
 */
function applyAffiliations(m: NodeMeta, entries: Element[]): NodeMeta {
  const affiliations: Record<string, Affiliation> = { ...m.affiliations };
  let subs = [...m.subscriptions];
  for (const e of entries) {
    const jid = tryParseJid(e.attrs.jid ?? "");
    if (!jid) throw new StanzaError("jid-malformed", "modify");
    const affiliation = e.attrs.affiliation as Affiliation;
    if (!AFFILIATIONS.includes(affiliation)) {
      throw new StanzaError("bad-request", "modify", `Cannot set affiliation "${affiliation}"`);
    }
    if (affiliation === "none") delete affiliations[jid.bare];
    else affiliations[jid.bare] = affiliation;
    if (affiliation === "outcast") subs = subs.filter((s) => !mine(jid)(s));
  }
  if (!Object.values(affiliations).includes("owner")) {
    throw new StanzaError("not-acceptable", "modify", "A node needs an owner");
  }
  return { affiliations, subscriptions: subs };
}

/** XEP-0060 §8.8.2 and §8.9.2: an owner changes subscriptions or affiliations. */
export async function setNodeList(
  service: PubsubService,
  meta: DocumentCollection<NodeMeta>,
  from: Jid,
  request: Element,
  newId: () => string,
): Promise<void> {
  const node = nodeOf(request);
  const current = await service.node(node);
  requireOwner(current.meta, from);
  const tag = request.name === "subscriptions" ? "subscription" : "affiliation";
  const entries = elements(request, tag, NS.PUBSUB_OWNER);
  // Validated against the current value first, so that a bad entry changes nothing.
  const apply = (m: NodeMeta) =>
    tag === "subscription" ? applySubscriptions(m, entries, newId) : applyAffiliations(m, entries);
  apply(current.meta);
  await meta.update(node, (m) => m && apply(m));
}

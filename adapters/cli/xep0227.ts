/**
 * XEP-0227 portable import/export (version 1.1): accounts with SCRAM credentials
 * (`urn:xmpp:pie:0#scram`, as Prosody and ejabberd write them), rosters, offline messages,
 * vCards, private XML, block lists, PEP nodes and items, and message archives
 * (`urn:xmpp:pie:0#mam`).
 *
 * @module
 */
import { toBase64 } from "../../src/util/base64.ts";
import { type BareJid, parseJid } from "../../src/jid/jid.ts";
import { deriveCredentials } from "../../src/sasl/credentials.ts";
import type { Credentials, ScramCredential } from "../../src/storage/account_store.ts";
import { rosterItemElement, rosterItemFromElement } from "../../src/modules/roster_item_xml.ts";
import { dataForm } from "../../src/modules/data_form.ts";
import type { Storage } from "../../src/storage/storage.ts";
import { child, type Element, elements, text, xml } from "../../src/xml/element.ts";
import { NS } from "../../src/xml/ns.ts";
import { serialize } from "../../src/xml/serializer.ts";
import { parseXmlDocument } from "../../src/xml/document.ts";
import { loadXml, STORED_XML_LIMITS, storeXml } from "../../src/storage/stored_xml.ts";

const PIE = "urn:xmpp:pie:0";
const PIE_SCRAM = "urn:xmpp:pie:0#scram";
const PIE_MAM = "urn:xmpp:pie:0#mam";
const MAM = "urn:xmpp:mam:2";
const FORWARD = "urn:xmpp:forward:0";
const XDATA = "jabber:x:data";
const NODE_CONFIG = "http://jabber.org/protocol/pubsub#node_config";
// Pending inbound subscription requests have no XEP-0227 element; they travel as an extension.
const PENDING = "urn:parley:pie:pending:0";

/** Private XML storage that can list an owner's fragments (the PostgreSQL stores can). */
export interface ListablePrivateStore {
  /** Every fragment of an owner. */
  listAll(owner: BareJid): Promise<{ name: string; xmlns: string; fragment: string }[]>;
}

/** What an import did. */
export interface ImportSummary {
  /** Accounts created or updated. */
  readonly accounts: number;
  /** Warnings, e.g. a hash whose SCRAM data was missing. */
  readonly warnings: readonly string[];
}

/** Stored XML, read back for export. */
function parse(stored: string): Element {
  const el = loadXml(stored);
  if (!el) throw new SyntaxError("Cannot export: a stored XML value is empty");
  return el;
}

/**
 * The `<server-data/>` element of a document. A file is a document, not a stream: comments
 * that a person added are fine, a DTD is refused (it could declare external entities).
 */
function parseDocument(document: string): Element {
  // server-data/host/user/… wraps stored values in at most a few levels.
  const root = parseXmlDocument(document, { maxDepth: STORED_XML_LIMITS.maxDepth + 16 });
  if (root.name !== "server-data" || root.xmlns !== PIE) {
    throw new SyntaxError(
      `Cannot import: the root element is <${root.name}> in "${root.xmlns}", not <server-data/> in "${PIE}"`,
    );
  }
  return root;
}

function scramElement(mechanism: string, c: ScramCredential): Element {
  return xml(
    "scram-credentials",
    { xmlns: PIE_SCRAM, mechanism },
    xml("iter-count", null, String(c.iterations)),
    xml("salt", null, c.salt),
    xml("server-key", null, c.serverKey),
    xml("stored-key", null, c.storedKey),
  );
}

async function userElement(storage: Storage, jid: BareJid, domain: string): Promise<Element> {
  const [credentials, roster, pending, offline, vcard, blocked, nodes] = await Promise.all([
    storage.accounts.getCredentials(jid),
    storage.roster.get(jid),
    storage.roster.listPending(jid),
    storage.offline.list(jid),
    storage.vcard.get(jid),
    storage.blocklist.list(jid),
    storage.pubsub.listNodes(jid),
  ]);
  const privateXml = storage.privateXml as unknown as Partial<ListablePrivateStore>;
  const fragments = privateXml.listAll ? await privateXml.listAll(jid) : [];
  const configs = await Promise.all(nodes.map((n) => storage.pubsub.getNode(jid, n)));
  const items = await Promise.all(nodes.map((n) => storage.pubsub.getItems(jid, n)));
  const archived: Element[] = [];
  let after: string | undefined;
  while (true) {
    const page = await storage.archive.query(jid, { max: 1000, after });
    for (const m of page.messages) {
      archived.push(xml(
        "result",
        { xmlns: MAM, id: m.id },
        xml(
          "forwarded",
          { xmlns: FORWARD },
          xml("delay", { xmlns: NS.DELAY, stamp: m.stamp.toISOString() }),
          parse(m.stanza),
        ),
      ));
    }
    if (page.complete || page.messages.length === 0) break;
    after = page.messages[page.messages.length - 1].id;
  }
  return xml(
    "user",
    { name: parseJid(jid).local },
    credentials && [
      scramElement("SCRAM-SHA-1", credentials.sha1),
      scramElement("SCRAM-SHA-256", credentials.sha256),
    ],
    xml(
      "query",
      { xmlns: NS.ROSTER, ver: roster.version },
      roster.items.map(rosterItemElement),
    ),
    pending.length > 0 && xml("pending", { xmlns: PENDING }, pending.map((p) => parse(p.stanza))),
    offline.length > 0 && xml(
      "offline-messages",
      null,
      offline.map((m) => {
        const el = parse(m.stanza);
        const delay = xml("delay", {
          xmlns: NS.DELAY,
          from: domain,
          stamp: m.stamp.toISOString(),
        }, "Offline Storage");
        return { ...el, xmlns: NS.CLIENT, children: [...el.children, delay] };
      }),
    ),
    vcard !== undefined && parse(vcard),
    fragments.length > 0 &&
      xml("query", { xmlns: NS.PRIVATE }, fragments.map((f) => parse(f.fragment))),
    blocked.length > 0 &&
      xml("blocklist", { xmlns: NS.BLOCKING }, blocked.map((b) => xml("item", { jid: b }))),
    nodes.length > 0 && xml(
      "pubsub",
      { xmlns: NS.PUBSUB_OWNER },
      nodes.map((node, i) =>
        xml(
          "configure",
          { node },
          dataForm(
            "submit",
            NODE_CONFIG,
            Object.entries(configs[i] ?? {}).map(([k, v]) => ({ var: k, values: [v] })),
          ),
        )
      ),
    ),
    nodes.length > 0 && xml(
      "pubsub",
      { xmlns: NS.PUBSUB },
      nodes.map((node, i) =>
        xml(
          "items",
          { node },
          // Oldest first, so that importing in order restores the order.
          [...items[i]].reverse().map((it) =>
            xml(
              "item",
              { id: it.id, publisher: it.publisher },
              parse(it.payload),
              xml("delay", { xmlns: NS.DELAY, stamp: it.stamp.toISOString() }),
            )
          ),
        )
      ),
    ),
    archived.length > 0 && xml("archive", { xmlns: PIE_MAM }, archived),
  );
}

/**
 * Writes every account and its data as a XEP-0227 document.
 *
 * @param storage The storage to read.
 * @param write Receives the document piece by piece (one account at a time).
 * @example
 * ```ts
 * import { exportXep0227 } from "./xep0227.ts";
 * import { memoryStorage } from "../../src/storage/memory.ts";
 * let out = "";
 * await exportXep0227(memoryStorage(), (s) => { out += s; return Promise.resolve(); });
 * if (!out.includes("urn:xmpp:pie:0")) throw new Error(out);
 * ```
 */
export async function exportXep0227(
  storage: Storage,
  write: (chunk: string) => Promise<void>,
): Promise<void> {
  const byHost = new Map<string, BareJid[]>();
  for (const jid of await storage.accounts.list()) {
    const domain = parseJid(jid).domain;
    byHost.set(domain, [...(byHost.get(domain) ?? []), jid]);
  }
  await write(`<?xml version='1.0' encoding='UTF-8'?>\n<server-data xmlns='${PIE}'>\n`);
  for (const [domain, jids] of byHost) {
    await write(`<host jid="${domain}">\n`);
    for (const jid of jids) {
      await write(serialize(await userElement(storage, jid, domain), PIE) + "\n");
    }
    await write("</host>\n");
  }
  await write("</server-data>\n");
}

function readScram(user: Element, mechanism: string): ScramCredential | undefined {
  const el = elements(user, "scram-credentials", PIE_SCRAM)
    .find((e) => e.attrs.mechanism === mechanism);
  if (!el) return undefined;
  return {
    iterations: Number(text(child(el, "iter-count", PIE_SCRAM))),
    salt: text(child(el, "salt", PIE_SCRAM)).trim(),
    serverKey: text(child(el, "server-key", PIE_SCRAM)).trim(),
    storedKey: text(child(el, "stored-key", PIE_SCRAM)).trim(),
  };
}

// SCRAM data nobody can log in with, for a hash the export did not carry.
function unusable(): ScramCredential {
  const random = () => toBase64(crypto.getRandomValues(new Uint8Array(32)));
  return { iterations: 4096, salt: random(), storedKey: random(), serverKey: random() };
}

async function credentialsOf(user: Element, jid: string, warnings: string[]) {
  const sha1 = readScram(user, "SCRAM-SHA-1");
  const sha256 = readScram(user, "SCRAM-SHA-256");
  if (sha1 && sha256) return { sha1, sha256 } satisfies Credentials;
  // XEP-0227 1.0 exports carry the password: derive SCRAM data, never store it.
  if (user.attrs.password !== undefined) return await deriveCredentials(user.attrs.password);
  if (!sha1 && !sha256) return undefined;
  warnings.push(
    `Account "${jid}" has SCRAM data for ${sha1 ? "SHA-1" : "SHA-256"} only: ` +
      `SCRAM-${sha1 ? "SHA-256" : "SHA-1"} logins fail until the password is set again`,
  );
  return { sha1: sha1 ?? unusable(), sha256: sha256 ?? unusable() };
}

function withoutDelay(el: Element, from: string): { stanza: Element; stamp?: Date } {
  const delays = el.children.filter((c): c is Element =>
    typeof c !== "string" && c.name === "delay" && c.xmlns === NS.DELAY &&
    (c.attrs.from === undefined || c.attrs.from === from)
  );
  const last = delays[delays.length - 1];
  if (!last) return { stanza: el };
  return {
    stanza: { ...el, children: el.children.filter((c) => c !== last) },
    stamp: new Date(last.attrs.stamp),
  };
}

async function importUser(storage: Storage, user: Element, domain: string, warnings: string[]) {
  const jid = parseJid(`${user.attrs.name}@${domain}`).bare;
  const credentials = await credentialsOf(user, jid, warnings);
  if (credentials && !await storage.accounts.create(jid, credentials)) {
    await storage.accounts.setCredentials(jid, credentials);
  }
  for (const q of elements(user, "query", NS.ROSTER)) {
    for (const item of elements(q, "item", NS.ROSTER)) {
      await storage.roster.setItem(jid, rosterItemFromElement(item));
    }
  }
  for (const p of elements(user, "pending", PENDING).flatMap((e) => elements(e, "presence"))) {
    await storage.roster.addPending(jid, {
      from: parseJid(p.attrs.from).bare,
      stanza: storeXml(p),
    });
  }
  for (const box of elements(user, "offline-messages")) {
    for (const m of elements(box, "message", NS.CLIENT)) {
      const { stanza, stamp } = withoutDelay(m, domain);
      await storage.offline.push(
        jid,
        storeXml(stanza),
        stamp ?? new Date(),
        Number.MAX_SAFE_INTEGER,
      );
    }
  }
  const vcard = child(user, "vCard", NS.VCARD);
  if (vcard) await storage.vcard.set(jid, storeXml(vcard));
  for (const q of elements(user, "query", NS.PRIVATE)) {
    for (const f of elements(q)) {
      await storage.privateXml.set(jid, f.name, f.xmlns, storeXml(f));
    }
  }
  const blocked = elements(user, "blocklist", NS.BLOCKING)
    .flatMap((b) => elements(b, "item", NS.BLOCKING).map((i) => i.attrs.jid));
  if (blocked.length > 0) await storage.blocklist.add(jid, blocked);
  for (const ps of elements(user, "pubsub", NS.PUBSUB_OWNER)) {
    for (const c of elements(ps, "configure", NS.PUBSUB_OWNER)) {
      const config: Record<string, string> = {};
      for (const f of elements(child(c, "x", XDATA) ?? c, "field", XDATA)) {
        if (f.attrs.var !== "FORM_TYPE") config[f.attrs.var] = text(child(f, "value", XDATA));
      }
      await storage.pubsub.setNode(jid, c.attrs.node, config);
    }
  }
  for (const ps of elements(user, "pubsub", NS.PUBSUB)) {
    for (const items of elements(ps, "items", NS.PUBSUB)) {
      const node = items.attrs.node;
      if (!await storage.pubsub.getNode(jid, node)) await storage.pubsub.setNode(jid, node, {});
      for (const it of elements(items, "item", NS.PUBSUB)) {
        const payload = elements(it).find((e) => !(e.name === "delay" && e.xmlns === NS.DELAY));
        if (!payload) continue;
        const delay = child(it, "delay", NS.DELAY);
        await storage.pubsub.publish(jid, node, {
          id: it.attrs.id,
          payload: storeXml(payload),
          publisher: it.attrs.publisher ?? jid,
          stamp: delay ? new Date(delay.attrs.stamp) : new Date(),
        }, Number.MAX_SAFE_INTEGER);
      }
    }
  }
  for (const a of elements(user, "archive", PIE_MAM)) {
    for (const r of elements(a, "result", MAM)) {
      const fwd = child(r, "forwarded", FORWARD);
      const m = fwd && child(fwd, "message", NS.CLIENT);
      if (!fwd || !m) continue;
      const from = m.attrs.from ? parseJid(m.attrs.from).bare : jid;
      const out = from === jid;
      await storage.archive.append(jid, {
        id: r.attrs.id,
        stamp: new Date(child(fwd, "delay", NS.DELAY)?.attrs.stamp ?? Date.now()),
        with: out ? parseJid(m.attrs.to ?? jid).bare : from,
        direction: out ? "out" : "in",
        stanza: storeXml(m),
      });
    }
  }
}

/**
 * Imports a XEP-0227 document (also as written by Prosody and ejabberd). Existing accounts get
 * the imported credentials; other data is added to what is there.
 *
 * @param storage The storage to write.
 * @param document The XML text.
 * @returns How many accounts were imported, and warnings.
 * @example
 * ```ts
 * import { importXep0227 } from "./xep0227.ts";
 * import { memoryStorage } from "../../src/storage/memory.ts";
 * const storage = memoryStorage();
 * const doc = `<server-data xmlns='urn:xmpp:pie:0'><host jid='localhost'>
 *   <user name='juliet' password='s3crEt'/></host></server-data>`;
 * const summary = await importXep0227(storage, doc);
 * if (summary.accounts !== 1) throw new Error();
 * ```
 */
export async function importXep0227(storage: Storage, document: string): Promise<ImportSummary> {
  const root = parseDocument(document);
  const warnings: string[] = [];
  let accounts = 0;
  for (const host of elements(root, "host", PIE)) {
    for (const user of elements(host, "user", PIE)) {
      await importUser(storage, user, host.attrs.jid, warnings);
      accounts++;
    }
  }
  return { accounts, warnings };
}

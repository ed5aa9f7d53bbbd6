// XEP-0227 export and import: a round trip PGlite → PostgreSQL → PGlite loses nothing, and
// Prosody-style files (SCRAM-SHA-1 only, or a password) import.
import assert from "node:assert/strict";
import { exportXep0227, importXep0227 } from "../../../adapters/cli/xep0227.ts";
import { pgliteStorage } from "../../../adapters/postgres/pglite.ts";
import { postgresStorage } from "../../../adapters/postgres/postgres_js.ts";
import type { BareJid } from "../../../src/jid/jid.ts";
import { deriveCredentials } from "../../../src/sasl/credentials.ts";
import type { Storage } from "../../../src/storage/storage.ts";
import { child, text, xml } from "../../../src/xml/element.ts";
import { RestrictedXmlError } from "../../../src/xml/errors.ts";
import { loadXml } from "../../../src/storage/stored_xml.ts";
import { memoryStorage } from "../../../src/storage/memory.ts";
import { serialize } from "../../../src/xml/serializer.ts";
import { databaseUrl, dropSchema, testSchema } from "../postgres/_database_url.ts";

const jid = (s: string) => s as BareJid;
const stored = (el: ReturnType<typeof xml>) => serialize(el, "");
const url = databaseUrl();

async function populate(s: Storage) {
  const alice = jid("alice@localhost");
  await s.accounts.create(alice, await deriveCredentials("alice-pw"));
  await s.accounts.create(jid("bob@localhost"), await deriveCredentials("bob-pw"));
  await s.roster.setItem(alice, {
    jid: jid("bob@localhost"),
    name: "Bob & co",
    groups: ["Friends", "Work"],
    subscription: "both",
    ask: false,
    approved: false,
  });
  await s.roster.setItem(alice, {
    jid: jid("carol@example.org"),
    groups: [],
    subscription: "none",
    ask: true,
    approved: true,
  });
  await s.roster.addPending(alice, {
    from: jid("dave@example.org"),
    stanza: stored(
      xml(
        "presence",
        { xmlns: "jabber:client", from: "dave@example.org", type: "subscribe" },
        xml("nick", { xmlns: "http://jabber.org/protocol/nick" }, "Dave"),
      ),
    ),
  });
  for (const [i, when] of ["2026-01-01T10:00:00.123Z", "2026-01-01T10:00:01.000Z"].entries()) {
    await s.offline.push(
      alice,
      stored(
        xml("message", {
          xmlns: "jabber:client",
          from: "bob@localhost/x",
          to: "alice@localhost",
          type: "chat",
        }, xml("body", null, `offline ${i} <&>`)),
      ),
      new Date(when),
      100,
    );
  }
  await s.vcard.set(alice, stored(xml("vCard", { xmlns: "vcard-temp" }, xml("FN", null, "Alice"))));
  await s.privateXml.set(
    alice,
    "storage",
    "storage:bookmarks",
    stored(
      xml(
        "storage",
        { xmlns: "storage:bookmarks" },
        xml("conference", { jid: "room@muc.localhost", autojoin: "true" }),
      ),
    ),
  );
  await s.privateXml.set(
    alice,
    "prefs",
    "exodus:prefs",
    stored(xml("prefs", { xmlns: "exodus:prefs" })),
  );
  await s.blocklist.add(alice, ["spam@example.org", "evil.example"]);
  await s.pubsub.setNode(alice, "urn:xmpp:avatar:metadata", {
    "pubsub#access_model": "presence",
    "pubsub#max_items": "1",
  });
  await s.pubsub.setNode(alice, "eu.siacs.conversations.axolotl.devicelist", {});
  await s.pubsub.publish(alice, "urn:xmpp:avatar:metadata", {
    id: "a1",
    payload: stored(xml("metadata", { xmlns: "urn:xmpp:avatar:metadata" })),
    publisher: "alice@localhost/a",
    stamp: new Date("2026-01-02T00:00:00Z"),
  }, 10);
  await s.pubsub.publish(alice, "urn:xmpp:avatar:metadata", {
    id: "a2",
    payload: stored(
      xml("metadata", { xmlns: "urn:xmpp:avatar:metadata" }, xml("info", { id: "x" })),
    ),
    publisher: "alice@localhost/b",
    stamp: new Date("2026-01-03T00:00:00Z"),
  }, 10);
  for (let i = 0; i < 3; i++) {
    await s.archive.append(alice, {
      id: `arch-${i}`,
      stamp: new Date(Date.parse("2026-02-01T00:00:00Z") + i * 1000),
      with: jid("bob@localhost"),
      direction: i === 1 ? "out" : "in",
      stanza: stored(
        xml("message", {
          xmlns: "jabber:client",
          from: i === 1 ? "alice@localhost/a" : "bob@localhost/x",
          to: i === 1 ? "bob@localhost" : "alice@localhost/a",
          type: "chat",
        }, xml("body", null, `m${i}`)),
      ),
    });
  }
}

async function exported(s: Storage): Promise<string> {
  let out = "";
  await exportXep0227(s, (chunk) => {
    out += chunk;
    return Promise.resolve();
  });
  // The roster version is regenerated on import; everything else must be identical.
  return out.replace(/ ver="\d+"/g, "");
}

Deno.test({
  name: "exportXep0227() and importXep0227() round-trip PGlite → PostgreSQL → PGlite",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const first = await pgliteStorage();
    await populate(first);
    const doc = await exported(first);
    await first.close();
    assert.match(doc, /mechanism="SCRAM-SHA-256"/);
    assert.match(doc, /<offline-messages>/);

    const schema = testSchema("xep0227");
    const middle = url ? await postgresStorage(url, { schema }) : await pgliteStorage();
    try {
      assert.deepEqual(await importXep0227(middle, doc), { accounts: 2, warnings: [] });
      assert.equal(await exported(middle), doc);
    } finally {
      await middle.close();
      if (url) await dropSchema(url, schema);
    }
    const last = await pgliteStorage();
    try {
      await importXep0227(last, doc);
      assert.equal(await exported(last), doc);
      const offline = await last.offline.list(jid("alice@localhost"));
      assert.deepEqual(offline.map((m) => m.stamp.toISOString()), [
        "2026-01-01T10:00:00.123Z",
        "2026-01-01T10:00:01.000Z",
      ]);
    } finally {
      await last.close();
    }
  },
});

Deno.test("importXep0227() reads a Prosody export: SCRAM-SHA-1 only, or a password", async () => {
  const storage = await pgliteStorage();
  try {
    const doc = `<?xml version='1.0' encoding='UTF-8'?>
<server-data xmlns='urn:xmpp:pie:0'>
  <host jid='localhost'>
    <user name='juliet'>
      <scram-credentials xmlns='urn:xmpp:pie:0#scram' mechanism='SCRAM-SHA-1'>
        <iter-count>4096</iter-count>
        <salt>QSXCR+Q6sek8bf92</salt>
        <server-key>D+CSWLOshSulAsxiupA+qs2/fTE=</server-key>
        <stored-key>6dlGYMOdZcOPutkcNY8U2g7vK9Y=</stored-key>
      </scram-credentials>
      <query xmlns='jabber:iq:roster'>
        <item jid='romeo@montague.net' name='Romeo' subscription='both'><group>Friends</group></item>
      </query>
    </user>
    <user name='romeo' password='s3crEt'/>
  </host>
</server-data>`;
    const summary = await importXep0227(storage, doc);
    assert.equal(summary.accounts, 2);
    assert.equal(summary.warnings.length, 1);
    const juliet = await storage.accounts.getCredentials(jid("juliet@localhost"));
    assert.deepEqual(juliet?.sha1, {
      iterations: 4096,
      salt: "QSXCR+Q6sek8bf92",
      serverKey: "D+CSWLOshSulAsxiupA+qs2/fTE=",
      storedKey: "6dlGYMOdZcOPutkcNY8U2g7vK9Y=",
    });
    assert.ok(await storage.accounts.exists(jid("romeo@localhost")));
    assert.deepEqual((await storage.roster.get(jid("juliet@localhost"))).items, [{
      jid: "romeo@montague.net",
      name: "Romeo",
      groups: ["Friends"],
      subscription: "both",
      ask: false,
      approved: false,
    }]);
  } finally {
    await storage.close();
  }
});

Deno.test("importXep0227() reads a Prosody-style export that a person annotated with comments", async () => {
  const storage = await pgliteStorage();
  try {
    const doc = `<?xml version='1.0' encoding='utf-8'?>
<!-- Exported from Prosody 0.12 with mod_migrate; mallory removed by hand -->
<server-data xmlns='urn:xmpp:pie:0' xmlns:x='urn:example:x'>
  <host jid='localhost'>
    <!-- juliet: keep her roster -->
    <user name='juliet'>
      <scram-credentials xmlns='urn:xmpp:pie:0#scram' mechanism='SCRAM-SHA-1'>
        <iter-count>4096</iter-count>
        <salt>QSXCR+Q6sek8bf92</salt>
        <server-key>D+CSWLOshSulAsxiupA+qs2/fTE=</server-key>
        <stored-key>6dlGYMOdZcOPutkcNY8U2g7vK9Y=</stored-key>
      </scram-credentials>
      <query xmlns='jabber:iq:roster'>
        <!-- <item jid='mallory@evil.example' subscription='both'/> -->
        <item jid='romeo@montague.net' name='Romeo' subscription='both'><group>Friends</group></item>
      </query>
      <offline-messages>
        <message xmlns='jabber:client' from='romeo@montague.net/orchard' to='juliet@localhost'
          type='chat' x:z='1'><body><![CDATA[<3 & more]]></body><delay xmlns='urn:xmpp:delay'
          from='localhost' stamp='2026-01-01T10:00:00Z'/></message>
      </offline-messages>
    </user>
  </host>
</server-data>
<!-- end of export -->
`;
    const summary = await importXep0227(storage, doc);
    assert.equal(summary.accounts, 1);
    assert.equal(summary.warnings.length, 1); // SHA-1 only, as in the Prosody test above
    const juliet = jid("juliet@localhost");
    assert.equal((await storage.accounts.getCredentials(juliet))?.sha1?.iterations, 4096);
    assert.deepEqual((await storage.roster.get(juliet)).items.map((i) => i.jid), [
      "romeo@montague.net",
    ]);
    // The stored message reads back: its body, and the prefix that the root element declared.
    const [offline] = await storage.offline.list(juliet);
    const message = loadXml(offline.stanza)!;
    assert.equal(message.name, "message");
    assert.equal(message.xmlns, "jabber:client");
    assert.equal(message.attrs["x:z"], "1");
    assert.equal(message.attrs["xmlns:x"], "urn:example:x");
    assert.equal(text(child(message, "body")), "<3 & more");
    assert.equal(offline.stamp.toISOString(), "2026-01-01T10:00:00.000Z");
  } finally {
    await storage.close();
  }
});

Deno.test("importXep0227() refuses a file with a DTD, before writing anything", async () => {
  const storage = memoryStorage();
  const doc = `<?xml version='1.0'?>
<!DOCTYPE server-data [<!ENTITY pw SYSTEM "file:///etc/passwd">]>
<server-data xmlns='urn:xmpp:pie:0'><host jid='localhost'>
  <user name='eve' password='&pw;'/></host></server-data>`;
  await assert.rejects(
    importXep0227(storage, doc),
    (e: Error) => e instanceof RestrictedXmlError && /document type declaration/.test(e.message),
  );
  assert.deepEqual(await storage.accounts.list(), []);
  await assert.rejects(
    importXep0227(storage, "<server-data xmlns='urn:example:other'/>"),
    /not <server-data\/> in "urn:xmpp:pie:0"/,
  );
});

/**
 * Storage hot paths on PGlite (in memory) and on PostgreSQL (when DATABASE_URL is set, in the
 * schema `parley_bench`, recreated at every run): the credential lookup of a login, loading a
 * 1,000-contact roster, storing and fetching 1,000 offline messages, appending to the archive,
 * reading a page of 50 from a 100,000-message archive, and 1,000 offline messages or archive
 * appends arriving at once (one client's backlog): how long they take, and how long a login's
 * credential lookup issued behind them waits (what every other user feels, issue #10).
 *
 * Run with `deno bench -A bench/storage_bench.ts`.
 *
 * @module
 */
import { pgliteStorage } from "../adapters/postgres/pglite.ts";
import { dropPostgresSchema, postgresStorage } from "../adapters/postgres/postgres_js.ts";
import type { BareJid } from "../src/jid/jid.ts";
import { deriveCredentials } from "../src/sasl/credentials.ts";
import type { ArchivedMessage } from "../src/storage/archive_store.ts";
import type { Storage } from "../src/storage/storage.ts";

const jid = (s: string) => s as BareJid;
const READER = jid("reader@bench");
const ARCHIVE_SIZE = 100_000;

function message(i: number): ArchivedMessage {
  return {
    id: `m${i}`,
    stamp: new Date(Date.parse("2026-01-01T00:00:00Z") + i * 1000),
    with: jid(`contact${i % 100}@bench`),
    direction: i % 2 ? "in" : "out",
    stanza: `<message xmlns="jabber:client" type="chat"><body>message ${i}</body></message>`,
  };
}

async function prepare(storage: Storage): Promise<void> {
  const credentials = await deriveCredentials("pw");
  for (let i = 0; i < 100; i++) await storage.accounts.create(jid(`user${i}@bench`), credentials);
  for (let i = 0; i < 1000; i++) {
    await storage.roster.setItem(READER, {
      jid: jid(`contact${i}@bench`),
      name: `Contact ${i}`,
      groups: ["Friends"],
      subscription: "both",
      ask: false,
      approved: false,
    });
  }
  const archive = storage.archive as unknown as {
    appendMany(owner: BareJid, m: ArchivedMessage[]): Promise<void>;
  };
  await archive.appendMany(READER, Array.from({ length: ARCHIVE_SIZE }, (_, i) => message(i)));
}

const drivers: [string, Storage][] = [["PGlite", await pgliteStorage()]];
// `deno task bench` grants --allow-read only: then the PostgreSQL leg is left out.
const canConnect = Deno.permissions.querySync({ name: "env", variable: "DATABASE_URL" }).state ===
    "granted" && Deno.permissions.querySync({ name: "net" }).state === "granted";
const url = canConnect ? Deno.env.get("DATABASE_URL") : undefined;
if (url) {
  await dropPostgresSchema(url, "parley_bench");
  drivers.push(["PostgreSQL", await postgresStorage(url, { schema: "parley_bench" })]);
}
for (const [, storage] of drivers) await prepare(storage);

let appended = ARCHIVE_SIZE;
let offlineOwner = 0;
for (const [name, s] of drivers) {
  Deno.bench(`${name}: credential lookup of a login`, { group: "login" }, async () => {
    await s.accounts.getCredentials(jid("user42@bench"));
  });
  Deno.bench(`${name}: load a 1,000-contact roster`, { group: "roster" }, async () => {
    const roster = await s.roster.get(READER);
    if (roster.items.length !== 1000) throw new Error("Wrong roster size");
  });
  Deno.bench(
    `${name}: store and fetch 1,000 offline messages`,
    { group: "offline", n: 10, warmup: 1 },
    async () => {
      const owner = jid(`offline${++offlineOwner}@bench`);
      for (let i = 0; i < 1000; i++) {
        await s.offline.push(
          owner,
          `<message xmlns="jabber:client"><body>${i}</body></message>`,
          new Date(),
          5000,
        );
      }
      const all = await s.offline.list(owner);
      await s.offline.remove(owner, all.map((m) => m.id));
      if (all.length !== 1000) throw new Error("Wrong number of offline messages");
    },
  );
  Deno.bench(
    `${name}: append one message to the archive`,
    { group: "archive-append" },
    async () => {
      await s.archive.append(jid("writer@bench"), message(++appended));
    },
  );
  Deno.bench(
    `${name}: read a page of 50 from a 100,000-message archive`,
    { group: "archive-page" },
    async () => {
      const page = await s.archive.query(READER, { max: 50, after: "m50000" });
      if (page.messages.length !== 50) throw new Error("Wrong page size");
    },
  );
  Deno.bench(
    `${name}: read the last page of 50 with one contact`,
    { group: "archive-page" },
    async () => {
      const page = await s.archive.query(READER, {
        max: 50,
        before: "",
        with: jid("contact7@bench"),
      });
      if (page.messages.length !== 50) throw new Error("Wrong page size");
    },
  );
}

// Bursts: many writes issued in one tick, as a pipelining client produces them.
const BURST = 1000;
let burstOwner = 0;
function offlineBurst(s: Storage) {
  const owner = jid(`burst${++burstOwner}@bench`);
  return Array.from({ length: BURST }, (_, i) =>
    s.offline.push(
      owner,
      `<message xmlns="jabber:client"><body>${i}</body></message>`,
      new Date(),
      BURST,
    ));
}
function archiveBurst(s: Storage) {
  const owner = jid(`burst${++burstOwner}@bench`);
  return Array.from({ length: BURST }, (_, i) => s.archive.append(owner, message(i)));
}
for (const [name, s] of drivers) {
  Deno.bench(
    `${name}: 1,000 offline messages stored at once`,
    { group: "burst-offline", n: 10, warmup: 1 },
    async () => {
      await Promise.all(offlineBurst(s));
    },
  );
  Deno.bench(
    `${name}: 1,000 archive appends at once`,
    { group: "burst-archive", n: 10, warmup: 1 },
    async () => {
      await Promise.all(archiveBurst(s));
    },
  );
  Deno.bench(
    `${name}: a credential lookup behind 1,000 offline messages`,
    { group: "burst-wait", n: 10, warmup: 1 },
    async (b) => {
      const burst = offlineBurst(s);
      b.start();
      await s.accounts.getCredentials(jid("user42@bench"));
      b.end();
      await Promise.all(burst);
    },
  );
}

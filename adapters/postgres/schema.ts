/**
 * The one drizzle `pg-core` schema for everything the server keeps, used by both drivers
 * (PGlite and PostgreSQL). Migrations in `./migrations` are generated from it with drizzle-kit
 * (`deno task db:generate`).
 *
 * @module
 */
import {
  bigint,
  bigserial,
  boolean,
  customType,
  index,
  integer,
  jsonb,
  pgTable,
  primaryKey,
  text,
  timestamp,
  uniqueIndex,
} from "drizzle-orm/pg-core";

/** Accounts with their SCRAM-SHA-1 and SCRAM-SHA-256 data (RFC 5802 §3); never a password. */
export const accounts = pgTable("accounts", {
  jid: text("jid").primaryKey(),
  sha1Salt: text("sha1_salt").notNull(),
  sha1Iterations: integer("sha1_iterations").notNull(),
  sha1StoredKey: text("sha1_stored_key").notNull(),
  sha1ServerKey: text("sha1_server_key").notNull(),
  sha256Salt: text("sha256_salt").notNull(),
  sha256Iterations: integer("sha256_iterations").notNull(),
  sha256StoredKey: text("sha256_stored_key").notNull(),
  sha256ServerKey: text("sha256_server_key").notNull(),
  createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
});

/** The current roster version of each owner (RFC 6121 §2.6). */
export const rosterVersions = pgTable("roster_versions", {
  owner: text("owner").primaryKey(),
  version: bigint("version", { mode: "number" }).notNull(),
});

/** Roster items; `version` is the roster version at which the item last changed. */
export const rosterItems = pgTable(
  "roster_items",
  {
    owner: text("owner").notNull(),
    jid: text("jid").notNull(),
    name: text("name"),
    groups: text("groups").array().notNull(),
    subscription: text("subscription").notNull(),
    ask: boolean("ask").notNull(),
    approved: boolean("approved").notNull(),
    version: bigint("version", { mode: "number" }).notNull(),
  },
  (
    t,
  ) => [
    primaryKey({ columns: [t.owner, t.jid] }),
    index("roster_items_version").on(t.owner, t.version),
  ],
);

/** The change log of removals, for roster versioning (RFC 6121 §2.6.3). */
export const rosterRemovals = pgTable("roster_removals", {
  owner: text("owner").notNull(),
  jid: text("jid").notNull(),
  version: bigint("version", { mode: "number" }).notNull(),
}, (t) => [primaryKey({ columns: [t.owner, t.jid] })]);

/** Pending inbound subscription requests (RFC 6121 §3.1.3), oldest first by `seq`. */
export const rosterPending = pgTable("roster_pending", {
  owner: text("owner").notNull(),
  fromJid: text("from_jid").notNull(),
  stanza: text("stanza").notNull(),
  seq: bigserial("seq", { mode: "number" }).notNull(),
}, (t) => [primaryKey({ columns: [t.owner, t.fromJid] })]);

/** Offline messages (XEP-0160), in arrival order by `id`. */
export const offlineMessages = pgTable("offline_messages", {
  id: bigserial("id", { mode: "number" }).primaryKey(),
  owner: text("owner").notNull(),
  stamp: timestamp("stamp", { withTimezone: true, precision: 3 }).notNull(),
  stanza: text("stanza").notNull(),
}, (t) => [index("offline_messages_owner").on(t.owner, t.id)]);

/** vcard-temp (XEP-0054), one per account. */
export const vcards = pgTable("vcards", {
  owner: text("owner").primaryKey(),
  vcard: text("vcard").notNull(),
});

/** Private XML storage (XEP-0049). */
export const privateXml = pgTable("private_xml", {
  owner: text("owner").notNull(),
  name: text("name").notNull(),
  xmlns: text("xmlns").notNull(),
  fragment: text("fragment").notNull(),
}, (t) => [primaryKey({ columns: [t.owner, t.name, t.xmlns] })]);

/** Block lists (XEP-0191). */
export const blocklist = pgTable("blocklist", {
  owner: text("owner").notNull(),
  jid: text("jid").notNull(),
}, (t) => [primaryKey({ columns: [t.owner, t.jid] })]);

/** The message archive (XEP-0313), paged by (owner, stamp, seq) and by with-JID. */
export const archive = pgTable("archive", {
  seq: bigserial("seq", { mode: "number" }).primaryKey(),
  owner: text("owner").notNull(),
  id: text("id").notNull(),
  stamp: timestamp("stamp", { withTimezone: true, precision: 3 }).notNull(),
  withJid: text("with_jid").notNull(),
  direction: text("direction").notNull(),
  stanza: text("stanza").notNull(),
}, (t) => [
  uniqueIndex("archive_owner_id").on(t.owner, t.id),
  index("archive_owner_stamp").on(t.owner, t.stamp, t.seq),
  index("archive_owner_with_stamp").on(t.owner, t.withJid, t.stamp, t.seq),
]);

/** Pubsub / PEP nodes (XEP-0060, XEP-0163) and their configuration as form fields. */
export const pubsubNodes = pgTable("pubsub_nodes", {
  owner: text("owner").notNull(),
  node: text("node").notNull(),
  config: jsonb("config").$type<Record<string, string>>().notNull(),
}, (t) => [primaryKey({ columns: [t.owner, t.node] })]);

/** Pubsub items, newest first by `seq`. */
export const pubsubItems = pgTable("pubsub_items", {
  owner: text("owner").notNull(),
  node: text("node").notNull(),
  id: text("id").notNull(),
  payload: text("payload").notNull(),
  publisher: text("publisher").notNull(),
  stamp: timestamp("stamp", { withTimezone: true, precision: 3 }).notNull(),
  seq: bigserial("seq", { mode: "number" }).notNull(),
}, (t) => [
  primaryKey({ columns: [t.owner, t.node, t.id] }),
  index("pubsub_items_seq").on(t.owner, t.node, t.seq),
]);

/** Text compared by code point (UTF-8 bytes), whatever the database's collation. */
const codePointText = customType<{ data: string }>({ dataType: () => 'text COLLATE "C"' });

/**
 * Modules' own documents (`Storage.documents`): JSON by namespace and key, with a version
 * counter for compare-and-set. Keys sort by code point, so that pages come in the same order
 * on every driver.
 */
export const documents = pgTable("documents", {
  ns: codePointText("ns").notNull(),
  key: codePointText("key").notNull(),
  value: jsonb("value").notNull(),
  version: bigint("version", { mode: "number" }).notNull(),
}, (t) => [primaryKey({ columns: [t.ns, t.key] })]);

// AccountStore on the drizzle schema.
import { eq, sql } from "drizzle-orm";
import type { BareJid } from "../../src/jid/jid.ts";
import type { AccountStore, Credentials } from "../../src/storage/account_store.ts";
import { byteOrder, type Db } from "./_db.ts";
import { accounts } from "./schema.ts";

type AccountRow = typeof accounts.$inferSelect;

function credentialColumns(c: Credentials) {
  return {
    sha1Salt: c.sha1.salt,
    sha1Iterations: c.sha1.iterations,
    sha1StoredKey: c.sha1.storedKey,
    sha1ServerKey: c.sha1.serverKey,
    sha256Salt: c.sha256.salt,
    sha256Iterations: c.sha256.iterations,
    sha256StoredKey: c.sha256.storedKey,
    sha256ServerKey: c.sha256.serverKey,
  };
}

function toCredentials(r: AccountRow): Credentials {
  return {
    sha1: {
      salt: r.sha1Salt,
      iterations: r.sha1Iterations,
      storedKey: r.sha1StoredKey,
      serverKey: r.sha1ServerKey,
    },
    sha256: {
      salt: r.sha256Salt,
      iterations: r.sha256Iterations,
      storedKey: r.sha256StoredKey,
      serverKey: r.sha256ServerKey,
    },
  };
}

export class PgAccountStore implements AccountStore {
  readonly #db: Db;
  // The credential lookup of every login: a prepared statement.
  readonly #getCredentials;

  constructor(db: Db) {
    this.#db = db;
    this.#getCredentials = db.select().from(accounts)
      .where(eq(accounts.jid, sql.placeholder("jid")))
      .prepare("parley_get_credentials");
  }

  async create(jid: BareJid, credentials: Credentials): Promise<boolean> {
    const rows = await this.#db.insert(accounts).values({ jid, ...credentialColumns(credentials) })
      .onConflictDoNothing().returning({ jid: accounts.jid });
    return rows.length > 0;
  }
  async getCredentials(jid: BareJid): Promise<Credentials | undefined> {
    const rows = await this.#getCredentials.execute({ jid });
    return rows[0] ? toCredentials(rows[0]) : undefined;
  }
  async setCredentials(jid: BareJid, credentials: Credentials): Promise<boolean> {
    const rows = await this.#db.update(accounts).set(credentialColumns(credentials))
      .where(eq(accounts.jid, jid)).returning({ jid: accounts.jid });
    return rows.length > 0;
  }
  async exists(jid: BareJid): Promise<boolean> {
    const rows = await this.#db.select({ jid: accounts.jid }).from(accounts)
      .where(eq(accounts.jid, jid));
    return rows.length > 0;
  }
  async remove(jid: BareJid): Promise<boolean> {
    const rows = await this.#db.delete(accounts).where(eq(accounts.jid, jid))
      .returning({ jid: accounts.jid });
    return rows.length > 0;
  }
  async list(): Promise<BareJid[]> {
    const rows = await this.#db.select({ jid: accounts.jid }).from(accounts)
      .orderBy(byteOrder(accounts.jid));
    return rows.map((r) => r.jid as BareJid);
  }
}

// PostgreSQL lost while running: requests that need storage get a stanza error (type wait), a
// login gets temporary-auth-failure, sessions stay up, and the server recovers by itself.
// The connections are cut with pg_terminate_backend (through psql) while their queries wait
// behind a lock, so the failure happens in the middle of a request.
import assert from "node:assert/strict";
import { postgresStorage } from "../../../adapters/postgres/postgres_js.ts";
import { connect, startServer, type TestClient, withTimeout } from "../../scenarios/_harness.ts";
import { getRoster } from "../../scenarios/_im.ts";
import { databaseUrl, dropSchema, testSchema } from "./_database_url.ts";

const url = databaseUrl();

async function psql(sql: string, appName = "parley_test_admin"): Promise<string> {
  const out = await new Deno.Command("psql", {
    args: [url!, "-XAtq", "-v", "ON_ERROR_STOP=1", "-c", sql],
    env: { PGAPPNAME: appName },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder();
  if (out.code !== 0) throw new Error(`psql failed: ${text.decode(out.stderr)}`);
  return text.decode(out.stdout).trim();
}

async function until(sql: string, what: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (await psql(sql) !== "t") {
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

Deno.test({
  name: "postgresStorage(): a lost connection fails requests with wait errors, then recovers",
  ignore: url === undefined,
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const schema = testSchema("faults");
    const app = schema.replace("t_", "parley_");
    const withApp = new URL(url!);
    withApp.searchParams.set("application_name", app);
    const storage = await postgresStorage(withApp.href, { schema, maxConnections: 4 });
    const t = await startServer({ storage });
    let alice: TestClient | undefined;
    let bob: TestClient | undefined;
    let locker: Promise<unknown> | undefined;
    try {
      alice = await connect(t.port, "alice", "alice-pw", { resource: "a" });
      assert.equal((await getRoster(alice)).attrs.type, "result");

      // Another session holds locks; the server's next queries wait behind them.
      locker = psql(
        `begin; lock table ${schema}.roster_versions, ${schema}.accounts in access exclusive mode;` +
          " select pg_sleep(30); commit;",
        `${app}_lock`,
      ).catch(() => {/* terminated below */});
      await until(
        `select count(*) > 0 from pg_locks l join pg_stat_activity a using (pid)
          where a.application_name = '${app}_lock' and l.granted and l.mode = 'AccessExclusiveLock'`,
        "the lock",
      );
      const roster = getRoster(alice);
      const login = connect(t.port, "bob", "bob-pw", { resource: "b" })
        .then(() => undefined, (e: { condition?: string }) => e);
      await until(
        `select count(*) >= 2 from pg_stat_activity
          where application_name = '${app}' and wait_event_type = 'Lock'`,
        "the server's queries to wait",
      );
      await psql(`select pg_terminate_backend(pid) from pg_stat_activity
        where application_name = '${app}'`);

      const reply = await roster;
      assert.equal(reply.attrs.type, "error");
      const error = reply.getChild("error")!;
      assert.equal(error.attrs.type, "wait");
      assert.ok(error.getChild("internal-server-error") ?? error.getChild("resource-constraint"));
      const failed = await withTimeout(login, "the login to fail");
      assert.equal(failed?.condition, "temporary-auth-failure");

      // The database is back: the same session works again, and logins succeed.
      await psql(`select pg_terminate_backend(pid) from pg_stat_activity
        where application_name = '${app}_lock'`);
      await locker;
      assert.equal(alice.xmpp.status, "online");
      assert.equal((await getRoster(alice)).attrs.type, "result");
      bob = await connect(t.port, "bob", "bob-pw", { resource: "b" });
    } finally {
      await alice?.stop();
      await bob?.stop();
      await t.close();
      await locker;
      await dropSchema(url!, schema);
    }
  },
});

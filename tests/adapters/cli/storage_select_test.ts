import assert from "node:assert/strict";
import { chooseStorage } from "../../../adapters/cli/storage_select.ts";
import { denoRun, MAIN } from "../_server_process.ts";

Deno.test("chooseStorage() defaults to PGlite, to PostgreSQL with a URL, and checks the driver", () => {
  assert.deepEqual(chooseStorage({ dataDir: "d" }), { kind: "pglite", pgliteDir: "d/pglite" });
  assert.deepEqual(chooseStorage({ dataDir: "d", databaseUrl: "postgres://h/db" }), {
    kind: "postgres",
    databaseUrl: "postgres://h/db",
  });
  assert.deepEqual(
    chooseStorage({ dataDir: "d", storage: "memory", databaseUrl: "postgres://h" }),
    {
      kind: "memory",
    },
  );
  assert.throws(() => chooseStorage({ dataDir: "d", storage: "postgres" }), TypeError);
  assert.throws(
    () => chooseStorage({ dataDir: "d", storage: "sqlite" }),
    /expected memory, pglite or postgres/,
  );
});

Deno.test("deno task start exits 1 with a one-line error when PostgreSQL is unreachable", async () => {
  // A port nothing listens on: bind one, then close it.
  const probe = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (probe.addr as Deno.NetAddr).port;
  probe.close();
  const out = await denoRun(MAIN, [
    "--database-url",
    `postgres://root@127.0.0.1:${port}/test`,
    "--c2s-port",
    "0",
    "--tls-port",
    "0",
    "--log-level",
    "error",
  ], { stdout: "piped", stderr: "piped" }).output();
  assert.equal(out.code, 1);
  const err = new TextDecoder().decode(out.stderr).trim();
  assert.match(
    err,
    new RegExp(
      `^parley: Cannot open PostgreSQL storage at 127\\.0\\.0\\.1:${port}/test: .*ECONNREFUSED.*$`,
    ),
  );
});

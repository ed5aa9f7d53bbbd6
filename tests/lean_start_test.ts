// A first `deno task start` fetches only what the server imports (#9 item 6). `deno task`
// installs every package of the config it reads (its import map and lock file) before it runs
// a task, unless that config leaves node_modules to `deno install` ("nodeModulesDir":
// "manual"). So deno.json, with the test, benchmark and example packages, is manual, and the
// server's tasks run with deno.server.json: the server's packages and their own lock file.
import assert from "node:assert/strict";

const ROOT = new URL("../", import.meta.url);

async function json(name: string) {
  return JSON.parse(await Deno.readTextFile(new URL(name, ROOT)));
}

Deno.test("deno.json leaves installs to `deno install`, so `deno task` installs nothing", async () => {
  const config = await json("deno.json");
  assert.equal(config.nodeModulesDir, "manual");
  for (const task of ["test", "check", "bench", "bench:compare", "example:web"]) {
    assert.match(config.tasks[task], /^deno install && /, `task ${task}`);
  }
});

Deno.test("deno task start, user and db run with deno.server.json", async () => {
  const { tasks } = await json("deno.json");
  for (const task of ["start", "user", "db"]) {
    // (start sets glibc's malloc tunables first: bench/peers/parley.ts startTaskEnv())
    assert.match(tasks[task], /^(\w+=\S+ )*deno run --config deno\.server\.json /, `task ${task}`);
  }
  const server = await json("deno.server.json");
  assert.equal(server.nodeModulesDir, "auto");
  assert.equal(server.lock, "./deno.server.lock");
});

Deno.test("deno.server.json maps each of its packages exactly as deno.json does", async () => {
  const all = (await json("deno.json")).imports;
  const server = (await json("deno.server.json")).imports;
  for (const [name, target] of Object.entries(server)) {
    assert.equal(target, all[name], `"${name}" in deno.server.json and deno.json`);
  }
  // What the server must never fetch: test, benchmark, example and tool packages.
  for (const name of ["@xmpp/client", "playwright-core", "converse.js", "drizzle-kit"]) {
    assert.equal(server[name], undefined, `"${name}" in deno.server.json`);
  }
});

Deno.test("deno.server.lock pins the same package versions as deno.lock", async () => {
  const all = await json("deno.lock");
  const server = await json("deno.server.lock");
  const packages = Object.keys(server.npm);
  assert.ok(packages.length > 0);
  for (const id of packages) {
    assert.deepEqual(server.npm[id], all.npm[id], `"${id}" in deno.server.lock and deno.lock`);
  }
  for (const [specifier, version] of Object.entries(server.specifiers)) {
    assert.equal(version, all.specifiers[specifier], `"${specifier}"`);
  }
});

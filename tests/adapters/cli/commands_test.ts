// The commands a self-hoster types: every task answers --help, `user add` asks for the password
// on the terminal (twice, without echo) and says what to do without one, and `db import` names
// what it refuses.
import assert from "node:assert/strict";
import { pgliteStorage } from "../../../adapters/postgres/pglite.ts";
import type { BareJid } from "../../../src/jid/jid.ts";
import { verifyPlain } from "../../../src/sasl/credentials.ts";
import { withTimeout } from "../../scenarios/_harness.ts";
import { denoRun } from "../_server_process.ts";

const ROOT = new URL("../../../", import.meta.url).pathname;
const USER = `${ROOT}adapters/cli/user_command.ts`;
const DB = `${ROOT}adapters/cli/db_command.ts`;
const decoder = new TextDecoder();

for (
  const [task, usage] of [
    ["start", "Usage: deno task start [options]"],
    ["user", "Usage: deno task user <command> [options]"],
    ["db", "Usage: deno task db <command> [options]"],
    ["bench:compare", "Usage: deno task bench:compare [options]"],
  ]
) {
  Deno.test(`deno task ${task} --help prints its usage and exits 0`, async () => {
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["task", task, "--help"],
      cwd: ROOT,
      env: { NO_COLOR: "1" },
      stdout: "piped",
      stderr: "piped",
    }).output();
    const text = decoder.decode(out.stdout);
    assert.equal(out.code, 0, decoder.decode(out.stderr));
    assert.ok(text.includes(usage), text);
    assert.match(text, /--help/);
  });
}

Deno.test("deno task user add without a password and without a terminal says what to do", async () => {
  const out = await denoRun(USER, ["add", "alice@localhost", "--storage", "memory"], {
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.equal(out.code, 1);
  assert.equal(
    decoder.decode(out.stderr).trim(),
    "parley: Cannot ask for the password: standard input is not a terminal " +
      "(give the password after the JID)",
  );
});

/** Runs `deno task user …` on a pseudo-terminal (script(1)), typing `lines` at its prompts. */
async function userOnTerminal(args: string[], lines: string[]) {
  const command = [Deno.execPath(), "run", "--config", `${ROOT}deno.server.json`, "-A", USER]
    .concat(args).join(" ");
  const child = new Deno.Command("script", {
    args: ["-qec", command, "/dev/null"],
    env: { NO_COLOR: "1" },
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const writer = child.stdin.getWriter();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let shown = "";
  const until = async (text: string) => {
    while (!shown.includes(text)) {
      const { value, done } = await withTimeout(reader.read(), `"${text}"`, 60_000);
      if (done) throw new Error(`Exited before "${text}": ${shown}`);
      shown += value;
    }
  };
  // Type each line only once the prompt is shown: the terminal is raw (no echo) by then.
  await until("Password for ");
  await writer.write(new TextEncoder().encode(lines[0] + "\r"));
  await until("Repeat the password: ");
  await writer.write(new TextEncoder().encode(lines[1] + "\r"));
  for (;;) {
    const { value, done } = await withTimeout(reader.read(), "the command to end", 60_000);
    if (done) break;
    shown += value;
  }
  await writer.close().catch(() => {});
  const status = await child.status;
  await child.stderr.cancel();
  return { code: status.code, shown };
}

Deno.test({
  name: "deno task user add asks for the password twice on the terminal without echoing it",
  sanitizeResources: false,
  async fn() {
    const data = await Deno.makeTempDir({ prefix: "parley-user-" });
    try {
      const added = await userOnTerminal(
        ["add", "alice@localhost", "--storage", "pglite", "--data", data],
        ["s3cr3t-Ph0ne", "s3cr3t-Ph0ne"],
      );
      assert.equal(added.code, 0, added.shown);
      assert.match(added.shown, /Password for alice@localhost: /);
      assert.match(added.shown, /Added alice@localhost/);
      assert.ok(!added.shown.includes("s3cr3t"), added.shown); // never echoed

      const differ = await userOnTerminal(
        ["passwd", "alice@localhost", "--storage", "pglite", "--data", data],
        ["n3w-one", "n3w-two"],
      );
      assert.equal(differ.code, 1, differ.shown);
      assert.match(differ.shown, /parley: Cannot set the password: the two entries differ/);

      const storage = await pgliteStorage({ dataDir: `${data}/pglite` });
      try {
        const credentials = await storage.accounts.getCredentials("alice@localhost" as BareJid);
        assert.ok(credentials);
        assert.equal(await verifyPlain(credentials, "s3cr3t-Ph0ne"), true);
      } finally {
        await storage.close();
      }
    } finally {
      await Deno.remove(data, { recursive: true });
    }
  },
});

Deno.test("deno task db import refuses a file with a DTD and names it", async () => {
  const dir = await Deno.makeTempDir({ prefix: "parley-db-" });
  try {
    const file = `${dir}/export.xml`;
    await Deno.writeTextFile(
      file,
      `<?xml version='1.0'?>\n<!DOCTYPE server-data [<!ENTITY x SYSTEM "file:///etc/passwd">]>\n` +
        `<server-data xmlns='urn:xmpp:pie:0'><host jid='localhost'/></server-data>\n`,
    );
    const out = await denoRun(DB, ["import", file, "--storage", "memory"], {
      stdout: "piped",
      stderr: "piped",
    }).output();
    assert.equal(out.code, 1);
    assert.match(
      decoder.decode(out.stderr),
      /^parley: Cannot read a document with a document type declaration \(<!DOCTYPE>\)/,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("deno task start runs the server with glibc's malloc tunables (idle memory handed back)", async () => {
  const data = await Deno.makeTempDir({ prefix: "parley-start-env-" });
  const task = new Deno.Command(Deno.execPath(), {
    args: [
      "task",
      "start",
      ...["--storage", "memory", "--data", data, "--hostname", "127.0.0.1"],
      ...["--c2s-port", "0", "--tls-port", "0", "--http-port", "0", "--s2s-port", "0"],
    ],
    cwd: ROOT,
    env: { NO_COLOR: "1" },
    stdout: "null",
    stderr: "piped",
  }).spawn();
  let server = 0;
  try {
    const reader = task.stderr.pipeThrough(new TextDecoderStream()).getReader();
    await withTimeout(
      (async () => {
        let seen = "";
        while (!seen.includes("Serving")) {
          const { value, done } = await reader.read();
          if (done) throw new Error(`deno task start exited:\n${seen}`);
          seen += value;
        }
      })(),
      "the server to start",
      60_000,
    );
    void reader.cancel().catch(() => {});
    // `deno task` runs the server as its child process. Deno gives /proc only with --allow-all,
    // so the files are read by `cat`.
    const proc = async (path: string) =>
      decoder.decode((await new Deno.Command("cat", { args: [`/proc/${path}`] }).output()).stdout);
    server = Number((await proc(`${task.pid}/task/${task.pid}/children`)).trim().split(" ")[0]);
    assert.ok(server, "the server process under deno task");
    const environ = (await proc(`${server}/environ`)).split("\0");
    assert.ok(environ.includes("MALLOC_TRIM_THRESHOLD_=4194304"), environ.join(" "));
    assert.ok(environ.includes("MALLOC_MMAP_THRESHOLD_=33554432"), environ.join(" "));
  } finally {
    if (server) Deno.kill(server, "SIGTERM");
    try {
      task.kill("SIGTERM");
    } catch { /* exited with its child */ }
    await task.status;
    await Deno.remove(data, { recursive: true });
  }
});

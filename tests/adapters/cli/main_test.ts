// The standalone server as a user runs it: a real process, real clients, SIGTERM to stop.
import assert from "node:assert/strict";
import { xml } from "@xmpp/client";
import {
  connect,
  testCertificate,
  type TestClient,
  withTimeout,
} from "../../scenarios/_harness.ts";
import { MAIN, type ServerProcess, startProcess } from "../_server_process.ts";

Deno.test({
  name:
    "deno task start: serves --user accounts, chats, and stops on SIGTERM with <system-shutdown/>",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const data = await Deno.makeTempDir({ prefix: "parley-cli-" });
    const args = [
      "--storage", // PGlite in `data`, even when DATABASE_URL names a shared database
      "pglite",
      "--data",
      data,
      "--user",
      "alice@localhost:alice-pw",
      "--user",
      "bob@localhost:bob-pw",
    ];
    let run: ServerProcess | undefined;
    let alice: TestClient | undefined, bob: TestClient | undefined;
    try {
      run = await startProcess(args);
      alice = await connect(run.ports.c2s, "alice", "alice-pw", { resource: "a" });
      bob = await connect(run.ports.c2s, "bob", "bob-pw", {
        resource: "b",
        service: `xmpps://127.0.0.1:${run.ports.tls}`,
      });
      // XEP-0386: the standalone server suffixes a Bind 2 client's tag ("b" → "b.…").
      const bobJid = bob.xmpp.jid.toString();
      assert.match(bobJid, /^bob@localhost\/b\./);
      await alice.xmpp.send(
        xml("message", { to: bobJid, type: "chat" }, xml("body", {}, "hello")),
      );
      const got = await bob.next((s) => s.is("message"), "Bob to get the message");
      assert.equal(got.getChildText("body"), "hello");
      assert.equal(got.attrs.from, alice.xmpp.jid.toString());

      // A self-signed certificate for the domain was created in the data directory; the log
      // gives its path and SHA-256 fingerprint (for the client's trust dialog), and the
      // accounts --user created.
      const cert = await Deno.readTextFile(`${data}/localhost.crt`);
      assert.match(cert, /^-----BEGIN CERTIFICATE-----/);
      const sha256 = await fingerprint(cert);
      assert.ok(
        run.log.some((l) =>
          l.includes(" INFO Created a self-signed certificate ") &&
          l.endsWith(` path=${data}/localhost.crt sha256=${sha256}`)
        ),
        run.log.join("\n"),
      );
      for (const jid of ["alice@localhost", "bob@localhost"]) {
        assert.ok(run.log.some((l) => l.endsWith(` INFO Account created jid=${jid}`)), jid);
      }
      // No secret in the log.
      assert.ok(
        !run.log.some((l) => l.includes("alice-pw") || l.includes("bob-pw")),
        run.log.join("\n"),
      );

      const down = new Promise<void>((resolve) => alice!.xmpp.on("disconnect", () => resolve()));
      run.child.kill("SIGTERM");
      const status = await withTimeout(run.child.status, "the server to exit", 15_000);
      assert.equal(status.code, 0);
      await withTimeout(down, "Alice to be disconnected");
      assert.equal((alice.errors[0] as { condition?: string }).condition, "system-shutdown");

      // The second start reuses the certificate and the accounts, and says so.
      run = await startProcess(args);
      assert.equal(await Deno.readTextFile(`${data}/localhost.crt`), cert);
      assert.ok(
        run.log.some((l) =>
          l.includes(" INFO Using the self-signed certificate ") &&
          l.endsWith(` path=${data}/localhost.crt sha256=${sha256}`)
        ),
        run.log.join("\n"),
      );
      assert.ok(
        run.log.some((l) =>
          l.endsWith(" INFO Account exists, password left unchanged jid=alice@localhost")
        ),
      );
      assert.ok(!run.log.some((l) => l.includes("Account created")), run.log.join("\n"));
      run.child.kill("SIGINT");
      assert.equal(
        (await withTimeout(run.child.status, "the second server to exit", 15_000)).code,
        0,
      );
    } finally {
      await alice?.stop();
      await bob?.stop();
      try {
        run?.child.kill("SIGKILL");
      } catch { /* exited */ }
      await Deno.remove(data, { recursive: true });
    }
  },
});

/** SHA-256 of the DER certificate in `pem`, as colon-separated upper-case hex. */
async function fingerprint(pem: string): Promise<string> {
  const base64 = pem.split("-----")[2].replace(/\s+/g, "");
  const der = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", der));
  return [...digest].map((b) => b.toString(16).padStart(2, "0")).join(":").toUpperCase();
}

Deno.test({
  name: "deno task start --cert --key logs the certificate's path and SHA-256 fingerprint",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const tls = `${Deno.env.get("TMPDIR") ?? "/tmp"}/parley-test-tls`;
    await testCertificate(); // creates the pair once per machine
    const run = await startProcess([
      "--storage",
      "memory",
      "--cert",
      `${tls}/localhost.crt`,
      "--key",
      `${tls}/localhost.key`,
    ]);
    try {
      const sha256 = await fingerprint(await Deno.readTextFile(`${tls}/localhost.crt`));
      assert.ok(
        run.log.some((l) =>
          l.endsWith(` INFO Using the TLS certificate path=${tls}/localhost.crt sha256=${sha256}`)
        ),
        run.log.join("\n"),
      );
      assert.ok(!run.log.some((l) => l.includes("self-signed")), run.log.join("\n"));
    } finally {
      await run.kill();
    }
  },
});

Deno.test("deno task start --help documents every flag and exits 0", async () => {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-read", "--allow-env", MAIN, "--help"],
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.equal(out.code, 0);
  const help = new TextDecoder().decode(out.stdout);
  for (
    const flag of [
      "--config",
      "--domain",
      "--c2s-port",
      "--tls-port",
      "--http-port",
      "--cert",
      "--key",
      "--storage",
      "--data",
      "--user",
      "--help",
    ]
  ) {
    assert.ok(help.includes(flag), `help mentions ${flag}`);
  }
});

Deno.test("deno task start rejects a bad flag with a one-line error and exit code 1", async () => {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-read", "--allow-env", MAIN, "--c2s-port", "99999"],
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.equal(out.code, 1);
  const err = new TextDecoder().decode(out.stderr).trim();
  assert.match(err, /^parley: Cannot use --c2s-port "99999": not a port number$/);
});

// The standalone server as a user runs it: a real process, real clients, SIGTERM to stop.
import assert from "node:assert/strict";
import { xml } from "@xmpp/client";
import { connect, type TestClient, withTimeout } from "../../scenarios/_harness.ts";
import { MAIN, type ServerProcess, startProcess } from "../_server_process.ts";

Deno.test({
  name:
    "deno task start: serves --user accounts, chats, and stops on SIGTERM with <system-shutdown/>",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const data = await Deno.makeTempDir({ prefix: "parley-cli-" });
    const args = [
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
      await alice.xmpp.send(
        xml("message", { to: "bob@localhost/b", type: "chat" }, xml("body", {}, "hello")),
      );
      const got = await bob.next((s) => s.is("message"), "Bob to get the message");
      assert.equal(got.getChildText("body"), "hello");
      assert.equal(got.attrs.from, "alice@localhost/a");

      // A self-signed certificate for the domain was created in the data directory.
      const cert = await Deno.readTextFile(`${data}/localhost.crt`);
      assert.match(cert, /^-----BEGIN CERTIFICATE-----/);
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

      // The second start reuses the certificate.
      run = await startProcess(args);
      assert.equal(await Deno.readTextFile(`${data}/localhost.crt`), cert);
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

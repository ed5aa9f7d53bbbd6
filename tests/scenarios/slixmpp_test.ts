// Debian's python3-slixmpp (1.8.3, the library under poezio and many bots) with its default
// settings against a running server: it tries SCRAM-*-PLUS with tls-unique and SCRAM with the
// "y" flag before a mechanism that works (issue #9 item 3).
import assert from "node:assert/strict";
import { xml } from "@xmpp/client";
import { connect, startServer, type TestClient, withTimeout } from "./_harness.ts";

const PYTHON = "/usr/bin/python3"; // Debian's python, which has slixmpp; not pyenv's
const SCRIPT = new URL("./_slixmpp_echo.py", import.meta.url).pathname;

/** Runs the slixmpp script and returns its exit code and event lines; killed after 30 s. */
async function slixmpp(port: number): Promise<{ code: number; lines: string[] }> {
  const child = new Deno.Command(PYTHON, {
    args: [SCRIPT, String(port), "bob@localhost", "bob-pw", "alice@localhost"],
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const timer = setTimeout(() => child.kill("SIGKILL"), 30_000);
  try {
    const { code, stdout, stderr } = await child.output();
    const lines = new TextDecoder().decode(stdout).trim().split("\n");
    if (code !== 0) lines.push(...new TextDecoder().decode(stderr).trim().split("\n").slice(-5));
    return { code, lines };
  } finally {
    clearTimeout(timer);
  }
}

Deno.test({
  name: "slixmpp: logs in over STARTTLS with its defaults and gets a message back",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const t = await startServer();
    let alice: TestClient | undefined;
    try {
      alice = await connect(t.port, "alice", "alice-pw", { resource: "echo" });
      const echo = alice;
      // Available, so that a message to her bare JID reaches this resource (RFC 6121 §8.5.2).
      await echo.xmpp.send(xml("presence"));
      // Alice answers every message from Bob with its body.
      const answering = (async () => {
        const got = await echo.next(
          (s) => s.is("message") && s.attrs.from?.startsWith("bob@localhost/"),
          "slixmpp's message to Alice",
          25_000,
        );
        await echo.xmpp.send(
          xml("message", { to: got.attrs.from, type: "chat" }, xml("body", {}, "pong")),
        );
        return got;
      })();
      const run = await slixmpp(t.port);
      assert.equal(run.code, 0, run.lines.join("\n"));
      const got = await withTimeout(answering, "Alice's answer");
      assert.equal(got.attrs.type, "chat");
      assert.equal(got.getChildText("body"), "ping from slixmpp");
      // slixmpp 1.8.3 only knows tls-unique (undefined for TLS 1.3, RFC 9266): each -PLUS
      // attempt and each "y" (downgrade) attempt is refused, and none of them ends the stream.
      const failed = run.lines.filter((l) => l.startsWith("failed_auth"));
      assert.deepEqual(failed, [
        "failed_auth SCRAM-SHA-256-PLUS malformed-request",
        "failed_auth SCRAM-SHA-1-PLUS malformed-request",
        "failed_auth SCRAM-SHA-256 not-authorized",
        "failed_auth SCRAM-SHA-1 not-authorized",
      ]);
      assert.deepEqual(run.lines.slice(failed.length), [
        "auth PLAIN",
        "session_start",
        "message alice@localhost pong",
        "done",
      ]);
    } finally {
      await alice?.stop();
      await t.close();
    }
  },
});

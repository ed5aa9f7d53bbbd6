// XEP-0050 ad-hoc commands and XEP-0133 administration with real clients: xmpp.js sending raw
// command iqs (a non-admin is refused, an admin announces and sets the welcome message that a
// new in-band registration receives), and slixmpp's xep_0050/xep_0133 plugins adding a user.
import assert from "node:assert/strict";
import { xml } from "@xmpp/client";
import { connect, startServer, type TestClient, withTimeout } from "./_harness.ts";
import { condition, iq } from "./_iq.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };
const COMMANDS = "http://jabber.org/protocol/commands";
const ADMIN = "http://jabber.org/protocol/admin";
const DATA = "jabber:x:data";
const PYTHON = "/usr/bin/python3";
const SCRIPT = new URL("./_slixmpp_adhoc.py", import.meta.url).pathname;

const command = (attrs: Record<string, string>, fields?: Record<string, string>) =>
  xml(
    "command",
    { xmlns: COMMANDS, ...attrs },
    fields &&
      xml(
        "x",
        { xmlns: DATA, type: "submit" },
        Object.entries({ FORM_TYPE: ADMIN, ...fields }).map(([k, v]) =>
          xml("field", { var: k }, xml("value", {}, v))
        ),
      ),
  );

/** Runs a two-stage admin command with xmpp.js and returns the final reply. */
async function runAdmin(c: TestClient, name: string, fields: Record<string, string>) {
  const node = `${ADMIN}#${name}`;
  const first = await iq(c, "set", command({ node, action: "execute" }), "localhost");
  assert.equal(first.attrs.type, "result");
  const cmd = first.getChild("command", COMMANDS)!;
  assert.equal(cmd.attrs.status, "executing");
  assert.equal(cmd.getChild("x", DATA)?.attrs.type, "form");
  return await iq(
    c,
    "set",
    command({ node, action: "complete", sessionid: cmd.attrs.sessionid }, fields),
    "localhost",
  );
}

/** Registers an account in-band over a raw stream (XEP-0077 §3.1). */
async function register(port: number, username: string, password: string) {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  const enc = new TextEncoder();
  let seen = "";
  const buf = new Uint8Array(65536);
  try {
    await conn.write(enc.encode(
      "<?xml version='1.0'?><stream:stream xmlns='jabber:client' " +
        "xmlns:stream='http://etherx.jabber.org/streams' to='localhost' version='1.0'>" +
        `<iq type='set' id='reg'><query xmlns='jabber:iq:register'><username>${username}` +
        `</username><password>${password}</password></query></iq>`,
    ));
    await withTimeout(
      (async () => {
        while (!/id=["']reg["']/.test(seen)) {
          const n = await conn.read(buf);
          if (n === null) throw new Error(`closed: ${seen}`);
          seen += new TextDecoder().decode(buf.subarray(0, n));
        }
      })(),
      "the registration result",
    );
    assert.match(
      seen,
      /<iq[^>]*type=["']result["'][^>]*id=["']reg["']|id=["']reg["'][^>]*type=["']result["']/,
    );
  } finally {
    conn.close();
  }
}

Deno.test({
  name:
    "adhoc: xmpp.js runs ping, a non-admin is forbidden, an admin announces and sets the welcome message",
  ...opts,
  async fn() {
    const t = await startServer({
      admins: ["alice@localhost"],
      requireTls: false,
      registration: { enabled: true },
    });
    const clients: TestClient[] = [];
    try {
      const alice = await connect(t.port, "alice", "alice-pw");
      const bob = await connect(t.port, "bob", "bob-pw");
      clients.push(alice, bob);
      const pong = await iq(bob, "set", command({ node: "ping", action: "execute" }), "localhost");
      assert.equal(pong.getChild("command", COMMANDS)?.attrs.status, "completed");
      const denied = await iq(
        bob,
        "set",
        command({ node: `${ADMIN}#announce`, action: "execute" }),
        "localhost",
      );
      assert.equal(denied.attrs.type, "error");
      assert.equal(condition(denied), "forbidden");

      const heard = bob.next((s) => s.is("message") && s.attrs.type === "headline", "announce");
      const announced = await runAdmin(alice, "announce", { announcement: "Hello all" });
      assert.equal(announced.getChild("command", COMMANDS)?.attrs.status, "completed");
      assert.equal((await heard).getChildText("body"), "Hello all");

      const set = await runAdmin(alice, "set-welcome", { welcome: "Welcome to Parley" });
      assert.equal(set.getChild("command", COMMANDS)?.attrs.status, "completed");
      await register(t.port, "newbie", "newbie-pw");
      // The welcome message waits offline; the new user gets it at first presence.
      const newbie = await connect(t.port, "newbie", "newbie-pw");
      clients.push(newbie);
      const welcome = newbie.next((s) => s.is("message"), "the welcome message");
      await newbie.xmpp.send(xml("presence"));
      const msg = await welcome;
      assert.equal(msg.attrs.from, "localhost");
      assert.equal(msg.getChildText("body"), "Welcome to Parley");
    } finally {
      for (const c of clients) await c.stop();
      await t.close();
    }
  },
});

Deno.test({
  name: "adhoc: slixmpp's xep_0050 and xep_0133 plugins list commands, ping, and add a user",
  ...opts,
  async fn() {
    const t = await startServer({ admins: ["alice@localhost"] });
    try {
      const child = new Deno.Command(PYTHON, {
        args: [SCRIPT, String(t.port), "alice@localhost", "alice-pw", "zoe@localhost", "zoe-pw"],
        stdout: "piped",
        stderr: "piped",
      }).spawn();
      const timer = setTimeout(() => child.kill("SIGKILL"), 30_000);
      const out = await child.output().finally(() => clearTimeout(timer));
      const lines = new TextDecoder().decode(out.stdout).trim().split("\n");
      const err = new TextDecoder().decode(out.stderr).trim().split("\n").slice(-5);
      assert.equal(out.code, 0, [...lines, ...err].join("\n"));
      const commands = lines.find((l) => l.startsWith("commands "))!.split(" ").slice(1);
      assert.ok(commands.includes("ping"));
      assert.ok(commands.includes(`${ADMIN}#add-user`));
      assert.deepEqual(lines.filter((l) => !l.startsWith("commands ")), [
        "ping completed",
        "form FORM_TYPE accountjid password password-verify",
        "add-user completed",
        "done",
      ]);
      assert.ok(await t.server.storage.accounts.exists("zoe@localhost" as never));
      const zoe = await connect(t.port, "zoe", "zoe-pw");
      await zoe.stop();
    } finally {
      await t.close();
    }
  },
});

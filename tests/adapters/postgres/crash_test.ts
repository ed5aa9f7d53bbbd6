// Crash safety: what the server answered with a result (a roster set, a password change) or
// accepted for offline storage survives a SIGKILL, on PGlite in a data directory and on
// PostgreSQL. A real server process, real clients.
import assert from "node:assert/strict";
import { xml } from "@xmpp/client";
import { connect, type TestClient, withTimeout } from "../../scenarios/_harness.ts";
import { iq } from "../../scenarios/_iq.ts";
import { getRoster, ROSTER, setItem } from "../../scenarios/_im.ts";
import { databaseUrl, dropSchema, testSchema } from "./_database_url.ts";
import { startServerProcess, userCli } from "./_server_process.ts";

const REGISTER = "jabber:iq:register";
const url = databaseUrl();

async function crashAndRecover(storageArgs: string[]) {
  const data = await Deno.makeTempDir({ prefix: "parley-crash-" });
  const args = [...storageArgs, "--data", data];
  let alice: TestClient | undefined, bob: TestClient | undefined;
  let server = await startServerProcess([...args, "--user", "alice@localhost:alice-pw"]);
  try {
    // An account made with `deno task user add` (the server is down for PGlite: one process
    // per data directory).
    await server.kill();
    const added = await userCli(["add", "bob@localhost", "bob-pw", ...args]);
    assert.equal(added.code, 0, added.out);
    server = await startServerProcess(args);

    alice = await connect(server.ports.c2s, "alice", "alice-pw", { resource: "a" });
    const set = await setItem(alice, { jid: "bob@localhost", name: "Bob" }, ["Friends"]);
    assert.equal(set.attrs.type, "result");
    await alice.xmpp.send(
      xml("message", { to: "bob@localhost", type: "chat", id: "m1" }, xml("body", {}, "hi bob")),
    );
    // Stanzas of a session are handled in order: once the ping is answered, the message was.
    const ping = await iq(alice, "get", xml("ping", { xmlns: "urn:xmpp:ping" }));
    assert.equal(ping.attrs.type, "result");
    const changed = await iq(
      alice,
      "set",
      xml(
        "query",
        { xmlns: REGISTER },
        xml("username", {}, "alice"),
        xml("password", {}, "new-pw"),
      ),
    );
    assert.equal(changed.attrs.type, "result", changed.toString());
    await server.kill();
    await alice.stop();

    server = await startServerProcess(args);
    alice = await connect(server.ports.c2s, "alice", "new-pw", { resource: "a" });
    const roster = await getRoster(alice);
    const items = roster.getChild("query", ROSTER)!.getChildren("item");
    assert.deepEqual(
      items.map((i) => [i.attrs.jid, i.attrs.name, i.getChildren("group").map((g) => g.text())]),
      [["bob@localhost", "Bob", ["Friends"]]],
    );
    bob = await connect(server.ports.c2s, "bob", "bob-pw", { resource: "b" });
    const got = bob.next((s) => s.is("message"), "the offline message", 10_000);
    await bob.xmpp.send(xml("presence"));
    const message = await got;
    assert.equal(message.getChildText("body"), "hi bob");
    // XEP-0386: the standalone server suffixes the Bind 2 tag ("a" → "a.…").
    assert.match(message.attrs.from, /^alice@localhost\/a\./);
  } finally {
    await alice?.stop();
    await bob?.stop();
    await server.kill();
    await Deno.remove(data, { recursive: true });
  }
}

Deno.test({
  name: "server on PGlite keeps a roster set, an offline message and a password across SIGKILL",
  sanitizeOps: false,
  sanitizeResources: false,
  fn: () => withTimeout(crashAndRecover([]), "the PGlite crash test", 120_000),
});

Deno.test({
  name: "server on PostgreSQL keeps a roster set, an offline message and a password across SIGKILL",
  ignore: url === undefined,
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const schema = testSchema("crash");
    const withSchema = new URL(url!);
    withSchema.searchParams.set("schema", schema);
    try {
      await withTimeout(
        crashAndRecover(["--database-url", withSchema.href]),
        "the PostgreSQL crash test",
        120_000,
      );
    } finally {
      await dropSchema(url!, schema);
    }
  },
});

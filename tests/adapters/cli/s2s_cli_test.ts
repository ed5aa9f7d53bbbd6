// `deno task start` federates: two standalone servers (a.localhost, b.localhost) on loopback,
// each told the other's s2s port with --s2s-route, carry a chat between their users; one
// also serves an XEP-0114 component from its config file.
import assert from "node:assert/strict";
import { xml } from "@xmpp/client";
import { component } from "@xmpp/component";
import { type ServerProcess, startProcess } from "../_server_process.ts";
import { connect, type TestClient, withTimeout } from "../../scenarios/_harness.ts";

function freePort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = l.addr.port;
  l.close();
  return port;
}

Deno.test({
  name: "deno task start: --s2s-port and --s2s-route federate two servers; config components",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const [portA, portB, componentPort] = [freePort(), freePort(), freePort()];
    const dataA = await Deno.makeTempDir({ prefix: "parley-s2s-a-" });
    const dataB = await Deno.makeTempDir({ prefix: "parley-s2s-b-" });
    const configB = `${dataB}/parley.config.ts`;
    await Deno.writeTextFile(
      configB,
      `export default { components: { "echo.b.localhost": "echo-secret" } };\n`,
    );
    const common = ["--storage", "memory", "--log-level", "info"];
    let a: ServerProcess | undefined, b: ServerProcess | undefined;
    const clients: TestClient[] = [];
    // deno-lint-ignore no-explicit-any
    let echo: any;
    try {
      a = await startProcess([
        ...common,
        "--data",
        dataA,
        "--domain",
        "a.localhost",
        "--user",
        "alice@a.localhost:alice-pw",
        "--s2s-port",
        String(portA),
        "--s2s-route",
        `b.localhost=127.0.0.1:${portB}`,
      ]);
      b = await startProcess([
        ...common,
        "--config",
        configB,
        "--data",
        dataB,
        "--domain",
        "b.localhost",
        "--user",
        "bob@b.localhost:bob-pw",
        "--s2s-port",
        String(portB),
        "--s2s-route",
        `a.localhost=127.0.0.1:${portA}`,
        "--component-port",
        String(componentPort),
      ]);
      assert.equal(a.ports.s2s, portA);
      assert.equal(b.ports.s2s, portB);
      assert.ok(b.log.some((l) => l.includes(`Listening for components (XEP-0114) port=`)));
      // The dialback secret was made and kept in the data directory.
      assert.match(await Deno.readTextFile(`${dataA}/dialback.secret`), /^[0-9a-f]{64}\n$/);

      const alice = await connect(a.ports.c2s, "alice", "alice-pw", {
        resource: "r",
        domain: "a.localhost",
      });
      const bob = await connect(b.ports.c2s, "bob", "bob-pw", {
        resource: "r",
        domain: "b.localhost",
      });
      clients.push(alice, bob);
      await alice.xmpp.send(
        // Bind 2 suffixes the resource (XEP-0386 §3): address the JIDs the server bound.
        xml(
          "message",
          { to: bob.xmpp.jid!.toString(), type: "chat", id: "x1" },
          xml("body", {}, "hi"),
        ),
      );
      const got = await bob.next((s) => s.is("message") && s.attrs.id === "x1", "bob's message");
      assert.equal(got.attrs.from, alice.xmpp.jid!.toString());
      assert.equal(got.getChildText("body"), "hi");

      // Bob's local component, from the config file.
      echo = component({
        service: `xmpp://127.0.0.1:${componentPort}`,
        domain: "echo.b.localhost",
        password: "echo-secret",
      });
      echo.reconnect.stop();
      echo.on("error", () => {});
      echo.on("stanza", (s: { is(n: string): boolean; attrs: Record<string, string> }) => {
        if (s.is("message") && s.attrs.type !== "error") {
          void echo.send(xml("message", { to: s.attrs.from, from: s.attrs.to, id: s.attrs.id }));
        }
      });
      await withTimeout(echo.start(), "the component to authenticate");
      await bob.xmpp.send(xml("message", { to: "e@echo.b.localhost", id: "c1" }));
      const back = await bob.next((s) => s.attrs.id === "c1", "the component's echo");
      assert.equal(back.attrs.from, "e@echo.b.localhost");
    } finally {
      for (const c of clients) await c.stop();
      await echo?.stop().catch(() => {});
      await a?.kill();
      await b?.kill();
      await Deno.remove(dataA, { recursive: true });
      await Deno.remove(dataB, { recursive: true });
    }
  },
});

Deno.test({
  name: "deno task start: a federated server that is killed shows its users unavailable",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const [portA, portB] = [freePort(), freePort()];
    const dataA = await Deno.makeTempDir({ prefix: "parley-s2s-a-" });
    const dataB = await Deno.makeTempDir({ prefix: "parley-s2s-b-" });
    const common = ["--storage", "memory"];
    let a: ServerProcess | undefined, b: ServerProcess | undefined;
    const clients: TestClient[] = [];
    try {
      a = await startProcess([
        ...common,
        ...["--data", dataA, "--domain", "a.localhost", "--user", "alice@a.localhost:alice-pw"],
        ...["--s2s-port", String(portA), "--s2s-route", `b.localhost=127.0.0.1:${portB}`],
      ]);
      b = await startProcess([
        ...common,
        ...["--data", dataB, "--domain", "b.localhost", "--user", "bob@b.localhost:bob-pw"],
        ...["--s2s-port", String(portB), "--s2s-route", `a.localhost=127.0.0.1:${portA}`],
      ]);
      const alice = await connect(a.ports.c2s, "alice", "alice-pw", {
        resource: "r",
        domain: "a.localhost",
      });
      const bob = await connect(b.ports.c2s, "bob", "bob-pw", {
        resource: "r",
        domain: "b.localhost",
      });
      clients.push(alice, bob);
      await bob.xmpp.send(xml("presence", {}));
      await alice.xmpp.send(xml("presence", {}));
      await alice.xmpp.send(xml("presence", { to: "bob@b.localhost", type: "subscribe" }));
      await bob.next((s) => s.is("presence") && s.attrs.type === "subscribe", "bob's request");
      await bob.xmpp.send(xml("presence", { to: "alice@a.localhost", type: "subscribed" }));
      await alice.next(
        (s) => s.is("presence") && s.attrs.from === bob.xmpp.jid!.toString() && !s.attrs.type,
        "bob's presence at alice",
      );
      // b.localhost dies without a word: its s2s connection breaks.
      await b.kill();
      const gone = await alice.next(
        (s) => s.is("presence") && s.attrs.from === bob.xmpp.jid!.toString(),
        "bob's unavailable after his server died",
      );
      assert.equal(gone.attrs.type, "unavailable");
      assert.equal(gone.attrs.to, "alice@a.localhost");
    } finally {
      for (const c of clients) await c.stop();
      await a?.kill();
      await b?.kill();
      await Deno.remove(dataA, { recursive: true });
      await Deno.remove(dataB, { recursive: true });
    }
  },
});

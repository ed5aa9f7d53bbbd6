// XEP-0114: an external component (xmpp.js's @xmpp/component) serves echo.localhost and echoes
// the messages of an @xmpp/client user; a wrong secret gets <not-authorized/>.
import assert from "node:assert/strict";
import { component, xml } from "@xmpp/component";
import { externalComponents } from "../../mod.ts";
import { componentTransport } from "../../adapters/deno_tcp/mod.ts";
import { connect, type LtxElement, rawExchange, startServer, withTimeout } from "./_harness.ts";

const SECRETS = { "echo.localhost": "echo-secret" };

async function setup() {
  const components = externalComponents({ secrets: SECRETS });
  const t = await startServer({ modules: [components] });
  let port = 0;
  await t.server.listen(
    componentTransport(components, { port: 0, onListen: (l) => port = l.port }),
  );
  return { t, port };
}

// deno-lint-ignore no-explicit-any
function echoComponent(port: number, password: string): any {
  const c = component({
    service: `xmpp://127.0.0.1:${port}`,
    domain: "echo.localhost",
    password,
  });
  c.reconnect.stop();
  c.on("error", () => {});
  c.on("stanza", async (s: LtxElement) => {
    if (!s.is("message") || s.attrs.type === "error") return;
    // Any JID of its domain may be the sender.
    await c.send(xml(
      "message",
      { to: s.attrs.from, from: `bot@echo.localhost/${s.attrs.to.split("@")[0]}`, type: "chat" },
      xml("body", {}, `echo: ${s.getChildText("body")}`),
    ));
  });
  return c;
}

Deno.test("externalComponents() echoes a client's message through @xmpp/component", async () => {
  const { t, port } = await setup();
  const echo = echoComponent(port, SECRETS["echo.localhost"]);
  try {
    await withTimeout(echo.start(), "the component to authenticate");
    const alice = await connect(t.port, "alice", "alice-pw");
    try {
      await alice.xmpp.send(
        xml("message", { to: "anyone@echo.localhost", type: "chat" }, xml("body", {}, "hi")),
      );
      const reply = await alice.next((s) => s.is("message"), "the echo");
      assert.equal(reply.attrs.from, "bot@echo.localhost/anyone");
      assert.equal(reply.attrs.to.split("/")[0], "alice@localhost");
      assert.equal(reply.getNS(), "jabber:client");
      assert.equal(reply.getChildText("body"), "echo: hi");
      await echo.stop();
      // Once it left, its domain is no longer served: without federation, no route to it.
      await alice.xmpp.send(
        xml("message", { to: "x@echo.localhost", type: "chat", id: "m2" }, xml("body", {}, "?")),
      );
      const bounce = await alice.next((s) => s.attrs.id === "m2", "the bounce");
      assert.equal(bounce.attrs.type, "error");
      assert.ok(
        bounce.getChild("error")?.getChild(
          "remote-server-not-found",
          "urn:ietf:params:xml:ns:xmpp-stanzas",
        ),
      );
    } finally {
      await alice.stop();
    }
  } finally {
    await echo.stop().catch(() => {});
    await t.close();
  }
});

Deno.test("externalComponents() refuses a wrong secret with <not-authorized/>", async () => {
  const { t, port } = await setup();
  try {
    const reply = await rawExchange(port, [
      "<stream:stream xmlns='jabber:component:accept' " +
      "xmlns:stream='http://etherx.jabber.org/streams' to='echo.localhost'>",
      "<handshake>0000000000000000000000000000000000000000</handshake>",
    ], { pauseMs: 100 });
    assert.match(reply, /<stream:stream [^>]*xmlns='jabber:component:accept'/);
    assert.match(reply, /<not-authorized xmlns="urn:ietf:params:xml:ns:xmpp-streams"\/>/);
    assert.match(reply, /<\/stream:stream>$/);
    assert.doesNotMatch(reply, /<handshake\/>/);
  } finally {
    await t.close();
  }
});

Deno.test("externalComponents() answers an unknown component domain with <host-unknown/>", async () => {
  const { t, port } = await setup();
  try {
    const reply = await rawExchange(port, [
      "<stream:stream xmlns='jabber:component:accept' " +
      "xmlns:stream='http://etherx.jabber.org/streams' to='other.localhost'>",
    ]);
    assert.match(reply, /<host-unknown xmlns="urn:ietf:params:xml:ns:xmpp-streams"\/>/);
  } finally {
    await t.close();
  }
});

Deno.test("externalComponents() closes a component that sends from another domain", async () => {
  const { t, port } = await setup();
  const echo = echoComponent(port, SECRETS["echo.localhost"]);
  try {
    await withTimeout(echo.start(), "the component to authenticate");
    const closed = new Promise<void>((resolve) => echo.on("disconnect", () => resolve()));
    const errors: Error[] = [];
    echo.on("error", (e: Error) => errors.push(e));
    await echo.send(xml("message", { from: "alice@localhost", to: "bob@localhost" }));
    await withTimeout(closed, "the component to be disconnected");
    assert.ok(errors.some((e) => (e as { condition?: string }).condition === "invalid-from"));
  } finally {
    await echo.stop().catch(() => {});
    await t.close();
  }
});

import assert from "node:assert/strict";
import { xml } from "@xmpp/client";
import { connect, type LtxElement } from "../../scenarios/_harness.ts";
import { OPEN, startWeb, test, wsExchange } from "./_web.ts";

test("xmpp.js over WebSocket authenticates, binds and chats with a TCP client", async () => {
  const web = await startWeb();
  try {
    const alice = await connect(0, "alice", "alice-pw", {
      service: `ws://${web.base}/xmpp-websocket`,
    });
    const bob = await connect(web.port, "bob", "bob-pw", { resource: "tcp" });
    try {
      await alice.xmpp.send(
        xml(
          "message",
          { to: "bob@localhost/tcp", type: "chat" },
          xml("body", {}, "hi over ws"),
        ),
      );
      const got = await bob.next((s: LtxElement) => s.is("message"), "message at bob");
      assert.deepEqual(got.getChildText("body"), "hi over ws");
      assert.match(got.attrs.from, /^alice@localhost\//);
      await bob.xmpp.send(
        xml("message", { to: alice.xmpp.jid!.toString(), type: "chat" }, xml("body", {}, "back")),
      );
      const back = await alice.next((s: LtxElement) => s.is("message"), "message at alice");
      assert.deepEqual(back.getChildText("body"), "back");
    } finally {
      await alice.stop();
      await bob.stop();
    }
  } finally {
    await web.close();
  }
});

test("WebSocket upgrade answers with the xmpp subprotocol and a client <close/> gets <close/>", async () => {
  const web = await startWeb();
  try {
    const r = await wsExchange(`ws://${web.base}/xmpp-websocket`, [
      OPEN,
      "<close xmlns='urn:ietf:params:xml:ns:xmpp-framing'/>",
    ]);
    assert.deepEqual(r.protocol, "xmpp");
    assert.ok(r.closed);
    assert.match(r.messages[0], /^<open xmlns="urn:ietf:params:xml:ns:xmpp-framing"/);
    assert.match(r.messages[0], /from="localhost"/);
    assert.match(r.messages[0], /version="1.0"/);
    assert.match(
      r.messages[1],
      /^<stream:features xmlns:stream="http:\/\/etherx.jabber.org\/streams">/,
    );
    assert.match(r.messages[1], /SCRAM-SHA-1/);
    assert.ok(!r.messages[1].includes("PLAIN"), "no PLAIN on ws://");
    assert.deepEqual(r.messages.at(-1), '<close xmlns="urn:ietf:params:xml:ns:xmpp-framing"/>');
  } finally {
    await web.close();
  }
});

async function streamErrorFor(frames: string[]): Promise<string[]> {
  const web = await startWeb();
  try {
    const r = await wsExchange(`ws://${web.base}/xmpp-websocket`, frames);
    assert.ok(r.closed, "the server closes the WebSocket");
    return r.messages;
  } finally {
    await web.close();
  }
}

const NOT_WELL_FORMED =
  '<stream:error xmlns:stream="http://etherx.jabber.org/streams"><not-well-formed xmlns="urn:ietf:params:xml:ns:xmpp-streams"/>';

test("a WebSocket message with two elements is not-well-formed (RFC 7395 §3.3.3)", async () => {
  const m = await streamErrorFor([
    OPEN + "<presence xmlns='jabber:client'/>",
  ]);
  assert.ok(m.some((x) => x.startsWith("<open ")), "our <open/> comes first");
  assert.ok(m.some((x) => x.startsWith(NOT_WELL_FORMED)), m.join("\n"));
  assert.deepEqual(m.at(-1), '<close xmlns="urn:ietf:params:xml:ns:xmpp-framing"/>');
});

test("a WebSocket message with half an element is not-well-formed", async () => {
  const m = await streamErrorFor([OPEN, "<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl'"]);
  assert.ok(m.some((x) => x.startsWith(NOT_WELL_FORMED)), m.join("\n"));
  assert.deepEqual(m.at(-1), '<close xmlns="urn:ietf:params:xml:ns:xmpp-framing"/>');
});

test("a WebSocket client that gets maxUnreadBytes ahead of the read rate gets policy-violation", async () => {
  // Reads cannot be paused under Deno.upgradeWebSocket: past its 1 MiB burst, the core reads
  // 1 KiB/s here, and what waits for it must stay bounded.
  const web = await startWeb(
    { websocket: { maxUnreadBytes: 65536 } },
    { limits: { readBytesPerSecond: 1024 } },
  );
  try {
    const whitespace = " ".repeat(65536);
    const r = await wsExchange(`ws://${web.base}/xmpp-websocket`, [
      OPEN,
      ...Array(24).fill(whitespace),
    ]);
    assert.ok(r.closed, "the server closes the WebSocket");
    const m = r.messages;
    assert.ok(
      m.some((x) =>
        x.startsWith(
          '<stream:error xmlns:stream="http://etherx.jabber.org/streams"><policy-violation xmlns="urn:ietf:params:xml:ns:xmpp-streams"/>',
        )
      ),
      m.join("\n"),
    );
    assert.deepEqual(m.at(-1), '<close xmlns="urn:ietf:params:xml:ns:xmpp-framing"/>');
  } finally {
    await web.close();
  }
});

test("a WebSocket request without the xmpp subprotocol is refused", async () => {
  const web = await startWeb();
  try {
    const res = await fetch(`http://${web.base}/xmpp-websocket`, {
      headers: {
        upgrade: "websocket",
        connection: "Upgrade",
        "sec-websocket-key": "dGhlIHNhbXBsZSBub25jZQ==",
        "sec-websocket-version": "13",
        "sec-websocket-protocol": "chat",
      },
    });
    assert.deepEqual(res.status, 400);
    assert.deepEqual(res.headers.get("sec-websocket-protocol"), null);
    await res.body?.cancel();
    // A real client without the subprotocol never opens.
    let failed = false;
    try {
      await wsExchange(`ws://${web.base}/xmpp-websocket`, [], []);
    } catch {
      failed = true;
    }
    assert.ok(failed);
  } finally {
    await web.close();
  }
});

test("a forbidden Origin gets 403; loopback and listed origins are allowed", async () => {
  const web = await startWeb({ websocket: { origins: ["https://app.example"] } });
  const web2 = await startWeb();
  try {
    const headers = (origin: string) => ({
      upgrade: "websocket",
      connection: "Upgrade",
      "sec-websocket-key": "dGhlIHNhbXBsZSBub25jZQ==",
      "sec-websocket-version": "13",
      "sec-websocket-protocol": "xmpp",
      origin,
    });
    const bad = await fetch(`http://${web.base}/xmpp-websocket`, {
      headers: headers("https://evil.example"),
    });
    assert.deepEqual(bad.status, 403);
    await bad.body?.cancel();
    const bad2 = await fetch(`http://${web2.base}/xmpp-websocket`, {
      headers: headers("https://evil.example"),
    });
    assert.deepEqual(bad2.status, 403);
    await bad2.body?.cancel();
    const r = await wsExchange(`ws://${web2.base}/xmpp-websocket`, [OPEN], ["xmpp"], 300);
    assert.deepEqual(r.protocol, "xmpp");
  } finally {
    await web.close();
    await web2.close();
  }
});

test("see-other-uri sends the client elsewhere (RFC 7395 §3.6.1)", async () => {
  const web = await startWeb({ websocket: { seeOtherUri: "wss://other.example/xmpp" } });
  try {
    const r = await wsExchange(`ws://${web.base}/xmpp-websocket`, [OPEN]);
    assert.deepEqual(r.messages, [
      '<close xmlns="urn:ietf:params:xml:ns:xmpp-framing" see-other-uri="wss://other.example/xmpp"/>',
    ]);
    assert.ok(r.closed);
  } finally {
    await web.close();
  }
});

test("host-meta lists the WebSocket and BOSH endpoints (XEP-0156)", async () => {
  const web = await startWeb();
  try {
    const xrd = await (await fetch(`http://${web.base}/.well-known/host-meta`)).text();
    assert.match(
      xrd,
      new RegExp(
        `<Link rel="urn:xmpp:alt-connections:websocket" href="ws://${web.base}/xmpp-websocket"/>`,
      ),
    );
    assert.match(
      xrd,
      new RegExp(
        `<Link rel="urn:xmpp:alt-connections:xbosh" href="http://${web.base}/http-bind"/>`,
      ),
    );
    const json = await (await fetch(`http://${web.base}/.well-known/host-meta.json`)).json();
    assert.deepEqual(json, {
      links: [
        { rel: "urn:xmpp:alt-connections:websocket", href: `ws://${web.base}/xmpp-websocket` },
        { rel: "urn:xmpp:alt-connections:xbosh", href: `http://${web.base}/http-bind` },
      ],
    });
  } finally {
    await web.close();
  }
});

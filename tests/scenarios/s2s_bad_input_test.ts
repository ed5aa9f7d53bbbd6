// Bad input on an incoming s2s stream (RFC 6120 §4.9.3, §13; XEP-0220 §2.4): a stanza before
// dialback, a dialback key for a domain we do not host, a spoofed 'from' after dialback, a key
// the authoritative server rejects, dialback before the required STARTTLS, a peer that never
// finishes TLS. Each gets the spec's error and changes nothing.
import assert from "node:assert/strict";
import { xml } from "@xmpp/client";
import { connect, type TestClient, withTimeout } from "./_harness.ts";
import { fakeAuthority, RawPeer, s2sHeader, startFedServer } from "./_s2s.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };
const STREAMS = 'xmlns="urn:ietf:params:xml:ns:xmpp-streams"';

async function opened(peer: RawPeer, from = "evil.localhost", to = "a.localhost") {
  await peer.send(s2sHeader(from, to));
  return (await peer.waitFor(/<stream:stream [^>]*id='([^']+)'/, "the stream header"))[1];
}

Deno.test({
  name: "federation(): a stanza before dialback completes gets <not-authorized/>",
  ...opts,
  async fn() {
    const a = await startFedServer("a.localhost", { requireTls: false });
    const peer = await RawPeer.connect(a.s2sPort);
    try {
      await opened(peer);
      await peer.waitFor(
        /<dialback xmlns="urn:xmpp:features:dialback"><errors\/><\/dialback>/,
        "the dialback feature",
      );
      await peer.send(
        "<message from='eve@evil.localhost' to='alice@a.localhost'><body>x</body></message>",
      );
      await peer.waitFor(new RegExp(`<not-authorized ${STREAMS}/>`), "not-authorized");
      await withTimeout(peer.closed, "the stream to close");
      assert.match(peer.text, /<\/stream:stream>$/);
    } finally {
      peer.close();
      await a.close();
    }
  },
});

Deno.test({
  name: "federation(): dialback for a domain we do not host gets type='error' <item-not-found/>",
  ...opts,
  async fn() {
    const a = await startFedServer("a.localhost", { requireTls: false });
    const peer = await RawPeer.connect(a.s2sPort);
    try {
      const id = await opened(peer);
      await peer.send("<db:result from='evil.localhost' to='other.example'>abcd</db:result>");
      const result = await peer.waitFor(
        /<result [^>]*type="error"[^>]*>.*?<\/result>/,
        "the result error",
      );
      assert.match(result[0], /from="other.example" to="evil.localhost"/);
      assert.match(
        result[0],
        /<error type="cancel"><item-not-found xmlns="urn:ietf:params:xml:ns:xmpp-stanzas"\/><\/error>/,
      );
      // A verification request is answered only for a domain we host.
      await peer.send(
        `<db:verify from='evil.localhost' to='other.example' id='${id}'>abcd</db:verify>`,
      );
      const verify = await peer.waitFor(
        /<verify [^>]*type="error"[^>]*>.*?<\/verify>/,
        "the verify error",
      );
      assert.match(verify[0], /<item-not-found xmlns="urn:ietf:params:xml:ns:xmpp-stanzas"\/>/);
      // For a domain we host, a key we did not make is invalid.
      await peer.send(
        `<db:verify from='evil.localhost' to='a.localhost' id='${id}'>abcd</db:verify>`,
      );
      await peer.waitFor(/<verify [^>]*type="invalid"/, "the verify answer");
      // Nothing was authenticated: a stanza still gets not-authorized.
      await peer.send("<message from='eve@evil.localhost' to='alice@a.localhost'/>");
      await peer.waitFor(new RegExp(`<not-authorized ${STREAMS}/>`), "not-authorized");
    } finally {
      peer.close();
      await a.close();
    }
  },
});

Deno.test({
  name: "federation(): a stream to a domain we do not host gets <host-unknown/>",
  ...opts,
  async fn() {
    const a = await startFedServer("a.localhost", { requireTls: false });
    const peer = await RawPeer.connect(a.s2sPort);
    try {
      await peer.send(s2sHeader("evil.localhost", "nobody.example"));
      await peer.waitFor(new RegExp(`<host-unknown ${STREAMS}/>`), "host-unknown");
      await withTimeout(peer.closed, "the stream to close");
    } finally {
      peer.close();
      await a.close();
    }
  },
});

Deno.test({
  name:
    "federation(): after dialback (two domains piggybacked), a spoofed 'from' gets <invalid-from/>",
  ...opts,
  async fn() {
    const a = await startFedServer("a.localhost", { requireTls: false });
    const authority = fakeAuthority("evil.localhost");
    a.routes["evil.localhost"] = `127.0.0.1:${authority.port}`;
    a.routes["evil2.localhost"] = `127.0.0.1:${authority.port}`;
    const peer = await RawPeer.connect(a.s2sPort);
    let alice: TestClient | undefined;
    try {
      alice = await connect(a.port, "alice", "alice-pw", { resource: "r", domain: "a.localhost" });
      await opened(peer);
      // The authoritative server (asked over Parley's outgoing stream) confirms the key.
      await peer.send("<db:result from='evil.localhost' to='a.localhost'>good-key</db:result>");
      await peer.waitFor(/<result [^>]*type="valid"/, "dialback success");
      await peer.send(
        "<message from='eve@evil.localhost/x' to='alice@a.localhost/r' id='ok1' type='chat'><body>hi</body></message>",
      );
      const got = await alice.next((s) => s.attrs.id === "ok1", "the authenticated message");
      assert.equal(got.attrs.from, "eve@evil.localhost/x");
      assert.equal(got.getNS(), "jabber:client");
      // XEP-0220 §2.5: another domain authenticated over the same stream (piggybacking).
      await peer.send("<db:result from='evil2.localhost' to='a.localhost'>key-2</db:result>");
      await peer.waitFor(
        /<result [^>]*from="a.localhost" to="evil2.localhost" type="valid"/,
        "2nd",
      );
      await peer.send("<message from='x@evil2.localhost' to='alice@a.localhost/r' id='ok2'/>");
      await alice.next((s) => s.attrs.id === "ok2", "the second domain's message");
      // A domain the stream is not authenticated for.
      await peer.send(
        "<message from='mallory@spoofed.localhost' to='alice@a.localhost/r' id='bad1' type='chat'><body>x</body></message>",
      );
      await peer.waitFor(new RegExp(`<invalid-from ${STREAMS}/>`), "invalid-from");
      await withTimeout(peer.closed, "the stream to close");
      await assert.rejects(alice.next((s) => s.attrs.id === "bad1", "the spoofed message", 300));
    } finally {
      peer.close();
      await alice?.stop();
      await a.close();
      authority.close();
    }
  },
});

Deno.test({
  name:
    "federation(): a key the authoritative server rejects gets type='invalid' and <not-authorized/>",
  ...opts,
  async fn() {
    const a = await startFedServer("a.localhost", { requireTls: false });
    const authority = fakeAuthority("evil.localhost");
    a.routes["evil.localhost"] = `127.0.0.1:${authority.port}`;
    const peer = await RawPeer.connect(a.s2sPort);
    try {
      await opened(peer);
      await peer.send("<db:result from='evil.localhost' to='a.localhost'>bad</db:result>");
      await peer.waitFor(/<result [^>]*type="invalid"/, "dialback failure");
      await peer.waitFor(new RegExp(`<not-authorized ${STREAMS}/>`), "not-authorized");
      await withTimeout(peer.closed, "the stream to close");
    } finally {
      peer.close();
      await a.close();
      authority.close();
    }
  },
});

Deno.test({
  name: "federation(): dialback before the required STARTTLS gets <policy-violation/>",
  ...opts,
  async fn() {
    const a = await startFedServer("a.localhost");
    const peer = await RawPeer.connect(a.s2sPort);
    try {
      await opened(peer);
      // Only STARTTLS (required) is offered before TLS.
      const features = await peer.waitFor(/<stream:features>.*?<\/stream:features>/, "features");
      assert.match(
        features[0],
        /<starttls xmlns="urn:ietf:params:xml:ns:xmpp-tls"><required\/><\/starttls>/,
      );
      assert.doesNotMatch(features[0], /dialback/);
      await peer.send("<db:result from='evil.localhost' to='a.localhost'>k</db:result>");
      await peer.waitFor(new RegExp(`<policy-violation ${STREAMS}/>`), "policy-violation");
    } finally {
      peer.close();
      await a.close();
    }
  },
});

Deno.test({
  name: "federation(): a peer that never finishes TLS is disconnected in bounded time",
  ...opts,
  async fn() {
    const a = await startFedServer("a.localhost", {
      connectTimeoutMs: 500,
      handshakeTimeoutMs: 500,
    });
    const peer = await RawPeer.connect(a.s2sPort);
    try {
      await opened(peer);
      await peer.send("<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>");
      await peer.waitFor(/<proceed xmlns="urn:ietf:params:xml:ns:xmpp-tls"\/>/, "proceed");
      const started = Date.now();
      // No ClientHello ever comes.
      await withTimeout(peer.closed, "the server to drop the connection", 5000);
      assert.ok(Date.now() - started < 4000);
    } finally {
      peer.close();
      await a.close();
    }
  },
});

Deno.test({
  name: "federation(): a remote domain over its stream cap gets <policy-violation/>",
  ...opts,
  async fn() {
    const a = await startFedServer("a.localhost", { requireTls: false, maxStreamsPerDomain: 1 });
    const authority = fakeAuthority("evil.localhost");
    a.routes["evil.localhost"] = `127.0.0.1:${authority.port}`;
    const first = await RawPeer.connect(a.s2sPort);
    const second = await RawPeer.connect(a.s2sPort);
    try {
      await opened(first);
      await first.send("<db:result from='evil.localhost' to='a.localhost'>k1</db:result>");
      await first.waitFor(/<result [^>]*type="valid"/, "the first stream's dialback");
      await opened(second);
      await second.send("<db:result from='evil.localhost' to='a.localhost'>k2</db:result>");
      const refused = await second.waitFor(/<result [^>]*type="error".*?<\/result>/, "refusal");
      assert.match(refused[0], /<policy-violation xmlns="urn:ietf:params:xml:ns:xmpp-stanzas"\/>/);
      await second.waitFor(new RegExp(`<policy-violation ${STREAMS}/>`), "the stream error");
      await withTimeout(second.closed, "the second stream to close");
      assert.doesNotMatch(first.text, /stream:error/);
    } finally {
      first.close();
      second.close();
      await a.close();
      authority.close();
    }
  },
});

Deno.test({
  name: "federation(): a remote domain over its stanza rate is slowed down, nothing is lost",
  ...opts,
  async fn() {
    // A burst of 2, then one stanza per 100 ms.
    const a = await startFedServer("a.localhost", {
      requireTls: false,
      rate: { burst: 2, perMinute: 600 },
    });
    const authority = fakeAuthority("evil.localhost");
    a.routes["evil.localhost"] = `127.0.0.1:${authority.port}`;
    const peer = await RawPeer.connect(a.s2sPort);
    let alice: TestClient | undefined;
    try {
      alice = await connect(a.port, "alice", "alice-pw", { resource: "r", domain: "a.localhost" });
      await opened(peer);
      await peer.send("<db:result from='evil.localhost' to='a.localhost'>k</db:result>");
      await peer.waitFor(/<result [^>]*type="valid"/, "dialback success");
      const started = Date.now();
      let burst = "";
      for (let i = 0; i < 6; i++) {
        burst += `<message from='eve@evil.localhost' to='alice@a.localhost/r' id='f${i}'/>`;
      }
      await peer.send(burst);
      for (let i = 0; i < 6; i++) await alice.next((s) => s.attrs.id === `f${i}`, `f${i}`);
      // Four beyond the burst, 100 ms apart.
      assert.ok(Date.now() - started >= 350, `${Date.now() - started} ms`);
    } finally {
      peer.close();
      await alice?.stop();
      await a.close();
      authority.close();
    }
  },
});

Deno.test({
  name: "federation(): a stanza over the size limit gets <policy-violation/>",
  ...opts,
  async fn() {
    const a = await startFedServer("a.localhost", { requireTls: false });
    const peer = await RawPeer.connect(a.s2sPort);
    try {
      await opened(peer);
      // The default limit is 256 KiB.
      await peer.send(
        `<message from='e@evil.localhost' to='alice@a.localhost'><body>${
          "x".repeat(300_000)
        }</body></message>`,
      ).catch(() => {});
      await peer.waitFor(new RegExp(`<policy-violation ${STREAMS}/>`), "policy-violation");
      await withTimeout(peer.closed, "the stream to close");
    } finally {
      peer.close();
      await a.close();
    }
  },
});

Deno.test({
  name:
    "federation(): a peer that asks for a bidirectional stream (XEP-0288) gets our stanzas on it",
  ...opts,
  async fn() {
    const a = await startFedServer("a.localhost", { requireTls: false });
    const authority = fakeAuthority("evil.localhost");
    a.routes["evil.localhost"] = `127.0.0.1:${authority.port}`;
    const peer = await RawPeer.connect(a.s2sPort);
    let alice: TestClient | undefined;
    try {
      alice = await connect(a.port, "alice", "alice-pw", { resource: "r", domain: "a.localhost" });
      await opened(peer);
      await peer.waitFor(/<bidi xmlns="urn:xmpp:features:bidi"\/>/, "the bidi feature");
      await peer.send("<bidi xmlns='urn:xmpp:bidi'/>");
      await peer.send("<db:result from='evil.localhost' to='a.localhost'>k</db:result>");
      await peer.waitFor(/<result [^>]*type="valid"/, "dialback success");
      await alice.xmpp.send(
        xml(
          "message",
          { to: "eve@evil.localhost", type: "chat", id: "bd1" },
          xml("body", {}, "hi"),
        ),
      );
      const back = await peer.waitFor(
        /<message [^>]*id="bd1"[^>]*>.*?<\/message>/,
        "bd1 on the stream",
      );
      assert.match(back[0], /from="alice@a.localhost\/r"/);
      assert.match(back[0], /to="eve@evil.localhost"/);
      // Written in the stream's namespace (no jabber:client declaration).
      assert.doesNotMatch(back[0], /jabber:client/);
    } finally {
      peer.close();
      await alice?.stop();
      await a.close();
      authority.close();
    }
  },
});

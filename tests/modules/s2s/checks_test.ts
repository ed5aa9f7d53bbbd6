import assert from "node:assert/strict";
import {
  certificateCovers,
  dialbackError,
  inboundStanzaError,
  pairKey,
  undeliverableError,
} from "../../../src/modules/s2s/checks.ts";
import { dialbackKey, handshakeDigest, sameText } from "../../../src/modules/s2s/dialback.ts";
import { renamespace } from "../../../src/modules/s2s/xml_pipe.ts";
import { componentStanzaError } from "../../../src/modules/external_components.ts";
import { xml } from "../../../src/xml/element.ts";

const PAIRS = new Set([pairKey("b.example", "a.example")]);

Deno.test("inboundStanzaError() checks every stanza against the authenticated pairs", () => {
  const cases: [string, Record<string, string>, string, ReadonlySet<string>, string | undefined][] =
    [
      ["message", { from: "u@b.example/r", to: "v@a.example" }, "jabber:server", PAIRS, undefined],
      ["iq", { from: "b.example", to: "a.example" }, "jabber:server", PAIRS, undefined],
      // RFC 6120 §4.9.3.9: a domain the stream is not authenticated for.
      [
        "message",
        { from: "u@evil.example", to: "v@a.example" },
        "jabber:server",
        PAIRS,
        "invalid-from",
      ],
      // A hosted domain the pair does not name.
      [
        "message",
        { from: "u@b.example", to: "v@c.example" },
        "jabber:server",
        PAIRS,
        "host-unknown",
      ],
      // Before dialback, nothing passes (XEP-0220 §2.3).
      [
        "message",
        { from: "u@b.example", to: "v@a.example" },
        "jabber:server",
        new Set(),
        "not-authorized",
      ],
      [
        "message",
        { from: "u@b.example", to: "v@a.example" },
        "jabber:client",
        PAIRS,
        "invalid-namespace",
      ],
      ["message", { to: "v@a.example" }, "jabber:server", PAIRS, "improper-addressing"],
      [
        "foo",
        { from: "b.example", to: "a.example" },
        "jabber:server",
        PAIRS,
        "unsupported-stanza-type",
      ],
    ];
  for (const [name, attrs, xmlns, pairs, expected] of cases) {
    const error = inboundStanzaError(xml(name, { xmlns, ...attrs }), pairs);
    assert.equal(error?.condition, expected, `${name} ${JSON.stringify(attrs)} ${xmlns}`);
  }
});

Deno.test("undeliverableError() bounces messages and iq requests, drops presence and responses", () => {
  const cases: [string, string | undefined, string | undefined][] = [
    ["message", "chat", "remote-server-timeout"],
    ["message", undefined, "remote-server-timeout"],
    ["iq", "get", "remote-server-timeout"],
    ["iq", "result", undefined],
    ["presence", undefined, undefined],
    ["presence", "subscribe", undefined],
    ["message", "error", undefined],
  ];
  for (const [name, type, expected] of cases) {
    const error = undeliverableError(xml(name, { type }), "remote-server-timeout");
    assert.equal(error?.condition, expected, `${name} ${type}`);
  }
  const notFound = undeliverableError(xml("message", {}), "remote-server-not-found")!;
  assert.deepEqual([notFound.condition, notFound.type], ["remote-server-not-found", "cancel"]);
});

Deno.test("dialbackError() answers a request with type='error' and the stanza condition", () => {
  const request = xml("result", {
    xmlns: "jabber:server:dialback",
    from: "b.example",
    to: "c.example",
  }, "k");
  assert.deepEqual(
    dialbackError(request, "item-not-found"),
    xml(
      "result",
      { xmlns: "jabber:server:dialback", from: "c.example", to: "b.example", type: "error" },
      xml(
        "error",
        { type: "cancel" },
        xml("item-not-found", { xmlns: "urn:ietf:params:xml:ns:xmpp-stanzas" }),
      ),
    ),
  );
});

Deno.test("dialbackKey() follows XEP-0185 (as Prosody computes it)", async () => {
  const key = await dialbackKey("s3cr3tf0rd14lb4ck", "example.net", "example.com", "D60000229F");
  assert.equal(key, "008c689ff366b50c63d69a3e2d2c0e0e1f8404b0118eb688a0102c87cb691bdc");
  // Every input changes the key.
  assert.notEqual(await dialbackKey("other", "example.net", "example.com", "D60000229F"), key);
  assert.notEqual(
    await dialbackKey("s3cr3tf0rd14lb4ck", "example.com", "example.net", "D60000229F"),
    key,
  );
  assert.notEqual(await dialbackKey("s3cr3tf0rd14lb4ck", "example.net", "example.com", "D6"), key);
  assert.ok(sameText(key, key) && !sameText(key, key.slice(1)));
});

Deno.test("handshakeDigest() is the hex SHA-1 of the stream id and the secret (XEP-0114 §3)", async () => {
  assert.equal(
    await handshakeDigest("3BF96D32", "sesame"),
    "7a98dc4c9e92493d7fd66a25364c862637789c45",
  );
});

Deno.test("renamespace() maps jabber:server stanzas and their children to jabber:client", () => {
  const el = xml(
    "message",
    { xmlns: "jabber:server", to: "a@b" },
    xml("body", { xmlns: "jabber:server" }, "hi"),
    xml("x", { xmlns: "urn:other" }),
  );
  assert.deepEqual(
    renamespace(el, "jabber:server", "jabber:client"),
    xml(
      "message",
      { xmlns: "jabber:client", to: "a@b" },
      xml("body", { xmlns: "jabber:client" }, "hi"),
      xml("x", { xmlns: "urn:other" }),
    ),
  );
  const untouched = xml("message", { xmlns: "jabber:client" });
  assert.equal(renamespace(untouched, "jabber:server", "jabber:client"), untouched);
});

Deno.test("componentStanzaError() lets a component send from any JID of its domain only", () => {
  const ns = "jabber:component:accept";
  const cases: [Record<string, string>, string | undefined][] = [
    [{ from: "echo.localhost", to: "a@localhost" }, undefined],
    [{ from: "bot@echo.localhost/r", to: "a@localhost" }, undefined],
    [{ from: "a@localhost", to: "b@localhost" }, "invalid-from"],
    [{ from: "x@sub.echo.localhost", to: "b@localhost" }, "invalid-from"],
    [{ from: "bot@echo.localhost" }, "improper-addressing"],
  ];
  for (const [attrs, expected] of cases) {
    assert.equal(
      componentStanzaError(xml("message", { xmlns: ns, ...attrs }), "echo.localhost")?.condition,
      expected,
      JSON.stringify(attrs),
    );
  }
});

Deno.test("certificateCovers() matches names exactly or by a one-label wildcard (RFC 6125)", () => {
  const cases: [string, string[], boolean][] = [
    ["a.example", ["a.example"], true],
    ["a.example", ["A.Example."], true],
    ["a.example", ["*.example"], true],
    ["b.a.example", ["*.example"], false],
    ["example", ["*.example"], false],
    ["a.example", ["b.example", "c.example"], false],
    ["a.example", [], false],
  ];
  for (const [domain, names, expected] of cases) {
    assert.equal(certificateCovers(domain, names), expected, `${domain} ${names}`);
  }
});

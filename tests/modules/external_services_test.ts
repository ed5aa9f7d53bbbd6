// XEP-0215 external service discovery: the configured services, filtered by type; TURN
// credentials by the TURN REST API convention (checked against an HMAC computed here); the
// credentials request; errors.
import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import { child, elements, externalServices, NS, turnCredentials, xml } from "../../mod.ts";
import { testServer } from "../../src/testing/mod.ts";

const EXT = "urn:xmpp:extdisco:2";

const SERVICES = [
  { type: "stun", host: "stun.localhost", port: 3478, transport: "udp" as const },
  { type: "turn", host: "turn.localhost", port: 3478, transport: "udp" as const, secret: "k3y" },
];

Deno.test("externalServices(): lists services; TURN gets time-limited REST API credentials", async () => {
  const t = await testServer({ users: ["a@localhost"], externalServices: SERVICES });
  try {
    const a = await t.connect("a@localhost/r");
    const info = await a.iq(
      xml("iq", { type: "get", to: "localhost" }, xml("query", { xmlns: NS.DISCO_INFO })),
    );
    assert.ok(JSON.stringify(info).includes(EXT), "advertised");
    const before = Math.floor(Date.now() / 1000);
    const r = await a.iq(
      xml("iq", { type: "get", to: "localhost" }, xml("services", { xmlns: EXT })),
    );
    const list = elements(child(r, "services", EXT)!, "service", EXT);
    assert.deepEqual(list.map((s) => s.attrs.type), ["stun", "turn"]);
    assert.deepEqual(list[0].attrs, {
      type: "stun",
      host: "stun.localhost",
      port: "3478",
      transport: "udp",
    });
    const turn = list[1].attrs;
    const [expiry, user] = turn.username.split(":");
    assert.equal(user, "a@localhost");
    assert.ok(Number(expiry) >= before + 86_400 && Number(expiry) <= before + 86_401);
    const expected = createHmac("sha1", "k3y").update(turn.username).digest("base64");
    assert.equal(turn.password, expected);
    assert.equal(Date.parse(turn.expires) / 1000, Number(expiry));
    // By type.
    const onlyTurn = await a.iq(
      xml("iq", { type: "get", to: "localhost" }, xml("services", { xmlns: EXT, type: "turn" })),
    );
    const turns = elements(child(onlyTurn, "services", EXT)!, "service", EXT);
    assert.deepEqual(turns.map((s) => s.attrs.host), ["turn.localhost"]);
    // XEP-0215 §3.3: credentials for one service.
    const creds = await a.iq(xml(
      "iq",
      { type: "get", to: "localhost" },
      xml(
        "credentials",
        { xmlns: EXT },
        xml("service", { type: "turn", host: "turn.localhost" }),
      ),
    ));
    const one = child(child(creds, "credentials", EXT)!, "service", EXT)!;
    assert.equal(one.attrs.host, "turn.localhost");
    assert.match(one.attrs.username, /^\d+:a@localhost$/);
    const unknown = xml(
      "iq",
      { type: "get", to: "localhost" },
      xml("credentials", { xmlns: EXT }, xml("service", { type: "turn", host: "x.localhost" })),
    );
    await assert.rejects(a.iq(unknown), /item-not-found/);
    const empty = xml("iq", { type: "get", to: "localhost" }, xml("credentials", { xmlns: EXT }));
    await assert.rejects(a.iq(empty), /bad-request/);
  } finally {
    await t.close();
  }
});

Deno.test("turnCredentials() follows the TURN REST API; bad services are refused; none: not advertised", async () => {
  const c = await turnCredentials("secret", "u@example.org", new Date(1_700_000_000_000));
  assert.equal(c.username, "1700000000:u@example.org");
  assert.equal(c.password, createHmac("sha1", "secret").update(c.username).digest("base64"));
  assert.throws(() => externalServices([{ type: "", host: "h" }]), TypeError);
  assert.throws(() => externalServices([{ type: "stun", host: "h", port: 70000 }]), RangeError);
  assert.throws(
    () => externalServices([{ type: "stun", host: "h", transport: "sctp" as never }]),
    TypeError,
  );
  const t = await testServer({ users: ["a@localhost"] });
  try {
    const a = await t.connect("a@localhost/r");
    await assert.rejects(
      a.iq(xml("iq", { type: "get", to: "localhost" }, xml("services", { xmlns: EXT }))),
      /service-unavailable/,
    );
  } finally {
    await t.close();
  }
});

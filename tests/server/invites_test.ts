// #15 item 6: invitations (XEP-0401 / XEP-0445). One-time tokens in the document store, and a
// `<preauth/>` token that opens in-band registration while open registration is off.
import assert from "node:assert/strict";
import { child, type Element, elements, memoryStorage, text, xml } from "../../mod.ts";
import { InviteTokens } from "../../src/storage/invite_tokens.ts";
import { CLIENT_HEADER, memoryPair, testServer } from "../../src/testing/mod.ts";

const STANZAS = "urn:ietf:params:xml:ns:xmpp-stanzas";

Deno.test("invites: a token is valid until redeemed once or expired", async () => {
  let now = 1_000_000;
  const tokens = new InviteTokens(memoryStorage(), () => now);
  const invite = await tokens.create({ domain: "example.com", ttlMs: 60_000, createdBy: "cli" });
  assert.match(invite.token, /^[A-Za-z0-9_-]{24}$/);
  assert.equal(invite.uri, `xmpp:example.com?register;preauth=${invite.token}`);
  assert.equal(invite.expires.getTime(), now + 60_000);
  assert.equal(await tokens.valid(invite.token), true);
  assert.equal(await tokens.redeem(invite.token), true);
  assert.equal(await tokens.valid(invite.token), false, "used");
  assert.equal(await tokens.redeem(invite.token), false, "one time only");
  const old = await tokens.create({ domain: "example.com", ttlMs: 1000 });
  now += 1000;
  assert.equal(await tokens.valid(old.token), false, "expired");
  assert.equal(await tokens.redeem(old.token), false);
  assert.equal(await tokens.valid("not a token"), false);
  assert.equal(await tokens.valid("A".repeat(24)), false, "unknown");
  await assert.rejects(tokens.create({ domain: "example.com", ttlMs: 0 }), RangeError);
});

Deno.test("invites: parallel redemptions of one token succeed once", async () => {
  const tokens = new InviteTokens(memoryStorage());
  const { token } = await tokens.create({ domain: "localhost" });
  const results = await Promise.all([1, 2, 3].map(() => tokens.redeem(token)));
  assert.deepEqual(results.filter(Boolean).length, 1);
});

/** An unauthenticated stream to the server over memory. */
async function rawStream(t: Awaited<ReturnType<typeof testServer>>) {
  const { stream, peer } = memoryPair();
  t.server.handle(stream).catch(() => {});
  let seen = 0;
  const next = async (match: (el: Element) => boolean): Promise<Element> => {
    for (let i = 0; i < 400; i++) {
      const found = peer.elements.slice(seen).find(match);
      if (found) {
        seen = peer.elements.indexOf(found) + 1;
        return found;
      }
      await new Promise((r) => setTimeout(r, 5));
    }
    throw new Error("Timed out waiting for an element");
  };
  await peer.write(CLIENT_HEADER);
  const features = await next((el) => el.name === "features");
  let n = 0;
  const iq = async (payload: string): Promise<Element> => {
    const id = `i${++n}`;
    await peer.write(`<iq type='set' id='${id}'>${payload}</iq>`);
    return await next((el) => el.name === "iq" && el.attrs.id === id);
  };
  return { features, iq, close: () => peer.drop() };
}

const preauth = (token: string) => `<preauth xmlns='urn:xmpp:pars:0' token='${token}'/>`;
const register = (user: string, pw: string) =>
  `<query xmlns='jabber:iq:register'><username>${user}</username><password>${pw}</password></query>`;

function condition(reply: Element): string | undefined {
  const error = child(reply, "error");
  return error && elements(error).find((e) => e.xmlns === STANZAS)?.name;
}

Deno.test("invites: a preauth token opens registration once while open registration is off", async () => {
  const t = await testServer({ registration: { invites: true } });
  try {
    const tokens = new InviteTokens(t.server.storage);
    const { token } = await tokens.create({ domain: "localhost" });
    const s = await rawStream(t);
    // XEP-0077 §8 and XEP-0401: the features say registration and invitations are possible.
    const features = elements(s.features).map((f) => `${f.name} ${f.xmlns}`);
    assert.ok(features.includes("register http://jabber.org/features/iq-register"));
    assert.ok(features.includes("register urn:xmpp:invite"));
    assert.ok(features.includes("register urn:xmpp:ibr-token:0"));
    // Without a token: no registration (XEP-0077 §3.1).
    const refused = await s.iq(register("eve", "pw"));
    assert.equal(refused.attrs.type, "error");
    assert.equal(condition(refused), "service-unavailable");
    // A wrong token: <forbidden/>, nothing changes.
    const wrong = await s.iq(preauth("A".repeat(24)));
    assert.equal(wrong.attrs.type, "error");
    assert.equal(child(wrong, "error")?.attrs.type, "auth");
    assert.equal(condition(wrong), "forbidden");
    assert.equal(condition(await s.iq(register("eve", "pw"))), "service-unavailable");
    // The right token, then registration.
    assert.equal((await s.iq(preauth(token))).attrs.type, "result");
    assert.equal((await s.iq(register("newbie", "secret"))).attrs.type, "result");
    assert.deepEqual(await t.server.listUsers(), ["newbie@localhost"]);
    // One account per invitation, on this stream and on any other.
    assert.equal(condition(await s.iq(register("second", "pw"))), "service-unavailable");
    await s.close();
    const again = await rawStream(t);
    assert.equal(condition(await again.iq(preauth(token))), "forbidden");
    await again.close();
    // The new account logs in.
    const c = await t.connect("newbie@localhost/r", { password: "secret" });
    assert.equal(c.jid, "newbie@localhost/r");
  } finally {
    await t.close();
  }
});

Deno.test("invites: an expired token is forbidden; a taken username keeps the token", async () => {
  const t = await testServer({ users: ["taken@localhost"], registration: { invites: true } });
  try {
    const tokens = new InviteTokens(t.server.storage, () => Date.now() - 3600_000);
    const expired = await tokens.create({ domain: "localhost", ttlMs: 60_000 });
    const good = await new InviteTokens(t.server.storage).create({ domain: "localhost" });
    const s = await rawStream(t);
    assert.equal(condition(await s.iq(preauth(expired.token))), "forbidden");
    assert.equal((await s.iq(preauth(good.token))).attrs.type, "result");
    assert.equal(condition(await s.iq(register("taken", "pw"))), "conflict");
    assert.equal((await s.iq(register("other", "pw"))).attrs.type, "result");
    await s.close();
  } finally {
    await t.close();
  }
});

Deno.test("invites: off by default, a preauth is service-unavailable", async () => {
  const t = await testServer();
  try {
    const s = await rawStream(t);
    assert.ok(!elements(s.features).some((f) => f.xmlns === "urn:xmpp:invite"));
    const { token } = await new InviteTokens(t.server.storage).create({ domain: "localhost" });
    assert.equal(condition(await s.iq(preauth(token))), "service-unavailable");
    await s.close();
  } finally {
    await t.close();
  }
});

Deno.test("invites: the XEP-0401 create-account command gives admins a working invitation", async () => {
  const t = await testServer({
    users: ["admin@localhost", "bob@localhost"],
    admins: ["admin@localhost"],
    registration: { invites: true, inviteUrl: "https://chat.example/invite/" },
  });
  try {
    const command = xml("command", {
      xmlns: "http://jabber.org/protocol/commands",
      node: "urn:xmpp:invite#create-account",
      action: "execute",
    });
    const bob = await t.connect("bob@localhost/r");
    await assert.rejects(
      bob.iq(xml("iq", { type: "set", to: "localhost" }, command)),
      /forbidden/,
    );
    const admin = await t.connect("admin@localhost/r");
    const done = await admin.iq(xml("iq", { type: "set", to: "localhost" }, command));
    const cmd = child(done, "command", "http://jabber.org/protocol/commands")!;
    assert.equal(cmd.attrs.status, "completed");
    const form = child(cmd, "x", "jabber:x:data")!;
    assert.equal(form.attrs.type, "result");
    const value = (name: string) =>
      text(child(elements(form, "field").find((f) => f.attrs.var === name)!, "value"));
    const uri = value("uri");
    const match = /^xmpp:localhost\?register;preauth=([A-Za-z0-9_-]+)$/.exec(uri);
    assert.ok(match, uri);
    assert.equal(value("landing-url"), `https://chat.example/invite/${match[1]}`);
    assert.ok(Date.parse(value("expire")) > Date.now());
    const s = await rawStream(t);
    assert.equal((await s.iq(preauth(match[1]))).attrs.type, "result");
    assert.equal((await s.iq(register("carol", "pw"))).attrs.type, "result");
    await s.close();
  } finally {
    await t.close();
  }
});

Deno.test("invites: guessing tokens ends the stream after maxAuthFailures wrong ones", async () => {
  const t = await testServer({ registration: { invites: true }, limits: { maxAuthFailures: 2 } });
  try {
    const { stream, peer } = memoryPair();
    t.server.handle(stream).catch(() => {});
    await peer.write(CLIENT_HEADER);
    for (const id of ["g1", "g2"]) {
      await peer.write(`<iq type='set' id='${id}'>${preauth("B".repeat(24))}</iq>`);
    }
    await peer.closed;
    const out = peer.output();
    assert.equal(out.match(/<forbidden /g)?.length, 2, out);
    assert.match(out, /<policy-violation xmlns=["']urn:ietf:params:xml:ns:xmpp-streams["']/);
  } finally {
    await t.close();
  }
});

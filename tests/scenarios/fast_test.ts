// XEP-0484 FAST with xmpp.js 0.14 and its defaults: a password login asks for a token, the
// token alone logs in again, and a changed password or a removed account invalidates it.
import assert from "node:assert/strict";
import { client } from "@xmpp/client";
import { type LtxElement, startServer, withTimeout } from "./_harness.ts";

const SASL2 = "urn:xmpp:sasl:2";
const FAST = "urn:xmpp:fast:0";

interface Token {
  mechanism: string;
  token: string;
  expiry: string;
}

// deno-lint-ignore no-explicit-any
type Client = any;

/** An xmpp.js client whose FAST token lives in `store` (its fetchToken/saveToken hooks). */
function fastClient(
  port: number,
  password: string | undefined,
  store: { token?: Token | null },
): { xmpp: Client; received: LtxElement[]; sent: LtxElement[] } {
  const xmpp = client({
    service: `xmpp://127.0.0.1:${port}`,
    domain: "localhost",
    username: "alice",
    password,
  });
  xmpp.reconnect.stop();
  xmpp.fast.fetchToken = () => Promise.resolve(store.token ?? undefined);
  xmpp.fast.saveToken = (t: Token) => {
    store.token = t;
    return Promise.resolve();
  };
  xmpp.fast.deleteToken = () => {
    store.token = null;
    return Promise.resolve();
  };
  const received: LtxElement[] = [];
  const sent: LtxElement[] = [];
  xmpp.on("error", () => {});
  xmpp.on("element", (el: LtxElement) => received.push(el));
  xmpp.on("send", (el: LtxElement) => sent.push(el));
  return { xmpp, received, sent };
}

async function stop(xmpp: Client): Promise<void> {
  try {
    await withTimeout(xmpp.stop(), "the client to stop", 5000);
  } catch { /* offline */ }
}

function authenticates(sent: LtxElement[]): LtxElement[] {
  return sent.filter((el) => el.is("authenticate", SASL2));
}

Deno.test("FAST: xmpp.js gets a token at password login and logs in again with the token alone", async () => {
  const t = await startServer();
  const store: { token?: Token | null } = {};
  try {
    // 1. Password login: the client asks for a token (XEP-0484 §3.2) and receives it.
    const first = fastClient(t.port, "alice-pw", store);
    await withTimeout(first.xmpp.start(), "the password login");
    const features = first.received.find((el) => el.getChild("authentication", SASL2));
    const fast = features?.getChild("authentication", SASL2)?.getChild("inline", SASL2)
      ?.getChild("fast", FAST);
    assert.ok(fast, "<fast/> offered inside SASL2 <inline/>");
    // The harness's TLS knows its tls-server-end-point data: -ENDP is offered too.
    assert.deepEqual(fast.getChildren("mechanism", FAST).map((m) => m.text()), [
      "HT-SHA-256-ENDP",
      "HT-SHA-256-NONE",
    ]);
    const [request] = authenticates(first.sent);
    assert.equal(request.attrs.mechanism, "SCRAM-SHA-1");
    assert.equal(request.getChild("request-token", FAST)?.attrs.mechanism, "HT-SHA-256-NONE");
    const success = first.received.find((el) => el.is("success", SASL2));
    const token = success?.getChild("token", FAST);
    assert.ok(token?.attrs.token && token.attrs.token.length >= 65, "<token/> in <success/>");
    assert.ok(Date.parse(token.attrs.expiry) > Date.now() + 13 * 24 * 3600_000);
    assert.equal(store.token?.token, token.attrs.token);
    assert.equal(store.token?.mechanism, "HT-SHA-256-NONE");
    await stop(first.xmpp);
    // Only a hash is stored.
    const doc = await t.server.storage.documents.get(FAST, "alice@localhost");
    assert.ok(doc);
    assert.ok(!JSON.stringify(doc.value).includes(token.attrs.token), "token stored hashed");

    // 2. Token login, no password at all.
    const second = fastClient(t.port, undefined, store);
    await withTimeout(second.xmpp.start(), "the token login");
    const [withToken] = authenticates(second.sent);
    assert.equal(withToken.attrs.mechanism, "HT-SHA-256-NONE");
    assert.ok(withToken.getChild("fast", FAST));
    const ok = second.received.find((el) => el.is("success", SASL2));
    assert.ok(ok?.getChild("additional-data", SASL2), "the server's HT proof");
    assert.match(second.xmpp.jid.toString(), /^alice@localhost\//);
    await stop(second.xmpp);
  } finally {
    await t.close();
  }
});

Deno.test("FAST: a changed password invalidates the token; so does removing the account", async () => {
  const t = await startServer();
  const store: { token?: Token | null } = {};
  try {
    const first = fastClient(t.port, "alice-pw", store);
    await withTimeout(first.xmpp.start(), "the password login");
    await stop(first.xmpp);
    const saved = store.token;
    assert.ok(saved);

    assert.ok(await t.server.setPassword("alice@localhost", "new-pw"));
    const second = fastClient(t.port, undefined, store);
    await assert.rejects(withTimeout(second.xmpp.start(), "the token login to fail"));
    await stop(second.xmpp);
    const failure = second.received.find((el) => el.is("failure", SASL2));
    assert.ok(failure?.getChild("not-authorized", "urn:ietf:params:xml:ns:xmpp-sasl"));
    assert.equal(authenticates(second.sent)[0].attrs.mechanism, "HT-SHA-256-NONE");
    // xmpp.js drops a token the server refused (XEP-0484 §4).
    assert.equal(store.token, null);

    // A fresh token with the new password, then the account goes: the token goes with it.
    const third = fastClient(t.port, "new-pw", store);
    await withTimeout(third.xmpp.start(), "the new password login");
    await stop(third.xmpp);
    assert.ok(store.token);
    assert.ok(await t.server.removeUser("alice@localhost"));
    assert.equal(await t.server.storage.documents.get(FAST, "alice@localhost"), undefined);
    assert.ok(await t.server.addUser("alice@localhost", "new-pw"));
    const fourth = fastClient(t.port, undefined, store);
    await assert.rejects(withTimeout(fourth.xmpp.start(), "the token login to fail"));
    await stop(fourth.xmpp);
    assert.ok(fourth.received.find((el) => el.is("failure", SASL2)));
  } finally {
    await t.close();
  }
});

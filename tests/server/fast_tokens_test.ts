import assert from "node:assert/strict";
import { fastTokens } from "../../src/server/fast_tokens.ts";
import { hashedTokenAuthenticate, hashedTokenHmac } from "../../src/sasl/hashed_token.ts";
import type { SaslContext } from "../../src/sasl/context.ts";
import { SaslError } from "../../src/sasl/sasl_error.ts";
import { deriveCredentials } from "../../src/sasl/credentials.ts";
import { memoryStorage } from "../../src/storage/memory.ts";
import type { BareJid } from "../../src/jid/jid.ts";
import { NS } from "../../src/xml/ns.ts";

const ALICE = "alice@localhost" as BareJid;
const NONE = "HT-SHA-256-NONE";
const ENDP = "HT-SHA-256-ENDP";
const CB = new TextEncoder().encode("certificate digest, 32 bytes....");

/** What xmpp.js's HT-SHA-256-NONE client sends: HMAC keyed with the token itself. */
async function initiator(user: string, token: string, cbData = new Uint8Array(0)) {
  const key = await crypto.subtle.importKey(
    "raw",
    new TextEncoder().encode(token),
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["sign"],
  );
  const mac = new Uint8Array(
    await crypto.subtle.sign(
      "HMAC",
      key,
      new Uint8Array([...new TextEncoder().encode("Initiator"), ...cbData]),
    ),
  );
  return new Uint8Array([...new TextEncoder().encode(user), 0, ...mac]);
}

async function setup(now = { t: 1_000_000 }) {
  const storage = memoryStorage();
  await storage.accounts.create(ALICE, await deriveCredentials("pw"));
  const tokens = fastTokens(storage, { lifetimeMs: 60_000, now: () => now.t });
  const ctx = (cb?: Uint8Array): SaslContext => ({
    domain: "localhost",
    getCredentials: (jid) => storage.accounts.getCredentials(jid),
    randomBytes: (n) => new Uint8Array(n),
    channelBindings: cb ? { "tls-server-end-point": cb } : {},
    tokens: (jid, mechanism) => tokens.tokens(jid, mechanism),
  });
  return { storage, tokens, ctx, now };
}

async function refused(p: Promise<unknown>, condition: string) {
  const e = await p.then(() => undefined, (e) => e);
  assert.ok(e instanceof SaslError, `expected a SaslError, got ${e}`);
  assert.equal(e.condition, condition);
}

Deno.test("hashedTokenAuthenticate() accepts the token xmpp.js proves and answers with the responder HMAC", async () => {
  const { tokens, ctx } = await setup();
  const issued = await tokens.issue(ALICE, NONE, "ua-1");
  const result = await hashedTokenAuthenticate(NONE, await initiator("alice", issued.token), ctx());
  assert.equal(result.kind, "success");
  assert.equal(result.jid, ALICE);
  const [candidate] = await tokens.tokens(ALICE, NONE);
  assert.equal(result.tokenId, candidate.id);
  const responder = await hashedTokenHmac(candidate.keyHash, "Responder", new Uint8Array(0));
  assert.deepEqual(result.data, responder);
  // The same HMAC keyed with the token itself (RFC 2104 §2: a long key is hashed first).
  const key = await crypto.subtle.importKey(
    "raw",
    new TextEncoder().encode(issued.token),
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["sign"],
  );
  const direct = new Uint8Array(
    await crypto.subtle.sign("HMAC", key, new TextEncoder().encode("Responder")),
  );
  assert.deepEqual(result.data, direct);
});

Deno.test("hashedTokenAuthenticate() binds HT-SHA-256-ENDP to the certificate and the token to its mechanism", async () => {
  const { tokens, ctx } = await setup();
  const endp = await tokens.issue(ALICE, ENDP, "ua-1");
  const ok = await hashedTokenAuthenticate(ENDP, await initiator("alice", endp.token, CB), ctx(CB));
  assert.equal(ok.kind, "success");
  // Another certificate (a middlebox): not-authorized.
  const other = new TextEncoder().encode("another certificate digest......");
  await refused(
    hashedTokenAuthenticate(ENDP, await initiator("alice", endp.token, other), ctx(CB)),
    "not-authorized",
  );
  // XEP-0484 §3.3: a token issued for -ENDP is no -NONE token.
  await refused(
    hashedTokenAuthenticate(NONE, await initiator("alice", endp.token), ctx()),
    "not-authorized",
  );
  await refused(
    hashedTokenAuthenticate(NONE, new Uint8Array([97, 0, 1, 2]), ctx()),
    "malformed-request",
  );
});

Deno.test("fastTokens() expires tokens, rotates per client, revokes, and forgets a removed account", async () => {
  const { tokens, ctx, now, storage } = await setup();
  const a = await tokens.issue(ALICE, NONE, "ua-1");
  const other = await tokens.issue(ALICE, NONE, "ua-2");
  const login = async (token: string) => {
    const r = await hashedTokenAuthenticate(NONE, await initiator("alice", token), ctx());
    assert.equal(r.kind, "success");
    return r as { kind: "success"; tokenId?: string };
  };
  const aId = (await login(a.token)).tokenId!;
  // Rotation: a new token for ua-1 while a stays valid until b is used.
  const b = await tokens.issue(ALICE, NONE, "ua-1", aId);
  assert.equal((await login(a.token)).kind, "success");
  const bId = (await login(b.token)).tokenId!;
  await tokens.used(ALICE, bId);
  await refused(login(a.token), "not-authorized");
  assert.equal((await login(other.token)).kind, "success");
  // A fresh token for the same client without rotation replaces the old one at once.
  const c = await tokens.issue(ALICE, NONE, "ua-1");
  await refused(login(b.token), "not-authorized");
  // Revocation (<fast invalidate='true'/>).
  await tokens.revoke(ALICE, (await login(c.token)).tokenId!);
  await refused(login(c.token), "not-authorized");
  // Expiry.
  now.t += 60_001;
  await refused(login(other.token), "not-authorized");
  // A changed password invalidates what was issued before.
  now.t = 1_000_000;
  const d = await tokens.issue(ALICE, NONE, "ua-3");
  assert.equal((await login(d.token)).kind, "success");
  await storage.accounts.setCredentials(ALICE, await deriveCredentials("new"));
  await refused(login(d.token), "not-authorized");
  await tokens.forget(ALICE);
  assert.equal(await storage.documents.get(NS.FAST, ALICE), undefined);
});

import assert from "node:assert/strict";
import { oauthBearerAuthenticate, parseOauthBearer } from "../../src/sasl/oauthbearer.ts";
import { plainAuthenticate } from "../../src/sasl/plain.ts";
import type { SaslContext } from "../../src/sasl/context.ts";
import { SaslError } from "../../src/sasl/sasl_error.ts";
import type { BareJid } from "../../src/jid/jid.ts";

const enc = (s: string) => new TextEncoder().encode(s);

function ctx(extra: Partial<SaslContext> = {}): SaslContext {
  return {
    domain: "localhost",
    getCredentials: () => Promise.resolve(undefined),
    randomBytes: (n) => new Uint8Array(n),
    verifyToken: (t) => Promise.resolve(t === "good" ? "dave@localhost" as BareJid : undefined),
    ...extra,
  };
}

async function condition(p: Promise<unknown>): Promise<string> {
  const e = await p.then(() => undefined, (e) => e);
  assert.ok(e instanceof SaslError, String(e));
  return e.condition;
}

Deno.test("parseOauthBearer() reads the GS2 header and the auth pair of RFC 7628 §3.1", () => {
  const cases: [string, { authzid?: string; token: string }][] = [
    ["n,,\x01auth=Bearer abc\x01\x01", { token: "abc" }],
    ["n,a=dave@localhost,\x01host=localhost\x01port=5222\x01auth=Bearer x.y.z\x01\x01", {
      authzid: "dave@localhost",
      token: "x.y.z",
    }],
    ["y,,\x01auth=bearer abc\x01\x01", { token: "abc" }],
    ["n,a=a=2Cb=3Dc@localhost,\x01auth=Bearer t\x01\x01", {
      authzid: "a,b=c@localhost",
      token: "t",
    }],
  ];
  for (const [message, expected] of cases) {
    assert.deepEqual(parseOauthBearer(enc(message)), expected);
  }
});

Deno.test("parseOauthBearer() refuses malformed messages with <malformed-request/>", () => {
  for (
    const bad of [
      "",
      "n,,\x01auth=Bearer abc\x01", // one kvsep short
      "p=tls-unique,,\x01auth=Bearer abc\x01\x01", // no channel binding in OAUTHBEARER
      "n,,\x01host=localhost\x01\x01", // no auth
      "n,,\x01auth=Basic abc\x01\x01",
      "n,,\x01auth=Bearer \x01\x01",
      "n,,\x01noequals\x01\x01",
    ]
  ) {
    assert.throws(() => parseOauthBearer(enc(bad)), (e) => e instanceof SaslError, bad);
  }
});

Deno.test("oauthBearerAuthenticate() maps the verifier's answer to success or the SASL condition", async () => {
  const ok = await oauthBearerAuthenticate(enc("n,,\x01auth=Bearer good\x01\x01"), ctx());
  assert.deepEqual(ok, { kind: "success", jid: "dave@localhost" });
  assert.equal(
    await condition(oauthBearerAuthenticate(enc("n,,\x01auth=Bearer bad\x01\x01"), ctx())),
    "not-authorized",
  );
  assert.equal(
    await condition(
      oauthBearerAuthenticate(enc("n,a=erin@localhost,\x01auth=Bearer good\x01\x01"), ctx()),
    ),
    "invalid-authzid",
  );
  const failing = ctx({ verifyToken: () => Promise.reject(new Error("JWKS down")) });
  assert.equal(
    await condition(oauthBearerAuthenticate(enc("n,,\x01auth=Bearer good\x01\x01"), failing)),
    "temporary-auth-failure",
  );
  // Without a verifier, no token is accepted.
  assert.equal(
    await condition(
      oauthBearerAuthenticate(
        enc("n,,\x01auth=Bearer good\x01\x01"),
        ctx({ verifyToken: undefined }),
      ),
    ),
    "not-authorized",
  );
});

Deno.test("plainAuthenticate() asks verifyPassword for a user without stored credentials", async () => {
  const check = ctx({
    verifyPassword: (jid, pw) => Promise.resolve(jid === "dave@localhost" && pw === "app-pw"),
  });
  assert.deepEqual(
    await plainAuthenticate(enc("\0dave\0app-pw"), check),
    { kind: "success", jid: "dave@localhost" },
  );
  assert.equal(await condition(plainAuthenticate(enc("\0dave\0nope"), check)), "not-authorized");
  assert.equal(await condition(plainAuthenticate(enc("\0dave\0app-pw"), ctx())), "not-authorized");
});

import assert from "node:assert/strict";
import { SignJWT } from "jose";

const es256 = () =>
  crypto.subtle.generateKey({ name: "ECDSA", namedCurve: "P-256" }, true, [
    "sign",
    "verify",
  ]) as Promise<CryptoKeyPair>;
import { jwtVerifier } from "../../../adapters/jwt/mod.ts";

Deno.test("jwtVerifier() checks an ES256 signature, issuer, audience, expiry and maps the claim", async () => {
  const { privateKey, publicKey } = await es256();
  const other = await es256();
  const verify = jwtVerifier({
    key: publicKey,
    issuer: "https://app.example",
    audience: "xmpp",
    claim: "xmpp",
    clockToleranceSeconds: 0,
  });
  const sign = (
    claims: Record<string, unknown>,
    o: { key?: CryptoKey; aud?: string; iss?: string; exp?: number } = {},
  ) =>
    new SignJWT(claims).setProtectedHeader({ alg: "ES256" }).setIssuer(
      o.iss ?? "https://app.example",
    )
      .setAudience(o.aud ?? "xmpp").setExpirationTime(o.exp ?? Math.floor(Date.now() / 1000) + 60)
      .sign((o.key ?? privateKey) as never);
  assert.equal(await verify(await sign({ xmpp: "dave" }), "localhost"), "dave@localhost");
  assert.equal(await verify(await sign({ xmpp: "Dave@LocalHost" }), "localhost"), "dave@localhost");
  assert.equal(
    await verify(await sign({ xmpp: "dave" }, { key: other.privateKey }), "localhost"),
    undefined,
  );
  assert.equal(await verify(await sign({ xmpp: "dave" }, { aud: "web" }), "localhost"), undefined);
  assert.equal(await verify(await sign({ xmpp: "dave" }, { iss: "evil" }), "localhost"), undefined);
  assert.equal(
    await verify(
      await sign({ xmpp: "dave" }, { exp: Math.floor(Date.now() / 1000) - 5 }),
      "localhost",
    ),
    undefined,
  );
  assert.equal(await verify(await sign({ sub: "dave" }), "localhost"), undefined, "claim missing");
  assert.equal(await verify(await sign({ xmpp: "dave@localhost/phone" }), "localhost"), undefined);
  // A token without exp is refused.
  const noExp = await new SignJWT({ xmpp: "dave" }).setProtectedHeader({ alg: "ES256" })
    .setIssuer("https://app.example").setAudience("xmpp").sign(privateKey as never);
  assert.equal(await verify(noExp, "localhost"), undefined);
});

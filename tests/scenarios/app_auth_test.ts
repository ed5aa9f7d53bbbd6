// App-owned identity (#15): the host application's users log in with a JWT through SASL
// OAUTHBEARER (RFC 7628), over SASL2 with xmpp.js 0.14, and exist for delivery before they
// ever logged in.
import assert from "node:assert/strict";
import { client, xml } from "@xmpp/client";
import { SignJWT } from "jose";
import type { AuthProvider, BareJid } from "../../mod.ts";
import { jwtVerifier } from "../../adapters/jwt/mod.ts";
import { connect, type LtxElement, startServer, withTimeout } from "./_harness.ts";

const SASL2 = "urn:xmpp:sasl:2";
const SASL = "urn:ietf:params:xml:ns:xmpp-sasl";
const KEY = new TextEncoder().encode("the app's HS256 secret, 32+ bytes");
const OTHER_KEY = new TextEncoder().encode("somebody else's secret, 32 bytes");

/** The application's users: dave and erin live in its own table, not in Parley's. */
const APP_USERS = new Set(["dave@localhost", "erin@localhost"]);

function provider(): AuthProvider {
  return {
    exists: (jid) => Promise.resolve(APP_USERS.has(jid)),
    verifyToken: jwtVerifier({ key: KEY, issuer: "https://app.example", audience: "xmpp" }),
    list: () => Promise.resolve([...APP_USERS].sort() as BareJid[]),
  };
}

function jwt(
  sub: string,
  options: { key?: Uint8Array; audience?: string; expires?: string | number } = {},
): Promise<string> {
  return new SignJWT({})
    .setProtectedHeader({ alg: "HS256" })
    .setSubject(sub)
    .setIssuer("https://app.example")
    .setAudience(options.audience ?? "xmpp")
    .setIssuedAt()
    .setExpirationTime(options.expires ?? "5m")
    .sign(options.key ?? KEY);
}

/** OAUTHBEARER for xmpp.js's SASL factory (RFC 7628 §3.1). */
function OAuthBearer() {}
OAuthBearer.prototype.name = "OAUTHBEARER";
OAuthBearer.prototype.clientFirst = true;
OAuthBearer.prototype.response = function (cred: { password: string }) {
  return `n,,\x01auth=Bearer ${cred.password}\x01\x01`;
};

// deno-lint-ignore no-explicit-any
type Client = any;

/** xmpp.js with its defaults, choosing OAUTHBEARER with a token instead of a password. */
function tokenClient(port: number, username: string, token: string) {
  const xmpp: Client = client({
    service: `xmpp://127.0.0.1:${port}`,
    domain: "localhost",
    credentials: (
      authenticate: (c: unknown, m: string, ua?: unknown) => Promise<void>,
      mechanisms: string[],
    ) => {
      assert.ok(mechanisms.includes("OAUTHBEARER"), `offered: ${mechanisms}`);
      return authenticate({ username, password: token }, "OAUTHBEARER");
    },
  });
  xmpp.saslFactory.use(OAuthBearer);
  xmpp.reconnect.stop();
  const received: LtxElement[] = [];
  const sent: LtxElement[] = [];
  xmpp.on("error", () => {});
  xmpp.on("element", (el: LtxElement) => received.push(el));
  xmpp.on("send", (el: LtxElement) => sent.push(el));
  return { xmpp, received, sent };
}

async function stop(xmpp: Client) {
  try {
    await withTimeout(xmpp.stop(), "the client to stop", 5000);
  } catch { /* offline */ }
}

Deno.test("app auth: an app user logs in with a JWT through OAUTHBEARER over SASL2", async () => {
  const t = await startServer({ auth: provider() });
  const dave = tokenClient(t.port, "dave", await jwt("dave"));
  try {
    await withTimeout(dave.xmpp.start(), "dave to log in with his JWT");
    const request = dave.sent.find((el) => el.is("authenticate", SASL2));
    assert.equal(request?.attrs.mechanism, "OAUTHBEARER");
    const success = dave.received.find((el) => el.is("success", SASL2));
    assert.match(
      success?.getChildText("authorization-identifier", SASL2) ?? "",
      /^dave@localhost\//,
    );
    assert.match(dave.xmpp.jid.toString(), /^dave@localhost\//);
    // Parley stored no account for him; the provider lists him.
    assert.equal(await t.server.storage.accounts.exists("dave@localhost" as BareJid), false);
    assert.deepEqual(await t.server.listUsers(), [
      "alice@localhost",
      "bob@localhost",
      "carol@localhost",
      "dave@localhost",
      "erin@localhost",
    ]);
  } finally {
    await stop(dave.xmpp);
    await t.close();
  }
});

Deno.test("app auth: expired, wrongly signed, foreign-audience and unknown-user JWTs get <not-authorized/>", async () => {
  const t = await startServer({ auth: provider() });
  try {
    const cases: [string, string][] = [
      ["expired", await jwt("dave", { expires: Math.floor(Date.now() / 1000) - 3600 })],
      ["wrongly signed", await jwt("dave", { key: OTHER_KEY })],
      ["for another audience", await jwt("dave", { audience: "another-service" })],
      ["for a user the app does not have", await jwt("mallory")],
      ["for another domain", await jwt("dave@elsewhere.example")],
      ["not a JWT", "not-a-jwt"],
    ];
    for (const [what, token] of cases) {
      const c = tokenClient(t.port, "dave", token);
      await assert.rejects(withTimeout(c.xmpp.start(), `the ${what} token to fail`), what);
      await stop(c.xmpp);
      const failure = c.received.find((el) => el.is("failure", SASL2));
      assert.ok(failure?.getChild("not-authorized", SASL), `${what}: <not-authorized/>`);
    }
  } finally {
    await t.close();
  }
});

Deno.test("app auth: a message to an app user who never logged in waits offline for the first login", async () => {
  const t = await startServer({ auth: provider() });
  const alice = await connect(t.port, "alice", "alice-pw", { resource: "desk" });
  let erin: ReturnType<typeof tokenClient> | undefined;
  try {
    await alice.xmpp.send(
      xml("message", { to: "erin@localhost", type: "chat", id: "m1" }, xml("body", {}, "hi")),
    );
    // A user neither the store nor the app knows: <service-unavailable/> (RFC 6121 §8.5.1
    // allows either; Parley answers), while erin's message is kept.
    await alice.xmpp.send(
      xml("message", { to: "mallory@localhost", type: "chat", id: "m2" }, xml("body", {}, "?")),
    );
    const bounce = await alice.next((s) => s.attrs.id === "m2", "the bounce for mallory");
    assert.equal(bounce.attrs.type, "error");
    assert.ok(
      bounce.getChild("error")?.getChild(
        "service-unavailable",
        "urn:ietf:params:xml:ns:xmpp-stanzas",
      ),
    );
    assert.equal(await t.server.storage.offline.count("erin@localhost" as BareJid), 1);

    erin = tokenClient(t.port, "erin", await jwt("erin"));
    const got = new Promise<LtxElement>((resolve) =>
      erin!.xmpp.on("stanza", (s: LtxElement) => {
        if (s.is("message") && s.attrs.id === "m1") resolve(s);
      })
    );
    await withTimeout(erin.xmpp.start(), "erin's first login");
    await erin.xmpp.send(xml("presence"));
    const message = await withTimeout(got, "the offline message");
    assert.equal(message.getChildText("body"), "hi");
    assert.equal(message.getChild("delay", "urn:xmpp:delay")?.attrs.from, "localhost");
  } finally {
    if (erin) await stop(erin.xmpp);
    await alice.stop();
    await t.close();
  }
});

/** Raw RFC 7395 frames over a WebSocket whose upgrade carries `headers`. */
async function wsSession(
  url: string,
  headers: Record<string, string>,
  frames: ((received: string[]) => string | undefined)[],
): Promise<string[]> {
  // Deno's WebSocket takes request headers (browsers would send the app's cookie instead).
  const ws = new WebSocket(url, { protocols: ["xmpp"], headers } as unknown as string[]);
  const received: string[] = [];
  const waiting: (() => void)[] = [];
  ws.onmessage = (e) => {
    received.push(String(e.data));
    waiting.splice(0).forEach((w) => w());
  };
  const closed = new Promise<void>((r) => ws.onclose = () => r());
  await new Promise<void>((resolve, reject) => {
    ws.onopen = () => resolve();
    ws.onerror = () => reject(new Error("WebSocket failed"));
  });
  for (const frame of frames) {
    const count = received.length;
    const text = frame(received);
    if (text === undefined) break;
    ws.send(text);
    // One answer at least, then a moment for the rest of it.
    await withTimeout(
      new Promise<void>((r) => received.length > count ? r() : waiting.push(r)),
      `an answer to ${text.slice(0, 40)}`,
    );
    await new Promise((r) => setTimeout(r, 50));
  }
  ws.close();
  await closed;
  return received;
}

Deno.test("app auth: a JWT in the WebSocket upgrade logs the socket in with SASL EXTERNAL", async () => {
  const { startWeb } = await import("../adapters/hono_websocket/_web.ts");
  const verify = jwtVerifier({ key: KEY, issuer: "https://app.example", audience: "xmpp" });
  const web = await startWeb({
    websocket: {
      // What an app's middleware would do with its Authorization header or session cookie.
      authenticate: async (c) => {
        const token = c.req.header("authorization")?.replace(/^Bearer /, "");
        return token ? await verify(token, "localhost") : undefined;
      },
    },
  }, { auth: provider() });
  const url = `ws://${web.base}/xmpp-websocket`;
  const open = `<open xmlns="urn:ietf:params:xml:ns:xmpp-framing" to="localhost" version="1.0"/>`;
  try {
    const got = await wsSession(url, { authorization: `Bearer ${await jwt("dave")}` }, [
      () => open,
      () => `<auth xmlns="${SASL}" mechanism="EXTERNAL">=</auth>`,
      () => open,
      () =>
        `<iq xmlns="jabber:client" type="set" id="b1"><bind xmlns="urn:ietf:params:xml:ns:xmpp-bind"/></iq>`,
    ]);
    const features = got.find((m) => m.includes("<mechanisms"))!;
    assert.match(features, /<mechanism>EXTERNAL<\/mechanism>/);
    assert.ok(got.some((m) => m.startsWith("<success") && m.includes(SASL)), got.join("\n"));
    assert.ok(got.some((m) => /<jid>dave@localhost\/[^<]+<\/jid>/.test(m)), got.join("\n"));

    // No token, or a bad one: no EXTERNAL, and asking for it anyway is <invalid-mechanism/>.
    const bad = await jwt("dave", { key: OTHER_KEY });
    const attempts: Record<string, string>[] = [{}, { authorization: `Bearer ${bad}` }];
    for (const headers of attempts) {
      const refused = await wsSession(url, headers, [
        () => open,
        () => `<auth xmlns="${SASL}" mechanism="EXTERNAL">=</auth>`,
      ]);
      assert.ok(!refused.some((m) => m.includes("<mechanism>EXTERNAL<")));
      const failure = refused.find((m) => m.startsWith("<failure"));
      assert.match(failure ?? "", /<invalid-mechanism\/>/, refused.join("\n"));
    }
  } finally {
    await web.close();
  }
});

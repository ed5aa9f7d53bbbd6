// XEP-0077 in-band registration: raw pre-auth registration, rate limit, login with the new
// account, password change and account removal with real clients; off by default.
import assert from "node:assert/strict";
import { xml } from "@xmpp/client";
import { connect, header, startServer, type TestClient, withTimeout } from "./_harness.ts";
import { condition, iq } from "./_iq.ts";
import { InviteTokens } from "../../mod.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };
const REGISTER = "jabber:iq:register";
const FEATURE = /<register xmlns=["']http:\/\/jabber\.org\/features\/iq-register["']\/>/;

/** A raw, unauthenticated connection that reads until a pattern shows up. */
async function rawClient(port: number) {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  const decoder = new TextDecoder();
  let buffer = "";
  const buf = new Uint8Array(65536);
  return {
    async send(s: string) {
      await conn.write(new TextEncoder().encode(s));
    },
    /** Reads until `pattern` matches the unread input; returns the match and drops input up to it. */
    async until(pattern: RegExp, what: string): Promise<string> {
      return await withTimeout(
        (async () => {
          while (true) {
            const m = pattern.exec(buffer);
            if (m) {
              buffer = buffer.slice(m.index + m[0].length);
              return m[0];
            }
            const n = await conn.read(buf);
            if (n === null) throw new Error(`Connection closed before ${what}: ${buffer}`);
            buffer += decoder.decode(buf.subarray(0, n));
          }
        })(),
        what,
      );
    },
    close() {
      try {
        conn.close();
      } catch { /* closed */ }
    },
  };
}

const reply = (id: string) => new RegExp(`<iq[^>]*id=["']${id}["'][^>]*(/>|>[\\s\\S]*?</iq>)`);
const registration = (id: string, username: string, password: string) =>
  `<iq type='set' id='${id}'><query xmlns='${REGISTER}'><username>${username}</username>` +
  `<password>${password}</password></query></iq>`;

Deno.test({
  name: "registration: register before auth, conflict, bad username, rate limit, then log in",
  ...opts,
  async fn() {
    const t = await startServer({ requireTls: false, registration: { enabled: true } });
    const raw = await rawClient(t.port);
    const clients: TestClient[] = [];
    try {
      await raw.send(header());
      const features = await raw.until(/<stream:features>[\s\S]*?<\/stream:features>/, "features");
      assert.match(features, FEATURE);

      await raw.send(`<iq type='get' id='g1'><query xmlns='${REGISTER}'/></iq>`);
      const form = await raw.until(reply("g1"), "the registration form");
      assert.match(form, /type=["']result["']/);
      assert.match(form, /<username\/>/);
      assert.match(form, /<password\/>/);

      // XEP-0077 §3.1: a taken username is a conflict; a bad one is not acceptable.
      await raw.send(registration("s1", "alice", "x"));
      assert.match(await raw.until(reply("s1"), "conflict"), /<conflict xmlns/);
      await raw.send(registration("s2", "a@b", "x"));
      assert.match(await raw.until(reply("s2"), "bad username"), /<not-acceptable xmlns/);
      await raw.send(
        `<iq type='set' id='s3'><query xmlns='${REGISTER}'><username>zed</username></query></iq>`,
      );
      assert.match(await raw.until(reply("s3"), "no password"), /<not-acceptable xmlns/);

      await raw.send(registration("s4", "Dave", "dave-pw"));
      const ok = await raw.until(reply("s4"), "the registration result");
      assert.match(ok, /type=["']result["']/);
      assert.ok(await t.server.storage.accounts.exists("dave@localhost" as never));

      // A second registration from the same address within the interval is refused.
      await raw.send(registration("s5", "erin", "erin-pw"));
      const limited = await raw.until(reply("s5"), "the rate limit");
      assert.match(limited, /<resource-constraint xmlns/);
      assert.match(limited, /type=["']wait["']/);
      assert.equal(await t.server.storage.accounts.exists("erin@localhost" as never), false);

      // The new account logs in with a real client.
      const dave = await connect(t.port, "dave", "dave-pw");
      clients.push(dave);
      assert.equal(dave.xmpp.jid?.bare().toString(), "dave@localhost");
      const details = await iq(dave, "get", xml("query", { xmlns: REGISTER }), "localhost");
      assert.ok(details.getChild("query", REGISTER)!.getChild("registered"));
      assert.equal(details.getChild("query", REGISTER)!.getChildText("username"), "dave");
    } finally {
      raw.close();
      for (const c of clients) await c.stop();
      await t.close();
    }
  },
});

Deno.test({
  name: "registration: off by default; password change and account removal still work",
  ...opts,
  async fn() {
    const t = await startServer({ requireTls: false });
    const raw = await rawClient(t.port);
    const clients: TestClient[] = [];
    try {
      await raw.send(header());
      const features = await raw.until(/<stream:features>[\s\S]*?<\/stream:features>/, "features");
      assert.doesNotMatch(features, FEATURE);
      await raw.send(registration("r1", "mallory", "x"));
      assert.match(await raw.until(reply("r1"), "the refusal"), /<service-unavailable xmlns/);
      assert.equal(await t.server.storage.accounts.exists("mallory@localhost" as never), false);
      raw.close();

      // XEP-0077 §3.3: Carol changes her password, then logs in with the new one only.
      const carol = await connect(t.port, "carol", "carol-pw");
      clients.push(carol);
      const changed = await iq(
        carol,
        "set",
        xml(
          "query",
          { xmlns: REGISTER },
          xml("username", {}, "carol"),
          xml("password", {}, "new-carol-pw"),
        ),
        "localhost",
      );
      assert.equal(changed.attrs.type, "result");
      const other = await iq(
        carol,
        "set",
        xml("query", { xmlns: REGISTER }, xml("username", {}, "bob"), xml("password", {}, "x")),
        "localhost",
      );
      assert.equal(condition(other), "not-allowed");
      await assert.rejects(connect(t.port, "carol", "carol-pw"));
      const again = await connect(t.port, "carol", "new-carol-pw", { resource: "second" });
      clients.push(again);

      // XEP-0077 §3.2: Bob removes his account; his session ends and he cannot log in again.
      const bob = await connect(t.port, "bob", "bob-pw");
      clients.push(bob);
      const closed = new Promise<void>((resolve) => bob.xmpp.on("disconnect", () => resolve()));
      const removed = await iq(
        bob,
        "set",
        xml("query", { xmlns: REGISTER }, xml("remove", {})),
        "localhost",
      );
      assert.equal(removed.attrs.type, "result");
      await withTimeout(closed, "Bob's session to end");
      assert.ok(
        bob.errors.some((e) => (e as { condition?: string }).condition === "not-authorized"),
      );
      assert.equal(await t.server.storage.accounts.exists("bob@localhost" as never), false);
      await assert.rejects(connect(t.port, "bob", "bob-pw"));
    } finally {
      raw.close();
      for (const c of clients) await c.stop();
      await t.close();
    }
  },
});

Deno.test({
  name: "registration: an invitation token (XEP-0445 preauth) registers one account over TCP",
  ...opts,
  async fn() {
    const t = await startServer({ requireTls: false, registration: { invites: true } });
    const { token } = await new InviteTokens(t.server.storage).create({ domain: "localhost" });
    const raw = await rawClient(t.port);
    const clients: TestClient[] = [];
    try {
      await raw.send(header());
      const features = await raw.until(/<stream:features>[\s\S]*?<\/stream:features>/, "features");
      assert.match(features, FEATURE);
      assert.match(features, /<register xmlns=["']urn:xmpp:invite["']\/>/);
      // Open registration is off: without the token, no account.
      await raw.send(registration("r0", "frank", "frank-pw"));
      assert.match(await raw.until(reply("r0"), "refusal"), /<service-unavailable xmlns/);
      await raw.send(`<iq type='set' id='p0'><preauth xmlns='urn:xmpp:pars:0' token='nope'/></iq>`);
      const bad = await raw.until(reply("p0"), "the refused token");
      assert.match(bad, /type=["']error["']/);
      assert.match(bad, /<forbidden xmlns=["']urn:ietf:params:xml:ns:xmpp-stanzas["']/);
      await raw.send(
        `<iq type='set' id='p1'><preauth xmlns='urn:xmpp:pars:0' token='${token}'/></iq>`,
      );
      assert.match(await raw.until(reply("p1"), "the accepted token"), /type=["']result["']/);
      await raw.send(registration("r1", "frank", "frank-pw"));
      assert.match(await raw.until(reply("r1"), "the registration"), /type=["']result["']/);
      // The new account logs in with a real client; the token is used up.
      const frank = await connect(t.port, "frank", "frank-pw");
      clients.push(frank);
      assert.equal(frank.xmpp.jid?.bare().toString(), "frank@localhost");
      await raw.send(
        `<iq type='set' id='p2'><preauth xmlns='urn:xmpp:pars:0' token='${token}'/></iq>`,
      );
      assert.match(await raw.until(reply("p2"), "the used token"), /<forbidden xmlns/);
    } finally {
      raw.close();
      for (const c of clients) await c.stop();
      await t.close();
    }
  },
});

// XEP-0388 SASL2 + XEP-0386 Bind 2 (+ XEP-0198 inline, XEP-0280 inline) with xmpp.js 0.14 and
// its defaults, over STARTTLS and WebSocket.
import assert from "node:assert/strict";
import { client, xml } from "@xmpp/client";
import { type LtxElement, startServer, withTimeout } from "./_harness.ts";
import { startWeb } from "../adapters/hono_websocket/_web.ts";
import { type FullJid, xml as px, type XmppModule } from "../../mod.ts";

const SASL2 = "urn:xmpp:sasl:2";
const BIND2 = "urn:xmpp:bind:0";
const SM = "urn:xmpp:sm:3";
const CARBONS = "urn:xmpp:carbons:2";

// deno-lint-ignore no-explicit-any
type Client = any;

interface Traced {
  xmpp: Client;
  /** Every top-level element the server sent, in order. */
  received: LtxElement[];
  /** Every top-level element the client sent, in order. */
  sent: LtxElement[];
  stop(): Promise<void>;
}

/** An xmpp.js client with its defaults, recording both directions. */
async function login(
  service: string,
  username: string,
  password: string | undefined,
  options: { resource?: string; setup?: (xmpp: Client) => void } = {},
): Promise<Traced> {
  const xmpp = client({
    service,
    domain: "localhost",
    username,
    password,
    resource: options.resource,
  });
  xmpp.reconnect.stop();
  options.setup?.(xmpp);
  const received: LtxElement[] = [];
  const sent: LtxElement[] = [];
  xmpp.on("error", () => {});
  xmpp.on("element", (el: LtxElement) => received.push(el));
  xmpp.on("send", (el: LtxElement) => sent.push(el));
  await withTimeout(xmpp.start(), `${username} to come online`);
  return {
    xmpp,
    received,
    sent,
    async stop() {
      try {
        await withTimeout(xmpp.stop(), `${username} to stop`, 5000);
      } catch { /* offline */ }
    },
  };
}

function found(list: LtxElement[], name: string, ns: string): LtxElement | undefined {
  return list.find((el) => el.name === name && el.attrs.xmlns === ns);
}

async function assertModernLogin(t: Traced, server: { router: Client }): Promise<void> {
  const features = t.received.filter((el) => el.name === "stream:features" || el.is("features"));
  const auth = features.map((f) => f.getChild("authentication", SASL2)).find((a) => a);
  assert.ok(auth, "SASL2 <authentication/> offered");
  assert.ok(auth.getChildren("mechanism", SASL2).some((m) => m.text() === "SCRAM-SHA-1"));
  const offer = auth.getChild("inline", SASL2)?.getChild("bind", BIND2);
  const vars = offer?.getChild("inline", BIND2)?.getChildren("feature", BIND2)
    .map((f) => f.attrs.var) ?? [];
  assert.ok(vars.includes(SM) && vars.includes(CARBONS), `Bind 2 inline features: ${vars}`);
  // The client chose SASL2 with Bind 2, not RFC 6120 SASL and binding.
  const request = found(t.sent, "authenticate", SASL2);
  assert.ok(request, "the client sent <authenticate/>");
  assert.ok(request.getChild("user-agent", SASL2)?.attrs.id);
  assert.ok(request.getChild("bind", BIND2));
  assert.equal(found(t.sent, "auth", "urn:ietf:params:xml:ns:xmpp-sasl"), undefined);
  const success = found(t.received, "success", SASL2);
  assert.ok(success, "SASL2 <success/>");
  const jid = success.getChildText("authorization-identifier", SASL2);
  assert.match(jid ?? "", /^alice@localhost\/.+/);
  assert.equal(t.xmpp.jid.toString(), jid);
  const bound = success.getChild("bound", BIND2);
  assert.ok(bound, "<bound/> in <success/>");
  const enabled = bound.getChild("enabled", SM);
  assert.ok(enabled?.attrs.id, "stream management enabled inline, resumable");
  assert.equal(enabled.attrs.resume, "true");
  assert.ok(t.xmpp.streamManagement.enabled);
  // The session is routable under that JID.
  assert.ok(await server.router.session(jid as FullJid));
}

Deno.test("SASL2 and Bind 2: xmpp.js 0.14 logs in over STARTTLS, SM enabled inline", async () => {
  const t = await startServer({ bind2ResourceSuffix: true });
  const alice = await login(`xmpp://127.0.0.1:${t.port}`, "alice", "alice-pw", {
    resource: "laptop",
  });
  try {
    await assertModernLogin(alice, t.server);
    // XEP-0386 §3: the server builds the resource from the client's tag.
    assert.match(alice.xmpp.jid.resource, /^laptop\..+/);
    // A stanza works on the bound session: an iq round trip.
    const pong = await alice.xmpp.iqCaller.request(
      xml("iq", { type: "get", to: "localhost" }, xml("ping", { xmlns: "urn:xmpp:ping" })),
    );
    assert.equal(pong.attrs.type, "result");
  } finally {
    await alice.stop();
    await t.close();
  }
});

Deno.test("SASL2 and Bind 2: xmpp.js 0.14 logs in over WebSocket; carbons enabled inline", async () => {
  const web = await startWeb();
  const alice = await login(`ws://${web.base}/xmpp-websocket`, "alice", "alice-pw");
  const bob = await login(`ws://${web.base}/xmpp-websocket`, "bob", "bob-pw");
  // xmpp.js has no carbons plugin: this one asks for carbons inline through its Bind 2 seam.
  const alice2 = await login(`xmpp://127.0.0.1:${web.port}`, "alice", "alice-pw", {
    setup: (xmpp) => xmpp.bind2.use(CARBONS, () => xml("enable", { xmlns: CARBONS })),
  });
  try {
    await assertModernLogin(alice, web.server);
    // XEP-0280 inline: alice's second session gets a carbon of what bob sends to the first.
    const carbon = new Promise<LtxElement>((resolve) =>
      alice2.xmpp.on("stanza", (s: LtxElement) => {
        if (s.is("message") && s.getChild("received", CARBONS)) resolve(s);
      })
    );
    await bob.xmpp.send(
      xml("message", { to: alice.xmpp.jid.toString(), type: "chat" }, xml("body", {}, "hi")),
    );
    const copy = await withTimeout(carbon, "a carbon copy");
    assert.equal(copy.attrs.to, alice2.xmpp.jid.toString());
  } finally {
    await Promise.all([alice.stop(), bob.stop(), alice2.stop()]);
    await web.close();
  }
});

Deno.test("SASL2: wrong password gets a SASL2 <failure/> with <not-authorized/>", async () => {
  const t = await startServer();
  const xmpp = client({
    service: `xmpp://127.0.0.1:${t.port}`,
    domain: "localhost",
    username: "alice",
    password: "wrong",
  });
  xmpp.reconnect.stop();
  const received: LtxElement[] = [];
  xmpp.on("element", (el: LtxElement) => received.push(el));
  xmpp.on("error", () => {});
  try {
    await assert.rejects(withTimeout(xmpp.start(), "the login to fail"));
    const failure = found(received, "failure", SASL2);
    assert.ok(failure, "SASL2 <failure/>");
    assert.ok(failure.getChild("not-authorized", "urn:ietf:params:xml:ns:xmpp-sasl"));
  } finally {
    try {
      await xmpp.stop();
    } catch { /* offline */ }
    await t.close();
  }
});

Deno.test("Bind 2: storage failing while the session is made gets <temporary-auth-failure/>", async () => {
  // A session/bound handler that fails as a storage read would during an outage.
  let fail = true;
  const flaky: XmppModule = {
    name: "flaky-storage",
    setup(api) {
      api.hook("session/bound", () => {
        if (fail) throw new Error("connection terminated");
      });
    },
  };
  const t = await startServer({ modules: [flaky] });
  const xmpp = client({
    service: `xmpp://127.0.0.1:${t.port}`,
    domain: "localhost",
    username: "alice",
    password: "alice-pw",
  });
  xmpp.reconnect.stop();
  const received: LtxElement[] = [];
  xmpp.on("element", (el: LtxElement) => received.push(el));
  xmpp.on("error", () => {});
  try {
    const error = await withTimeout(xmpp.start(), "the login to fail").then(
      () => undefined,
      (e: { condition?: string }) => e,
    );
    // RFC 6120 §6.5.12 through XEP-0388: a temporary failure the client retries later.
    assert.equal(error?.condition, "temporary-auth-failure");
    const failure = found(received, "failure", SASL2);
    assert.ok(failure?.getChild("temporary-auth-failure", "urn:ietf:params:xml:ns:xmpp-sasl"));
    assert.equal(found(received, "success", SASL2), undefined);
    // Once storage is back, the same account logs in.
    fail = false;
    const again = await login(`xmpp://127.0.0.1:${t.port}`, "alice", "alice-pw");
    await again.stop();
  } finally {
    try {
      await xmpp.stop();
    } catch { /* offline */ }
    await t.close();
  }
});

Deno.test("Bind 2: a client starts inactive (XEP-0352 <inactive/> inline)", async () => {
  const CSI = "urn:xmpp:csi:0";
  const t = await startServer();
  const alice = await login(`xmpp://127.0.0.1:${t.port}`, "alice", "alice-pw", {
    resource: "phone",
    setup: (xmpp) => xmpp.bind2.use(CSI, () => xml("inactive", { xmlns: CSI })),
  });
  try {
    const bind = found(alice.sent, "authenticate", SASL2)?.getChild("bind", BIND2);
    assert.ok(bind?.getChild("inactive", CSI), "the client asked inline");
    const ref = await t.server.router.session(alice.xmpp.jid.toString() as FullJid);
    assert.ok(ref);
    assert.equal(t.server.router.local(ref)?.data.get(CSI), "inactive");
  } finally {
    await alice.stop();
    await t.close();
  }
});

Deno.test("Bind 2: a module's inline feature answers in <bound/>; what it sends waits for <success/>", async () => {
  const TEST = "urn:example:inline";
  const t = await startServer({
    modules: [{
      name: "inline-example",
      setup(api) {
        // The seam: a third-party module offers a Bind 2 inline feature.
        api.bind2Feature(TEST, async (session, request) => {
          await session.send(
            px(
              "message",
              { xmlns: "jabber:client", from: api.domain, to: session.jid },
              px("body", null, "early"),
            ),
          );
          return px("done", { xmlns: TEST, got: request.name });
        });
      },
    }],
  });
  const alice = await login(`xmpp://127.0.0.1:${t.port}`, "alice", "alice-pw", {
    setup: (xmpp) => xmpp.bind2.use(TEST, () => xml("go", { xmlns: TEST })),
  });
  try {
    const features = alice.received.find((el) => el.getChild("authentication", SASL2));
    const vars = features!.getChild("authentication", SASL2)!.getChild("inline", SASL2)!
      .getChild("bind", BIND2)!.getChild("inline", BIND2)!.getChildren("feature", BIND2)
      .map((f) => f.attrs.var);
    assert.ok(vars.includes(TEST));
    const success = alice.received.findIndex((el) => el.is("success", SASL2));
    const bound = alice.received[success].getChild("bound", BIND2);
    assert.equal(bound?.getChild("done", TEST)?.attrs.got, "go");
    const early = await withTimeout(
      (async () => {
        while (!alice.received.some((el) => el.is("message"))) {
          await new Promise((r) => setTimeout(r, 10));
        }
        return alice.received.findIndex((el) => el.is("message"));
      })(),
      "the module's message",
    );
    assert.ok(early > success, "the message came after <success/>");
    // Unloading the module withdraws the inline feature.
    await t.server.unload("inline-example");
    const again = await login(`xmpp://127.0.0.1:${t.port}`, "alice", "alice-pw", {
      resource: "second",
    });
    const offer = again.received.find((el) => el.getChild("authentication", SASL2))!;
    assert.ok(!offer.toString().includes(TEST));
    await again.stop();
  } finally {
    await alice.stop();
    await t.close();
  }
});

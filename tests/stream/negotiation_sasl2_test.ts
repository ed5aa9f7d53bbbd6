import { deepEqual, equal, ok } from "node:assert/strict";
import type { BareJid, FullJid } from "../../src/jid/jid.ts";
import { deriveCredentials } from "../../src/sasl/credentials.ts";
import type { TransportInfo } from "../../src/base/transport.ts";
import {
  initialState,
  negotiate,
  type NegotiationConfig,
  type NegotiationEnv,
  type NegotiationState,
  type NegotiationStep,
} from "../../src/stream/negotiation.ts";
import type { FastTokenAuthority } from "../../src/stream/negotiation_types.ts";
import { child, type Element, text, xml } from "../../src/xml/element.ts";
import { NS } from "../../src/xml/ns.ts";

const TLS: TransportInfo = { kind: "tls", secure: true };
const TCP: TransportInfo = { kind: "tcp", secure: false };
const credentials = await deriveCredentials("secret");
const CONFIG: NegotiationConfig = {
  domains: ["localhost"],
  requireTls: false,
  canStartTls: false,
  maxAuthFailures: 3,
  sasl2: { inline: [xml("sm", { xmlns: NS.SM })], bind2: [NS.SM, NS.CARBONS] },
};
const ENV: NegotiationEnv = {
  getCredentials: (jid) => Promise.resolve(jid === "alice@localhost" ? credentials : undefined),
  bind: (jid: BareJid, r?: string) => Promise.resolve(`${jid}/${r ?? "gen"}` as FullJid),
  randomBytes: (n) => new Uint8Array(n),
  randomId: () => "id1",
};
const HEADER = {
  name: "stream",
  xmlns: NS.STREAM,
  contentNs: NS.CLIENT,
  attrs: { to: "localhost", version: "1.0" },
};

async function opened(info: TransportInfo, config = CONFIG): Promise<[NegotiationState, Element]> {
  const r = await negotiate(initialState(config, info), { kind: "open", header: HEADER }, ENV);
  const features = r.outputs[1];
  if (features.kind !== "element") throw new Error("no features");
  return [r.state, features.element];
}

function elements(step: NegotiationStep): Element[] {
  return step.outputs.flatMap((o) => o.kind === "element" ? [o.element] : []);
}

const plain = (user: string, pw: string) => btoa(`\0${user}\0${pw}`);

function authenticate(mechanism: string, initial?: string, ...extra: Element[]): Element {
  return xml(
    "authenticate",
    { xmlns: NS.SASL2, mechanism },
    initial === undefined ? undefined : xml("initial-response", null, initial),
    xml("user-agent", { id: "d4565fa7-4d72-4749-b3d3-740edbf87770" }),
    ...extra,
  );
}

Deno.test("negotiate() offers SASL2 with Bind 2 and the modules' inline features next to RFC 6120 SASL", async () => {
  const [, features] = await opened(TLS);
  const auth = child(features, "authentication", NS.SASL2);
  ok(auth);
  deepEqual(
    auth.children.flatMap((c) => typeof c !== "string" && c.name === "mechanism" ? [text(c)] : []),
    ["SCRAM-SHA-256", "SCRAM-SHA-1", "PLAIN"],
  );
  const inline = child(auth, "inline", NS.SASL2);
  ok(inline);
  deepEqual(
    inline,
    xml(
      "inline",
      { xmlns: NS.SASL2 },
      xml(
        "bind",
        { xmlns: NS.BIND2 },
        xml(
          "inline",
          null,
          xml("feature", { var: NS.SM }),
          xml("feature", { var: NS.CARBONS }),
        ),
      ),
      xml("sm", { xmlns: NS.SM }),
    ),
  );
  ok(child(features, "mechanisms", NS.SASL), "RFC 6120 SASL still offered");
  // Without the configuration, no SASL2.
  const [, legacy] = await opened(TLS, { ...CONFIG, sasl2: undefined });
  equal(child(legacy, "authentication", NS.SASL2), undefined);
});

Deno.test("negotiate() SASL2 success without inline requests: authorization identifier, no restart, features", async () => {
  const [state] = await opened(TLS);
  const r = await negotiate(state, {
    kind: "element",
    element: authenticate("PLAIN", plain("alice", "secret")),
  }, ENV);
  const [success, features] = elements(r);
  deepEqual(
    success,
    xml(
      "success",
      { xmlns: NS.SASL2 },
      xml("authorization-identifier", null, "alice@localhost"),
    ),
  );
  equal(features.name, "features");
  ok(child(features, "bind", NS.BIND));
  deepEqual(r.effects, [{ kind: "authenticated", jid: "alice@localhost", mechanism: "PLAIN" }]);
  // XEP-0388: no stream restart; the same stream goes on.
  equal(r.state.phase, "negotiating");
  equal(r.state.streamId, state.streamId);
  equal(r.state.jid, "alice@localhost");
});

Deno.test("negotiate() SASL2 with a Bind 2 request hands the inline requests to the shell", async () => {
  const [state] = await opened(TLS);
  const bind = xml("bind", { xmlns: NS.BIND2 }, xml("tag", null, "phone"));
  const request = authenticate("PLAIN", plain("alice", "secret"), bind);
  const r = await negotiate(state, { kind: "element", element: request }, ENV);
  equal(r.outputs.length, 0);
  deepEqual(r.effects, [
    { kind: "authenticated", jid: "alice@localhost", mechanism: "PLAIN" },
    {
      kind: "sasl2-inline",
      jid: "alice@localhost",
      success: xml("success", { xmlns: NS.SASL2 }),
      request,
    },
  ]);
});

Deno.test("negotiate() SASL2 failures are XEP-0388 <failure/> with the RFC 6120 condition", async () => {
  const [state] = await opened(TLS);
  const cases: [Element, string][] = [
    [authenticate("PLAIN", plain("alice", "wrong")), "not-authorized"],
    [authenticate("DIGEST-MD5", "="), "invalid-mechanism"],
    // FAST mechanisms are accepted only when the server has FAST tokens.
    [authenticate("HT-SHA-256-NONE", btoa("alice\0x")), "invalid-mechanism"],
    [authenticate("PLAIN", "!!!"), "incorrect-encoding"],
    [xml("abort", { xmlns: NS.SASL2 }), "aborted"],
    [xml("response", { xmlns: NS.SASL2 }, "="), "malformed-request"],
  ];
  for (const [element, condition] of cases) {
    const r = await negotiate(state, { kind: "element", element }, ENV);
    const [failure] = elements(r);
    equal(failure.name, "failure", condition);
    equal(failure.xmlns, NS.SASL2);
    const first = failure.children[0];
    ok(typeof first !== "string" && first.name === condition && first.xmlns === NS.SASL);
    equal(r.state.jid, undefined);
  }
  // PLAIN is not offered on an unprotected stream, in SASL2 either.
  const [clear] = await opened(TCP);
  const r = await negotiate(clear, {
    kind: "element",
    element: authenticate("PLAIN", plain("alice", "secret")),
  }, ENV);
  const [failure] = elements(r);
  ok(child(failure, "encryption-required", NS.SASL));
});

Deno.test("negotiate() SASL2 challenge and response carry SCRAM in the SASL2 namespace", async () => {
  const [state] = await opened(TLS);
  const first = await negotiate(state, {
    kind: "element",
    element: authenticate("SCRAM-SHA-1", btoa("n,,n=alice,r=cnonce")),
  }, ENV);
  const [challenge] = elements(first);
  equal(challenge.name, "challenge");
  equal(challenge.xmlns, NS.SASL2);
  ok(atob(text(challenge)).startsWith("r=cnonce"));
  ok(first.state.sasl2, "the <authenticate/> is kept for its inline requests");
});

/** What an XEP-0474 client computes from the features it saw. */
async function ssdp(mechanisms: string[], cbTypes: string[]): Promise<string> {
  const text = cbTypes.length > 0
    ? `${[...mechanisms].sort().join("\x1e")}\x1f${[...cbTypes].sort().join("\x1e")}`
    : [...mechanisms].sort().join("\x1e");
  const hash = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  return btoa(String.fromCharCode(...new Uint8Array(hash)));
}

Deno.test("negotiate() XEP-0474: SCRAM's h= matches the advertised lists, and not a list a middlebox stripped", async () => {
  const cb = new TextEncoder().encode("certificate digest, 32 bytes....");
  const tls: TransportInfo = { kind: "tls", secure: true, tlsServerEndPoint: cb };
  const [state, features] = await opened(tls, { ...CONFIG, downgradeProtection: true });
  const mechanisms = child(features, "mechanisms", NS.SASL)!.children.flatMap((c) =>
    typeof c === "string" ? [] : [text(c)]
  );
  const cbTypes = child(features, "sasl-channel-binding", NS.SASL_CB)!.children.flatMap((c) =>
    typeof c === "string" ? [] : [c.attrs.type]
  );
  deepEqual(mechanisms, [
    "SCRAM-SHA-256-PLUS",
    "SCRAM-SHA-1-PLUS",
    "SCRAM-SHA-256",
    "SCRAM-SHA-1",
    "PLAIN",
  ]);
  deepEqual(cbTypes, ["tls-server-end-point"]);
  for (
    const element of [
      xml("auth", { xmlns: NS.SASL, mechanism: "SCRAM-SHA-256" }, btoa("n,,n=alice,r=cnonce")),
      authenticate("SCRAM-SHA-256", btoa("n,,n=alice,r=cnonce")),
    ]
  ) {
    const r = await negotiate(state, { kind: "element", element }, ENV);
    const serverFirst = atob(text(elements(r)[0]));
    const h = /,h=([^,]+)$/.exec(serverFirst)?.[1];
    ok(h, serverFirst);
    equal(h, await ssdp(mechanisms, cbTypes));
    // A middlebox that removed the -PLUS mechanisms and the channel binding list: the client's
    // hash of what it saw differs from the server's, and it aborts.
    const stripped = mechanisms.filter((m) => !m.endsWith("-PLUS"));
    ok(h !== await ssdp(stripped, []));
    ok(h !== await ssdp(mechanisms, []));
  }
  // Off: no h= at all.
  const [plainState] = await opened(tls);
  const r = await negotiate(plainState, {
    kind: "element",
    element: authenticate("SCRAM-SHA-256", btoa("n,,n=alice,r=cnonce")),
  }, ENV);
  ok(!atob(text(elements(r)[0])).includes(",h="));
});

/** A FAST authority that records what negotiation asked of it. */
function fakeFast(keyHash: Uint8Array) {
  const calls: string[] = [];
  const fast: FastTokenAuthority = {
    tokens: (jid, mechanism) => {
      calls.push(`tokens ${jid} ${mechanism}`);
      return Promise.resolve([{ id: "t1", keyHash }]);
    },
    issue: (jid, mechanism, agent, replacing) => {
      calls.push(`issue ${jid} ${mechanism} ${agent} ${replacing}`);
      return Promise.resolve({ token: "x".repeat(96), expiry: new Date(Date.UTC(2030, 0, 1)) });
    },
    used: (jid, id) => {
      calls.push(`used ${jid} ${id}`);
      return Promise.resolve();
    },
    revoke: (jid, id) => {
      calls.push(`revoke ${jid} ${id}`);
      return Promise.resolve();
    },
  };
  return { fast, calls };
}

async function htMessage(user: string, token: string): Promise<string> {
  const key = await crypto.subtle.importKey(
    "raw",
    new TextEncoder().encode(token),
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["sign"],
  );
  const mac = new Uint8Array(
    await crypto.subtle.sign("HMAC", key, new TextEncoder().encode("Initiator")),
  );
  return btoa(String.fromCharCode(...new TextEncoder().encode(user), 0, ...mac));
}

Deno.test("negotiate() FAST: <request-token/> gets a <token/>; a token login rotates; invalidate revokes", async () => {
  const token = "t".repeat(96);
  const keyHash = new Uint8Array(
    await crypto.subtle.digest("SHA-256", new TextEncoder().encode(token)),
  );
  const { fast, calls } = fakeFast(keyHash);
  const env: NegotiationEnv = { ...ENV, fast };
  const r0 = await negotiate(initialState(CONFIG, TLS), { kind: "open", header: HEADER }, env);
  const features = elements(r0)[0];
  deepEqual(
    child(child(features, "authentication", NS.SASL2)!, "inline", NS.SASL2)!.children.at(-1),
    xml("fast", { xmlns: NS.FAST }, xml("mechanism", null, "HT-SHA-256-NONE")),
  );
  const state = r0.state;

  // Password login asking for a token.
  const request = xml("request-token", { xmlns: NS.FAST, mechanism: "HT-SHA-256-NONE" });
  const r1 = await negotiate(state, {
    kind: "element",
    element: authenticate("PLAIN", plain("alice", "secret"), request),
  }, env);
  deepEqual(
    child(elements(r1)[0], "token", NS.FAST),
    xml("token", { xmlns: NS.FAST, expiry: "2030-01-01T00:00:00.000Z", token: "x".repeat(96) }),
  );
  deepEqual(calls.splice(0), [
    "issue alice@localhost HT-SHA-256-NONE d4565fa7-4d72-4749-b3d3-740edbf87770 undefined",
  ]);

  // Token login with a new token requested: the old one is used, the new one replaces it.
  const r2 = await negotiate(state, {
    kind: "element",
    element: authenticate(
      "HT-SHA-256-NONE",
      await htMessage("alice", token),
      xml("fast", { xmlns: NS.FAST }),
      request,
    ),
  }, env);
  const success = elements(r2)[0];
  equal(success.name, "success");
  ok(child(success, "additional-data", NS.SASL2));
  ok(child(success, "token", NS.FAST));
  deepEqual(calls.splice(0), [
    "tokens alice@localhost HT-SHA-256-NONE",
    "used alice@localhost t1",
    "issue alice@localhost HT-SHA-256-NONE d4565fa7-4d72-4749-b3d3-740edbf87770 t1",
  ]);

  // XEP-0484 logout: invalidate the token used, no new one.
  const r3 = await negotiate(state, {
    kind: "element",
    element: authenticate(
      "HT-SHA-256-NONE",
      await htMessage("alice", token),
      xml("fast", { xmlns: NS.FAST, invalidate: "true" }),
    ),
  }, env);
  equal(elements(r3)[0].name, "success");
  equal(child(elements(r3)[0], "token", NS.FAST), undefined);
  deepEqual(calls.splice(0), [
    "tokens alice@localhost HT-SHA-256-NONE",
    "revoke alice@localhost t1",
  ]);

  // A wrong token: SASL2 <not-authorized/>.
  const r4 = await negotiate(state, {
    kind: "element",
    element: authenticate("HT-SHA-256-NONE", await htMessage("alice", "y".repeat(96))),
  }, env);
  ok(child(elements(r4)[0], "not-authorized", NS.SASL));
  // No FAST on an unprotected stream.
  const clear = await negotiate(initialState(CONFIG, TCP), { kind: "open", header: HEADER }, env);
  equal(
    child(child(elements(clear)[0], "authentication", NS.SASL2)!, "inline", NS.SASL2)!.children
      .find((c) => typeof c !== "string" && c.name === "fast"),
    undefined,
  );
});

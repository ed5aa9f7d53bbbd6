// The pure pre-auth XEP-0077 path of negotiate(): no sockets, a fake environment.
import assert from "node:assert/strict";
import {
  initialState,
  negotiate,
  type NegotiationConfig,
  type NegotiationEnv,
  type NegotiationState,
  type NegotiationStep,
} from "../../src/stream/negotiation.ts";
import { RegistrationLimiter } from "../../src/server/registration.ts";
import type { TransportInfo } from "../../src/base/transport.ts";
import { StanzaError } from "../../src/base/stanza_error.ts";
import { child, type Element, elements, xml } from "../../src/xml/element.ts";
import { NS } from "../../src/xml/ns.ts";

const INFO: TransportInfo = { kind: "tcp", secure: true, remoteAddress: "192.0.2.1" };

function config(registration: boolean, requireTls = true): NegotiationConfig {
  return {
    domains: ["localhost"],
    requireTls,
    canStartTls: true,
    maxAuthFailures: 3,
    registration,
  };
}

function env(registered: string[]): NegotiationEnv {
  return {
    getCredentials: () => Promise.resolve(undefined),
    bind: () => Promise.reject(new Error("unused")),
    randomBytes: (n) => new Uint8Array(n),
    randomId: () => "id",
    register(jid, password, info) {
      if (jid === "alice@localhost") throw new StanzaError("conflict", "cancel");
      registered.push(`${jid}:${password}:${info.remoteAddress}`);
      return Promise.resolve();
    },
  };
}

async function opened(cfg: NegotiationConfig, e: NegotiationEnv, info = INFO) {
  const s0 = initialState(cfg, info);
  const step = await negotiate(s0, {
    kind: "open",
    header: {
      name: "stream",
      xmlns: NS.STREAM,
      contentNs: NS.CLIENT,
      attrs: { to: "localhost", version: "1.0" },
    },
  }, e);
  return step;
}

function features(step: NegotiationStep): Element {
  const out = step.outputs.find((o) => o.kind === "element" && o.element.name === "features");
  assert.ok(out && out.kind === "element");
  return out.element;
}

const registerIq = (type: string, id: string, ...children: Element[]) =>
  xml("iq", { xmlns: NS.CLIENT, type, id }, xml("query", { xmlns: NS.REGISTER }, children));

async function send(state: NegotiationState, e: NegotiationEnv, element: Element) {
  const step = await negotiate(state, { kind: "element", element }, e);
  const out = step.outputs[0];
  assert.ok(out?.kind === "element");
  return { step, reply: out.element };
}

function condition(reply: Element): string | undefined {
  const error = child(reply, "error");
  return error ? elements(error).find((c) => c.xmlns === NS.STANZAS)?.name : undefined;
}

Deno.test("negotiate() offers <register/> before auth only when registration is on", async () => {
  const on = features(await opened(config(true), env([])));
  assert.ok(child(on, "register", NS.REGISTER_FEATURE));
  assert.ok(child(on, "mechanisms", NS.SASL));
  const off = features(await opened(config(false), env([])));
  assert.equal(child(off, "register", NS.REGISTER_FEATURE), undefined);
  // Where TLS is still required, only STARTTLS is offered.
  const plain = features(await opened(config(true), env([]), { kind: "tcp", secure: false }));
  assert.equal(child(plain, "register", NS.REGISTER_FEATURE), undefined);
});

Deno.test("negotiate() answers XEP-0077 registration requests before auth", async () => {
  const registered: string[] = [];
  const e = env(registered);
  const { state } = await opened(config(true), e);

  const form = await send(state, e, registerIq("get", "g"));
  assert.equal(form.reply.attrs.type, "result");
  const query = child(form.reply, "query", NS.REGISTER)!;
  assert.ok(child(query, "username", NS.REGISTER));
  assert.ok(child(query, "password", NS.REGISTER));
  assert.equal(form.step.state, state);

  const user = (u: string, p: string) => [
    xml("username", null, u),
    xml("password", null, p),
  ];
  assert.equal(
    condition((await send(state, e, registerIq("set", "1", ...user("alice", "x")))).reply),
    "conflict",
  );
  assert.equal(
    condition((await send(state, e, registerIq("set", "2", ...user("a b", "x")))).reply),
    "not-acceptable",
  );
  assert.equal(
    condition((await send(state, e, registerIq("set", "3", ...user("dave", "")))).reply),
    "not-acceptable",
  );
  assert.equal(
    condition((await send(state, e, registerIq("set", "4", xml("remove", null)))).reply),
    "not-authorized",
  );
  const ok = await send(state, e, registerIq("set", "5", ...user("Dave", "pw")));
  assert.equal(ok.reply.attrs.type, "result");
  assert.equal(ok.reply.attrs.id, "5");
  assert.deepEqual(registered, ["dave@localhost:pw:192.0.2.1"]);
  assert.equal(ok.step.state.jid, undefined);
});

Deno.test("negotiate() ends the stream with <not-authorized/> for registration or preauth before required TLS", async () => {
  const plain: TransportInfo = { kind: "tcp", secure: false, remoteAddress: "192.0.2.1" };
  const preauthIq = xml(
    "iq",
    { xmlns: NS.CLIENT, type: "set", id: "p" },
    xml("preauth", { xmlns: NS.PARS, token: "t" }),
  );
  for (const iq of [registerIq("get", "r"), preauthIq]) {
    const registered: string[] = [];
    const state = (await opened({ ...config(true), invites: true }, env(registered), plain)).state;
    const step = await negotiate(state, { kind: "element", element: iq }, env(registered));
    // RFC 6120 §5.3.1 / §4.9.3.12: a stream error, no iq answer, the stream closed.
    const error = step.outputs.find((o) => o.kind === "element" && o.element.name === "error");
    assert.ok(error?.kind === "element", `stream error for <${elements(iq)[0].name}/>`);
    assert.equal(error.element.xmlns, NS.STREAM);
    assert.equal(elements(error.element)[0]?.name, "not-authorized");
    assert.ok(!step.outputs.some((o) => o.kind === "element" && o.element.name === "iq"));
    assert.equal(step.state.phase, "closed");
  }
  // Without required TLS the same request is answered.
  const open = (await opened(config(true, false), env([]), plain)).state;
  const answered = await send(open, env([]), registerIq("get", "r2"));
  assert.equal(answered.reply.name, "iq");
  assert.equal(answered.reply.attrs.type, "result");
});

Deno.test("negotiate() refuses registration with <service-unavailable/> when it is off", async () => {
  const registered: string[] = [];
  const e = env(registered);
  const { state } = await opened(config(false), e);
  const { reply, step } = await send(
    state,
    e,
    registerIq("set", "1", xml("username", null, "dave"), xml("password", null, "pw")),
  );
  assert.equal(condition(reply), "service-unavailable");
  assert.equal(step.state.phase, "negotiating");
  assert.deepEqual(registered, []);
  // Any other stanza before auth still ends the stream (RFC 6120 §4.9.3.12).
  const other = await negotiate(state, {
    kind: "element",
    element: xml("iq", { xmlns: NS.CLIENT, type: "get", id: "p" }, xml("ping", { xmlns: NS.PING })),
  }, e);
  assert.equal(other.state.phase, "closed");
});

Deno.test("RegistrationLimiter allows one registration per address per interval", () => {
  const limiter = new RegistrationLimiter(60_000);
  assert.ok(limiter.allows("a", 0));
  limiter.record("a", 0);
  assert.equal(limiter.allows("a", 59_999), false);
  assert.ok(limiter.allows("b", 59_999));
  assert.ok(limiter.allows("a", 60_000));
});

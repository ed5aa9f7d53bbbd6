import assert from "node:assert/strict";
import { HANDLED, HookRegistry } from "../../src/hooks/hook_registry.ts";
import { IqRegistry } from "../../src/hooks/iq_registry.ts";
import type { ServerHooks } from "../../src/hooks/server_hooks.ts";
import { type BareJid, type FullJid, parseJid } from "../../src/jid/jid.ts";
import type { Session } from "../../src/base/session.ts";
import { LocalRouter, refOf } from "../../src/router/router.ts";
import { DomainTable } from "../../src/router/domains.ts";
import { memoryDirectory } from "../../src/router/session_directory.ts";
import { StanzaError } from "../../src/base/stanza_error.ts";
import { silentLogger } from "../../src/base/logger.ts";
import { child, type Element, xml } from "../../src/xml/element.ts";

const PING = "urn:xmpp:ping";
const STANZAS = "urn:ietf:params:xml:ns:xmpp-stanzas";

async function setup() {
  const directory = memoryDirectory();
  const iqs = new IqRegistry();
  const hooks = new HookRegistry<ServerHooks>();
  const domains = new DomainTable(["localhost"]);
  const sessions = new Map<string, Session>();
  const router = new LocalRouter({
    node: "n1",
    domains,
    directory,
    locals: sessions,
    hooks,
    iqs,
    accountExists: () => Promise.resolve(true),
    logger: silentLogger,
  });
  const jid = parseJid("alice@localhost/phone");
  const log: string[] = [];
  const received: Element[] = [];
  const session: Session = {
    node: "n1",
    id: "s1",
    jid: jid.full as FullJid,
    bare: jid.bare as BareJid,
    resource: "phone",
    info: { kind: "test", secure: true },
    state: "active",
    presence: undefined,
    priority: 0,
    data: new Map(),
    send: (stanza: Element) => {
      log.push(`send ${stanza.attrs.type}`);
      received.push(stanza);
      return Promise.resolve();
    },
    write: () => {},
    close: () => Promise.resolve(),
  };
  sessions.set(session.id, session);
  await directory.add(refOf(session));
  const ping = xml("iq", {
    xmlns: "jabber:client",
    type: "get",
    id: "p1",
    from: session.jid,
  }, xml("ping", { xmlns: PING }));
  return { router, iqs, hooks, domains, session, log, received, ping };
}

function condition(stanza: Element): string | undefined {
  return child(stanza, "error")?.children.find((c): c is Element =>
    typeof c !== "string" && c.xmlns === STANZAS
  )?.name;
}

Deno.test("LocalRouter runs afterReply() callbacks in order once the result is routed", async () => {
  const { router, iqs, session, log, ping } = await setup();
  iqs.add("get", PING, "ping", (ev) => {
    ev.afterReply(() => void log.push("first"));
    ev.afterReply(async () => {
      await Promise.resolve();
      log.push("second");
    });
    log.push("handler");
  });
  await router.route(ping, session);
  assert.deepEqual(log, ["handler", "send result", "first", "second"]);
});

Deno.test("LocalRouter drops afterReply() callbacks when the handler throws", async () => {
  const { router, iqs, session, log, ping } = await setup();
  iqs.add("get", PING, "ping", (ev) => {
    ev.afterReply(() => void log.push("after"));
    throw new StanzaError("not-allowed", "cancel");
  });
  await router.route(ping, session);
  assert.deepEqual(log, ["send error"]);
});

Deno.test("LocalRouter hands every stanza for a component domain to the component", async () => {
  const { router, domains, session, received } = await setup();
  const seen: string[] = [];
  domains.addComponent("conference.localhost", (ev) => {
    seen.push(`${ev.stanza.name} ${ev.to.full}`);
    return ev.stanza.name === "presence" ? HANDLED : undefined;
  });
  await router.route(
    xml("presence", {
      xmlns: "jabber:client",
      from: session.jid,
      to: "room@conference.localhost/me",
    }),
    session,
  );
  await router.route(
    xml("message", {
      xmlns: "jabber:client",
      from: session.jid,
      to: "conference.localhost",
      id: "m",
    }),
    session,
  );
  assert.deepEqual(seen, [
    "presence room@conference.localhost/me",
    "message conference.localhost",
  ]);
  // Not handled: a message gets service-unavailable from the component's domain.
  assert.equal(received.length, 1);
  assert.equal(received[0].attrs.from, "conference.localhost");
  assert.equal(condition(received[0]), "service-unavailable");
});

Deno.test("LocalRouter sends other domains' stanzas through stanza/remote and the remote router", async () => {
  const { router, hooks, domains, session, received, ping } = await setup();
  const remote: string[] = [];
  // No remote router: an iq bounces with remote-server-not-found, presence is dropped.
  await router.route({ ...ping, attrs: { ...ping.attrs, to: "example.org" } }, session);
  await router.route(
    xml("presence", { xmlns: "jabber:client", from: session.jid, to: "bob@example.org" }),
    session,
  );
  assert.equal(received.length, 1);
  assert.equal(condition(received[0]), "remote-server-not-found");
  hooks.add("stanza/remote", (ev) => {
    remote.push(`hook ${ev.stanza.name}`);
  });
  const unset = domains.setRemote({
    route: (ev) => Promise.resolve(void remote.push(`remote ${ev.to.domain}`)),
  });
  await router.route({ ...ping, attrs: { ...ping.attrs, to: "example.org" } }, session);
  assert.deepEqual(remote, ["hook iq", "remote example.org"]);
  unset();
  assert.equal(domains.remote, undefined);
});

Deno.test("LocalRouter records a client's broadcast presence as the session's, once", async () => {
  const { router, hooks, session } = await setup();
  const previous: (string | undefined)[] = [];
  hooks.add("presence/server", (ev) => void previous.push(ev.previous.presence?.name));
  await router.route(
    xml("presence", { xmlns: "jabber:client", from: session.jid }, xml("priority", null, "7")),
    session,
  );
  assert.equal(session.priority, 7);
  assert.equal((await router.session(session.jid))?.priority, 7);
  await router.route(
    xml("presence", { xmlns: "jabber:client", from: session.jid, type: "unavailable" }),
    session,
  );
  assert.equal(session.presence, undefined);
  assert.equal((await router.session(session.jid))?.presence, undefined);
  assert.deepEqual(previous, [undefined, "presence"]);
});

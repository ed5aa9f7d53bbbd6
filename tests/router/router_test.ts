import assert from "node:assert/strict";
import { HookRegistry } from "../../src/hooks/hook_registry.ts";
import { IqRegistry } from "../../src/hooks/iq_registry.ts";
import type { ServerHooks } from "../../src/hooks/server_hooks.ts";
import { type BareJid, type FullJid, parseJid } from "../../src/jid/jid.ts";
import type { LocalSession } from "../../src/base/session.ts";
import { createRouter } from "../../src/router/router.ts";
import { memoryDirectory } from "../../src/router/session_directory.ts";
import { StanzaError } from "../../src/base/stanza_error.ts";
import { silentLogger } from "../../src/base/logger.ts";
import { memoryStorage } from "../../src/storage/memory.ts";
import { type Element, xml } from "../../src/xml/element.ts";

const PING = "urn:xmpp:ping";

function setup() {
  const directory = memoryDirectory();
  const iqs = new IqRegistry();
  const router = createRouter({
    hosted: new Set(["localhost"]),
    directory,
    hooks: new HookRegistry<ServerHooks>(),
    iqs,
    accounts: memoryStorage().accounts,
    logger: silentLogger,
  });
  const jid = parseJid("alice@localhost/phone");
  const log: string[] = [];
  const session: LocalSession = {
    id: "s1",
    jid: jid.full as FullJid,
    bare: jid.bare as BareJid,
    resource: "phone",
    info: { secure: true, transport: "test" } as unknown as LocalSession["info"],
    presence: undefined,
    priority: 0,
    data: new Map(),
    send: (stanza: Element) => void log.push(`send ${stanza.attrs.type}`),
    close: () => Promise.resolve(),
  };
  directory.add(session);
  const ping = xml("iq", {
    xmlns: "jabber:client",
    type: "get",
    id: "p1",
    from: session.jid,
  }, xml("ping", { xmlns: PING }));
  return { router, iqs, session, log, ping };
}

Deno.test("createRouter() runs afterReply() callbacks in order once the result is routed", async () => {
  const { router, iqs, session, log, ping } = setup();
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

Deno.test("createRouter() drops afterReply() callbacks when the handler throws", async () => {
  const { router, iqs, session, log, ping } = setup();
  iqs.add("get", PING, "ping", (ev) => {
    ev.afterReply(() => void log.push("after"));
    throw new StanzaError("not-allowed", "cancel");
  });
  await router.route(ping, session);
  assert.deepEqual(log, ["send error"]);
});

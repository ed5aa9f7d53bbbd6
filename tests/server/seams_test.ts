// The seams later features plug into, exercised by modules written as a third party would:
// stanza/out, stanza/in, hibernation with resumption through stream/delegate, components and a
// remote router. Everything runs over in-memory connections (the testing kit).
import assert from "node:assert/strict";
import {
  child,
  type Element,
  HANDLED,
  NS,
  type Session,
  StreamError,
  xml,
  type XmppModule,
} from "../../mod.ts";
import { testServer } from "../../src/testing/mod.ts";

const RESUME = "urn:example:resume";
const isMessage = (id: string) => (el: Element) => el.name === "message" && el.attrs.id === id;

Deno.test("stanza/out sees every stanza to a session; it can rewrite and drop", async () => {
  const seen: string[] = [];
  const stamp: XmppModule = {
    name: "stamp",
    setup(api) {
      api.hook("stanza/out", (ev) => {
        seen.push(`${ev.session.resource} ${ev.stanza.name}`);
        if (ev.stanza.attrs.id === "drop") return HANDLED;
        if (ev.stanza.name === "message") {
          ev.stanza = {
            ...ev.stanza,
            children: [...ev.stanza.children, xml("x", { xmlns: "urn:t" })],
          };
        }
      });
    },
  };
  const t = await testServer({ users: ["a@localhost", "b@localhost"], modules: [stamp] });
  try {
    const a = await t.connect("a@localhost/one");
    const b = await t.connect("b@localhost/two");
    await a.send(xml("message", { to: "b@localhost/two", id: "drop" }, xml("body", null, "1")));
    await a.send(xml("message", { to: "b@localhost/two", id: "keep" }, xml("body", null, "2")));
    const got = await b.next(isMessage("keep"));
    assert.ok(child(got, "x", "urn:t"), "the rewritten stanza is what the client gets");
    assert.ok(!b.peer.elements.some(isMessage("drop")), "the dropped stanza never arrives");
    assert.ok(seen.includes("two message"));
  } finally {
    await t.close();
  }
});

Deno.test("stanza/in sees stanzas the intake answers with an error too", async () => {
  const verdicts: string[] = [];
  const counter: XmppModule = {
    name: "counter",
    setup(api) {
      api.hook("stanza/in", (ev) => void verdicts.push(`${ev.stanza.name} ${ev.verdict}`));
    },
  };
  const t = await testServer({ users: ["a@localhost"], modules: [counter] });
  try {
    const a = await t.connect("a@localhost/one", { presence: false });
    // An iq get with two children is answered with bad-request by the intake (RFC 6120 §8.2.3).
    await a.send(
      xml(
        "iq",
        { type: "get", id: "two" },
        xml("a", { xmlns: "urn:a" }),
        xml("b", { xmlns: "urn:b" }),
      ),
    );
    const reply = await a.next((el) => el.attrs.id === "two");
    assert.equal(reply.attrs.type, "error");
    await a.send(xml("presence", {}));
    await new Promise((r) => setTimeout(r, 20));
    assert.deepEqual(verdicts, ["iq reply", "presence route"]);
  } finally {
    await t.close();
  }
});

/**
 * A minimal resumption module: it keeps a session whose connection drops, counts what is sent
 * to it meanwhile, and resumes it on `<resume previd=…/>` before binding.
 */
function resumable(log: string[]): XmppModule {
  const kept = new Map<string, { session: Session; queue: Element[] }>();
  return {
    name: "resumable",
    setup(api) {
      api.streamFeature(xml("resume", { xmlns: RESUME }));
      api.hook("session/ending", ({ session, error }) => {
        log.push(`ending ${error?.condition ?? "none"}`);
        if (error?.condition === "system-shutdown") return;
        kept.set(session.id, { session, queue: [] });
        return HANDLED;
      });
      api.hook("stanza/out", ({ session, stanza }) => {
        const entry = kept.get(session.id);
        if (entry && session.state === "hibernated") entry.queue.push(stanza);
      });
      api.hook("stream/delegate", ({ stream, element }) => {
        if (element.xmlns !== RESUME) return;
        const entry = kept.get(element.attrs.previd ?? "");
        if (!entry || !stream.resume(entry.session)) {
          stream.write(xml("failed", { xmlns: RESUME }));
          return HANDLED;
        }
        kept.delete(entry.session.id);
        entry.session.write(xml("resumed", { xmlns: RESUME, previd: entry.session.id }));
        for (const s of entry.queue) entry.session.write(s);
        return HANDLED;
      });
      api.hook("session/resumed", ({ session }) => void log.push(`resumed ${session.resource}`));
      api.hook("session/closed", ({ session }) => void log.push(`closed ${session.resource}`));
    },
  };
}

Deno.test("a hibernated session stays routable and resumes on a new connection", async () => {
  const log: string[] = [];
  const t = await testServer({ users: ["a@localhost", "b@localhost"], modules: [resumable(log)] });
  try {
    const a = await t.connect("a@localhost/phone");
    const b = await t.connect("b@localhost/desk");
    const ref = await t.server.router.session("a@localhost/phone" as never);
    assert.ok(ref);
    await a.peer.drop();
    await a.peer.closed;
    // The connection is gone; the session is kept and still in the directory.
    for (let i = 0; i < 100 && !log.includes("ending none"); i++) {
      await new Promise((r) => setTimeout(r, 10));
    }
    assert.equal(t.server.router.local(ref)?.state, "hibernated");
    await b.send(xml("message", { to: "a@localhost/phone", id: "m1" }, xml("body", null, "hi")));
    await new Promise((r) => setTimeout(r, 20));

    // A wrong previd fails; the right one resumes and the kept message arrives.
    const again = await t.connect("a@localhost", { bind: false });
    await again.send(xml("resume", { xmlns: RESUME, previd: "nope" }));
    await again.next((el) => el.name === "failed");
    await again.send(xml("resume", { xmlns: RESUME, previd: ref.id }));
    await again.next((el) => el.name === "resumed");
    const got = await again.next(isMessage("m1"));
    assert.equal(got.attrs.from, "b@localhost/desk");
    assert.equal(t.server.router.local(ref)?.state, "active");
    // The resumed session works both ways.
    await again.send(
      xml("message", { to: "b@localhost/desk", id: "m2" }, xml("body", null, "back")),
    );
    const reply = await b.next(isMessage("m2"));
    assert.equal(reply.attrs.from, "a@localhost/phone");
    assert.deepEqual(log, ["ending none", "resumed phone"]);
  } finally {
    await t.close();
  }
  // At shutdown the session closes for good (system-shutdown is not kept).
  assert.ok(log.includes("closed phone"), log.join());
});

Deno.test("a session that leaves cleanly is not kept, and another account cannot resume it", async () => {
  const log: string[] = [];
  const t = await testServer({ users: ["a@localhost", "b@localhost"], modules: [resumable(log)] });
  try {
    const a = await t.connect("a@localhost/phone");
    const ref = (await t.server.router.session("a@localhost/phone" as never))!;
    await a.close();
    assert.deepEqual(log, ["closed phone"]);
    const other = await t.connect("a@localhost/tablet");
    const id = other.jid === "a@localhost/tablet" ? ref.id : "";
    await other.peer.drop();
    for (let i = 0; i < 100 && log.length < 2; i++) await new Promise((r) => setTimeout(r, 10));
    const kept = (await t.server.router.session("a@localhost/tablet" as never))!;
    const b = await t.connect("b@localhost", { bind: false });
    await b.send(xml("resume", { xmlns: RESUME, previd: kept.id }));
    await b.next((el) => el.name === "failed");
    assert.notEqual(id, kept.id);
  } finally {
    await t.close();
  }
});

Deno.test("a module serves a component domain with its own disco identity", async () => {
  const echo: XmppModule = {
    name: "echo-component",
    setup(api) {
      api.component("echo.localhost", {
        name: "Echo",
        identities: [{ category: "component", type: "generic", name: "Echo" }],
        features: ["urn:example:echo"],
        async handle({ stanza, to }) {
          if (stanza.name !== "message") return;
          await api.router.route(
            xml(
              "message",
              { from: to.full, to: stanza.attrs.from, id: stanza.attrs.id },
              ...stanza.children,
            ),
          );
          return HANDLED;
        },
      });
    },
  };
  const t = await testServer({ users: ["a@localhost"], modules: [echo] });
  try {
    const a = await t.connect("a@localhost/one");
    const items = await a.iq(
      xml("iq", { type: "get", to: "localhost" }, xml("query", { xmlns: NS.DISCO_ITEMS })),
    );
    const listed = child(items, "query", NS.DISCO_ITEMS)!.children
      .filter((c): c is Element => typeof c !== "string")
      .map((i) => i.attrs.jid);
    assert.ok(listed.includes("echo.localhost"), listed.join());
    const info = await a.iq(
      xml("iq", { type: "get", to: "echo.localhost" }, xml("query", { xmlns: NS.DISCO_INFO })),
    );
    const query = child(info, "query", NS.DISCO_INFO)!;
    assert.equal(child(query, "identity")?.attrs.category, "component");
    assert.ok(
      query.children.some((c) => typeof c !== "string" && c.attrs.var === "urn:example:echo"),
    );
    await a.send(xml("message", { to: "bot@echo.localhost", id: "e1" }, xml("body", null, "ping")));
    const back = await a.next(isMessage("e1"));
    assert.equal(back.attrs.from, "bot@echo.localhost");
    // An iq the component does not handle gets service-unavailable.
    await assert.rejects(
      a.iq(xml("iq", { type: "get", to: "echo.localhost" }, xml("query", { xmlns: "urn:x" }))),
      /service-unavailable/,
    );
    // Unloading the module removes the domain: it is remote (and unreachable) again.
    await t.server.unload("echo-component");
    await assert.rejects(
      a.iq(
        xml("iq", { type: "get", to: "echo.localhost" }, xml("query", { xmlns: NS.DISCO_INFO })),
      ),
      /remote-server-not-found/,
    );
  } finally {
    await t.close();
  }
});

Deno.test("a module routes other domains' stanzas as the remote router", async () => {
  const routed: string[] = [];
  const federation: XmppModule = {
    name: "fake-federation",
    setup(api) {
      api.remote({
        route: async (ev) => {
          routed.push(`${ev.stanza.name} ${ev.to.full}`);
          if (ev.stanza.name === "iq") {
            // Answer as the remote server would.
            await api.router.route(
              xml("iq", {
                type: "result",
                id: ev.stanza.attrs.id,
                from: ev.to.full,
                to: ev.from.full,
              }),
            );
          }
        },
      });
    },
  };
  const t = await testServer({ users: ["a@localhost"], modules: [federation] });
  try {
    const a = await t.connect("a@localhost/one");
    await a.iq(xml("iq", { type: "get", to: "example.org" }, xml("ping", { xmlns: NS.PING })));
    await a.send(xml("message", { to: "z@example.org", id: "r1" }, xml("body", null, "hi")));
    await new Promise((r) => setTimeout(r, 20));
    assert.deepEqual(routed, ["iq example.org", "message z@example.org"]);
  } finally {
    await t.close();
  }
});

Deno.test("a module that closes a session ends it for good (no hibernation)", async () => {
  const log: string[] = [];
  const t = await testServer({ users: ["a@localhost"], modules: [resumable(log)] });
  try {
    await t.connect("a@localhost/phone");
    const ref = (await t.server.router.session("a@localhost/phone" as never))!;
    await t.server.router.local(ref)!.close(new StreamError("policy-violation"));
    assert.equal(await t.server.router.session("a@localhost/phone" as never), undefined);
    assert.deepEqual(log, ["closed phone"]);
  } finally {
    await t.close();
  }
});

Deno.test("account/removed runs when a user removes the account, for modules' own data", async () => {
  const removed: string[] = [];
  const keeper: XmppModule = {
    name: "keeper",
    async setup(api) {
      await api.storage.documents.put("keeper", "a@localhost", { note: "mine" });
      api.hook("account/removed", async ({ jid }) => {
        removed.push(jid);
        await api.storage.documents.delete("keeper", jid);
      });
    },
  };
  const t = await testServer({ users: ["a@localhost"], modules: [keeper] });
  try {
    const a = await t.connect("a@localhost/r");
    // XEP-0077 §3.2: the user removes the account.
    await a.iq(
      xml(
        "iq",
        { type: "set" },
        xml("query", { xmlns: "jabber:iq:register" }, xml("remove", null)),
      ),
    );
    await a.peer.closed;
    assert.deepEqual(removed, ["a@localhost"]);
    assert.equal(await t.server.storage.documents.get("keeper", "a@localhost"), undefined);
    assert.equal(await t.server.storage.accounts.exists("a@localhost" as never), false);
    // The server's API does the same.
    assert.equal(await t.server.removeUser("a@localhost"), false);
    assert.deepEqual(removed, ["a@localhost", "a@localhost"]);
  } finally {
    await t.close();
  }
});

Deno.test("the server's idle ping passes stanza/out like every stanza to a session", async () => {
  const seen: string[] = [];
  const counter: XmppModule = {
    name: "counter",
    setup(api) {
      api.hook("stanza/out", ({ stanza }) => {
        if (child(stanza, "ping", NS.PING)) seen.push(stanza.attrs.to!);
      });
    },
  };
  const t = await testServer({
    users: ["a@localhost"],
    modules: [counter],
    limits: { idleTimeoutMs: 50 },
  });
  try {
    const a = await t.connect("a@localhost/phone");
    await a.next((el) => el.name === "iq" && child(el, "ping", NS.PING) !== undefined);
    // XEP-0198 §4: a client counts every stanza it gets; a module that counts must see it.
    assert.deepEqual(seen, ["a@localhost/phone"]);
  } finally {
    await t.close();
  }
});

Deno.test("a module answers disco#info and disco#items on nodes of the server (discoNodes)", async () => {
  const nodes: XmppModule = {
    name: "nodes",
    setup(api) {
      api.discoNodes((node) =>
        node === "urn:example:node"
          ? {
            info: () => ({
              identities: [{ category: "hierarchy", type: "leaf" }],
              features: [],
              forms: [],
            }),
            items: (requester) => [{ jid: api.domain, node: "child", name: requester }],
          }
          : undefined
      );
    },
  };
  const t = await testServer({ users: ["a@localhost"], modules: [nodes] });
  try {
    const a = await t.connect("a@localhost/r");
    const items = await a.iq(
      xml(
        "iq",
        { type: "get", to: "localhost" },
        xml("query", {
          xmlns: NS.DISCO_ITEMS,
          node: "urn:example:node",
        }),
      ),
    );
    const query = child(items, "query", NS.DISCO_ITEMS)!;
    assert.equal(query.attrs.node, "urn:example:node");
    assert.deepEqual(child(query, "item")?.attrs, {
      jid: "localhost",
      node: "child",
      name: "a@localhost/r",
    });
    const info = await a.iq(
      xml(
        "iq",
        { type: "get", to: "localhost" },
        xml("query", {
          xmlns: NS.DISCO_INFO,
          node: "urn:example:node",
        }),
      ),
    );
    assert.equal(child(child(info, "query")!, "identity")?.attrs.type, "leaf");
    await assert.rejects(
      a.iq(
        xml(
          "iq",
          { type: "get", to: "localhost" },
          xml("query", {
            xmlns: NS.DISCO_INFO,
            node: "urn:example:other",
          }),
        ),
      ),
      /item-not-found/,
    );
  } finally {
    await t.close();
  }
});

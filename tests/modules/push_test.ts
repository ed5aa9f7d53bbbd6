// XEP-0357 push notifications over in-memory connections: enabling and disabling, the guard
// on app server JIDs, notifications for hibernated sessions and offline messages with the
// summary form, an app server's error disabling the registration, and registrations that
// survive a restart.
import assert from "node:assert/strict";
import {
  type BareJid,
  child,
  type Element,
  elements,
  HANDLED,
  memoryStorage,
  NS,
  push,
  PUSH_DOCUMENTS,
  type Storage,
  text,
  xml,
  type XmppModule,
} from "../../mod.ts";
import { type TestClient, type TestServer, testServer } from "../../src/testing/mod.ts";

const PUSH = "urn:xmpp:push:0";
const APP = "app.example";

/** A test app server: a component that records publishes and answers as told. */
function appServer(): XmppModule & {
  got: Element[];
  answer: "result" | "cancel" | "wait";
  next(n: number): Promise<Element>;
} {
  const waiters: { n: number; resolve: (el: Element) => void }[] = [];
  const m = {
    name: "test-app-server",
    got: [] as Element[],
    answer: "result" as "result" | "cancel" | "wait",
    next(n: number): Promise<Element> {
      if (m.got.length >= n) return Promise.resolve(m.got[n - 1]);
      const { promise, resolve } = Promise.withResolvers<Element>();
      waiters.push({ n, resolve });
      return timeout(promise, `publish #${n}`);
    },
    setup(api: Parameters<XmppModule["setup"]>[0]) {
      api.component(APP, {
        identities: [{ category: "pubsub", type: "push" }],
        async handle({ stanza }) {
          if (stanza.name !== "iq" || stanza.attrs.type !== "set") return;
          m.got.push(stanza);
          for (const w of waiters.filter((w) => w.n <= m.got.length)) w.resolve(m.got[w.n - 1]);
          const reply = m.answer === "result"
            ? xml("iq", { type: "result", id: stanza.attrs.id, from: APP, to: stanza.attrs.from })
            : xml(
              "iq",
              { type: "error", id: stanza.attrs.id, from: APP, to: stanza.attrs.from },
              xml(
                "error",
                { type: m.answer },
                xml(m.answer === "wait" ? "resource-constraint" : "item-not-found", {
                  xmlns: NS.STANZAS,
                }),
              ),
            );
          await api.router.route(reply);
          return HANDLED;
        },
      });
    },
  };
  return m;
}

function timeout<T>(p: Promise<T>, what: string, ms = 3000): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  return Promise.race([
    p,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`Timed out waiting for ${what}`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

const OPTIONS_FORM = xml(
  "x",
  { xmlns: NS.DATA_FORMS, type: "submit" },
  xml(
    "field",
    { var: "FORM_TYPE" },
    xml("value", null, "http://jabber.org/protocol/pubsub#publish-options"),
  ),
  xml("field", { var: "secret" }, xml("value", null, "eruio234vzxc2kla-91")),
);

function enableIq(attrs: Record<string, string>, form?: Element): Element {
  return xml("iq", { type: "set" }, xml("enable", { xmlns: PUSH, ...attrs }, form));
}

async function iqError(c: TestClient, iq: Element): Promise<string> {
  try {
    await c.iq(iq);
  } catch (e) {
    return (e as Error).message;
  }
  throw new Error("Expected an error");
}

async function setup(
  options: { storage?: Storage; includeBody?: boolean; includeSender?: boolean } = {},
): Promise<{ t: TestServer; app: ReturnType<typeof appServer>; storage: Storage }> {
  const storage = options.storage ?? memoryStorage();
  const app = appServer();
  const t = await testServer({ users: ["a@localhost", "b@localhost"], storage, modules: [app] });
  if (options.includeBody !== undefined || options.includeSender !== undefined) {
    await t.server.unload("push");
    await t.server.use(
      push({ includeBody: options.includeBody, includeSender: options.includeSender }),
    );
  }
  return { t, app, storage };
}

async function registrations(storage: Storage, jid: string) {
  return (await storage.documents.get(PUSH_DOCUMENTS, jid))?.value;
}

/** The summary form's fields of a notification, and the parts around it. */
function parse(iq: Element) {
  const pubsub = child(iq, "pubsub", NS.PUBSUB)!;
  assert.ok(pubsub, "a pubsub payload");
  const publish = child(pubsub, "publish", NS.PUBSUB)!;
  const notification = child(child(publish, "item", NS.PUBSUB)!, "notification", PUSH)!;
  assert.ok(notification, "<notification xmlns='urn:xmpp:push:0'/>");
  const form = child(notification, "x", NS.DATA_FORMS)!;
  assert.equal(form.attrs.type, "submit");
  const fields: Record<string, string> = {};
  for (const f of elements(form, "field", NS.DATA_FORMS)) {
    fields[f.attrs.var] = text(child(f, "value", NS.DATA_FORMS));
  }
  const options = child(pubsub, "publish-options", NS.PUBSUB);
  return { node: publish.attrs.node, fields, options };
}

async function hibernate(t: TestServer, c: TestClient, jid: string) {
  await c.send(xml("enable", { xmlns: NS.SM, resume: "true" }));
  await c.next((el) => el.name === "enabled");
  const session = t.server.router.local((await t.server.router.session(jid as never))!)!;
  await c.peer.drop();
  const deadline = Date.now() + 3000;
  while (session.state !== "hibernated") {
    if (Date.now() > deadline) throw new Error("Timed out waiting for hibernation");
    await new Promise((r) => setTimeout(r, 5));
  }
}

const chat = (to: string, id: string, body?: string) =>
  xml(
    "message",
    { to, id, type: "chat" },
    body === undefined ? undefined : xml("body", null, body),
  );

Deno.test("push: <enable/> stores the registration; the account advertises urn:xmpp:push:0", async () => {
  const { t, storage } = await setup();
  try {
    const a = await t.connect("a@localhost/phone");
    const info = await a.iq(
      xml("iq", { type: "get", to: "a@localhost" }, xml("query", { xmlns: NS.DISCO_INFO })),
    );
    const features = elements(child(info, "query")!, "feature").map((f) => f.attrs.var);
    assert.ok(features.includes(PUSH), features.join());
    const result = await a.iq(enableIq({ jid: APP, node: "n1" }, OPTIONS_FORM));
    assert.equal(result.attrs.type, "result");
    const stored = await registrations(storage, "a@localhost") as { jid: string; node: string }[];
    assert.deepEqual(stored.map((r) => [r.jid, r.node]), [[APP, "n1"]]);
    // Enabling the same jid and node again replaces it; another node adds one.
    await a.iq(enableIq({ jid: APP, node: "n1" }));
    await a.iq(enableIq({ jid: APP, node: "n2" }));
    const again = await registrations(storage, "a@localhost") as { node: string }[];
    assert.deepEqual(again.map((r) => r.node), ["n1", "n2"]);
  } finally {
    await t.close();
  }
});

Deno.test("push: bad <enable/> requests get the XEP's errors and store nothing", async () => {
  const { t, storage } = await setup();
  try {
    const a = await t.connect("a@localhost/phone");
    assert.match(await iqError(a, enableIq({ node: "n" })), /bad-request/);
    assert.match(await iqError(a, enableIq({ jid: APP })), /bad-request/);
    assert.match(await iqError(a, enableIq({ jid: "a@@b", node: "n" })), /jid-malformed/);
    // Not an app server: another account, the user's own, the server itself.
    assert.match(await iqError(a, enableIq({ jid: "b@localhost", node: "n" })), /not-allowed/);
    assert.match(await iqError(a, enableIq({ jid: "a@localhost", node: "n" })), /not-allowed/);
    assert.match(await iqError(a, enableIq({ jid: "localhost", node: "n" })), /not-allowed/);
    const wrongForm = xml(
      "x",
      { xmlns: NS.DATA_FORMS, type: "submit" },
      xml("field", { var: "FORM_TYPE" }, xml("value", null, "urn:example:other")),
    );
    assert.match(await iqError(a, enableIq({ jid: APP, node: "n" }, wrongForm)), /bad-request/);
    // Someone else cannot enable push for b.
    const forB = xml(
      "iq",
      { type: "set", to: "b@localhost" },
      xml("enable", { xmlns: PUSH, jid: APP, node: "n" }),
    );
    assert.match(await iqError(a, forB), /forbidden/);
    assert.equal(await registrations(storage, "a@localhost"), undefined);
    assert.equal(await registrations(storage, "b@localhost"), undefined);
  } finally {
    await t.close();
  }
});

Deno.test("push: a message to a hibernated session is published to the app server with the summary form", async () => {
  const { t, app } = await setup();
  try {
    const a = await t.connect("a@localhost/phone");
    await a.iq(enableIq({ jid: APP, node: "phone-node" }, OPTIONS_FORM));
    await hibernate(t, a, "a@localhost/phone");
    const b = await t.connect("b@localhost/desk");
    await b.send(chat("a@localhost", "m1", "secret words"));
    const first = await app.next(1);
    assert.equal(first.attrs.type, "set");
    assert.equal(first.attrs.from, "a@localhost", "from the account's bare JID");
    assert.equal(first.attrs.to, APP);
    const p = parse(first);
    assert.equal(p.node, "phone-node");
    assert.deepEqual(p.fields, {
      FORM_TYPE: "urn:xmpp:push:summary",
      "message-count": "1",
      "last-message-sender": "b@localhost/desk",
    });
    assert.ok(!JSON.stringify(first).includes("secret words"), "no body by default");
    const options = child(p.options!, "x", NS.DATA_FORMS)!;
    assert.equal(options.attrs.type, "submit");
    assert.ok(JSON.stringify(options).includes("eruio234vzxc2kla-91"));
    // A chat state has no body: no notification. The next message counts 2.
    await b.send(
      xml(
        "message",
        { to: "a@localhost", type: "chat", id: "cs" },
        xml("composing", {
          xmlns: NS.CHATSTATES,
        }),
      ),
    );
    await b.send(chat("a@localhost/phone", "m2", "more"));
    const second = await app.next(2);
    assert.equal(parse(second).fields["message-count"], "2");
    assert.equal(app.got.length, 2);
  } finally {
    await t.close();
  }
});

Deno.test("push: an offline message notifies every registration; includeBody adds the body", async () => {
  const { t, app } = await setup({ includeBody: true });
  try {
    const a = await t.connect("a@localhost/phone");
    await a.iq(enableIq({ jid: APP, node: "n1" }));
    await a.iq(enableIq({ jid: APP, node: "n2" }));
    await a.close();
    const b = await t.connect("b@localhost/desk");
    await b.send(chat("a@localhost", "m1", "hello"));
    await app.next(2);
    assert.deepEqual(app.got.map((iq) => parse(iq).node).sort(), ["n1", "n2"]);
    assert.equal(parse(app.got[0]).fields["last-message-body"], "hello");
  } finally {
    await t.close();
  }
});

Deno.test("push: registrations survive a restart (document store)", async () => {
  const storage = memoryStorage();
  const first = await setup({ storage });
  const a = await first.t.connect("a@localhost/phone");
  await a.iq(enableIq({ jid: APP, node: "n1" }));
  // Not closing the storage: the second server reads what the first one wrote.
  const second = await setup({ storage });
  try {
    const b = await second.t.connect("b@localhost/desk");
    await b.send(chat("a@localhost", "m1", "after the restart"));
    // a's session on the first server is not seen by the second: the message is offline there.
    assert.equal(parse(await second.app.next(1)).node, "n1");
  } finally {
    await second.t.close();
    await first.t.close();
  }
});

Deno.test("push: <disable/> stops notifications (one node, or every node of a jid)", async () => {
  const { t, app, storage } = await setup();
  try {
    const a = await t.connect("a@localhost/phone");
    await a.iq(enableIq({ jid: APP, node: "n1" }));
    await a.iq(enableIq({ jid: APP, node: "n2" }));
    await a.iq(xml("iq", { type: "set" }, xml("disable", { xmlns: PUSH, jid: APP, node: "n1" })));
    const left = await registrations(storage, "a@localhost") as { node: string }[];
    assert.deepEqual(left.map((r) => r.node), ["n2"]);
    assert.match(
      await iqError(a, xml("iq", { type: "set" }, xml("disable", { xmlns: PUSH }))),
      /bad-request/,
    );
    await a.iq(xml("iq", { type: "set" }, xml("disable", { xmlns: PUSH, jid: APP })));
    assert.equal(await registrations(storage, "a@localhost"), undefined);
    await a.close();
    const b = await t.connect("b@localhost/desk");
    await b.send(chat("a@localhost", "m1", "nobody is told"));
    // A round trip after it: a notification would have been routed by now.
    await b.iq(xml("iq", { type: "get", to: "localhost" }, xml("ping", { xmlns: NS.PING })));
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(app.got.length, 0);
  } finally {
    await t.close();
  }
});

Deno.test("push: an app server's error disables the registration, unless it is of type wait", async () => {
  const { t, app, storage } = await setup();
  try {
    const a = await t.connect("a@localhost/phone");
    await a.iq(enableIq({ jid: APP, node: "n1" }));
    await a.close();
    const b = await t.connect("b@localhost/desk");
    app.answer = "wait";
    await b.send(chat("a@localhost", "m1", "one"));
    await app.next(1);
    await new Promise((r) => setTimeout(r, 50));
    assert.ok(await registrations(storage, "a@localhost"), "kept after a wait error");
    app.answer = "cancel";
    await b.send(chat("a@localhost", "m2", "two"));
    await app.next(2);
    const deadline = Date.now() + 3000;
    while (await registrations(storage, "a@localhost") !== undefined) {
      if (Date.now() > deadline) throw new Error("The registration was not disabled");
      await new Promise((r) => setTimeout(r, 5));
    }
    await b.send(chat("a@localhost", "m3", "three"));
    await b.iq(xml("iq", { type: "get", to: "localhost" }, xml("ping", { xmlns: NS.PING })));
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(app.got.length, 2, "no notification after it was disabled");
    assert.equal((await storage.offline.list("a@localhost" as BareJid)).length, 3);
  } finally {
    await t.close();
  }
});

Deno.test("push: a received carbon copy to a hibernated session notifies with the original sender; a sent copy does not", async () => {
  const { t, app } = await setup();
  try {
    const phone = await t.connect("a@localhost/phone");
    await phone.iq(xml("iq", { type: "set" }, xml("enable", { xmlns: NS.CARBONS })));
    await phone.iq(enableIq({ jid: APP, node: "phone-node" }));
    await hibernate(t, phone, "a@localhost/phone");
    const desk = await t.connect("a@localhost/desk");
    const b = await t.connect("b@localhost/r");
    // Sent copy of the desk's own message: nothing.
    await desk.send(chat("b@localhost/r", "own", "from the desk"));
    await b.next((el) => el.attrs.id === "own");
    // b writes to the desk: the phone gets a received copy.
    await b.send(chat("a@localhost/desk", "c1", "to the desk"));
    await desk.next((el) => el.attrs.id === "c1");
    const got = await app.next(1);
    assert.equal(parse(got).fields["last-message-sender"], "b@localhost/r");
    await b.iq(xml("iq", { type: "get", to: "localhost" }, xml("ping", { xmlns: NS.PING })));
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(app.got.length, 1);
  } finally {
    await t.close();
  }
});

Deno.test("push: a hibernated session that expires hands its message to offline storage without a second notification", async () => {
  const app = appServer();
  const t = await testServer({
    users: ["a@localhost", "b@localhost"],
    modules: [app],
    limits: { resumptionTimeoutMs: 1000 },
  });
  try {
    const phone = await t.connect("a@localhost/phone");
    await phone.iq(enableIq({ jid: APP, node: "n1" }));
    await hibernate(t, phone, "a@localhost/phone");
    const session = t.server.router.local(
      (await t.server.router.session("a@localhost/phone" as never))!,
    )!;
    const b = await t.connect("b@localhost/r");
    await b.send(chat("a@localhost", "m1", "one"));
    await app.next(1);
    const deadline = Date.now() + 5000;
    while (session.state !== "closed") {
      if (Date.now() > deadline) throw new Error("The session did not expire");
      await new Promise((r) => setTimeout(r, 20));
    }
    const stored = await t.server.storage.offline.list("a@localhost" as BareJid);
    assert.equal(stored.length, 1, "redelivered to offline storage (XEP-0198 §5)");
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(app.got.length, 1, "m1 is not notified twice");
    await b.send(chat("a@localhost", "m2", "two"));
    const second = await app.next(2);
    assert.equal(parse(second).fields["message-count"], "2");
    assert.equal(app.got.length, 2);
  } finally {
    await t.close();
  }
});

Deno.test("push: an app server disables a node remotely (affiliation none); a form without type is taken as submitted", async () => {
  const { t, app, storage } = await setup();
  try {
    const a = await t.connect("a@localhost/phone");
    const untyped = xml(
      "x",
      { xmlns: NS.DATA_FORMS },
      xml(
        "field",
        { var: "FORM_TYPE" },
        xml("value", null, "http://jabber.org/protocol/pubsub#publish-options"),
      ),
    );
    await a.iq(enableIq({ jid: APP, node: "n1" }, untyped));
    await a.iq(enableIq({ jid: APP, node: "n2" }));
    const disabling = (node: string) =>
      xml(
        "message",
        { from: APP, to: "a@localhost" },
        xml(
          "pubsub",
          { xmlns: NS.PUBSUB, node },
          xml("affiliation", { jid: "a@localhost", affiliation: "none" }),
        ),
      );
    await t.server.router.route(disabling("n1"));
    const left = await registrations(storage, "a@localhost") as { node: string }[];
    assert.deepEqual(left.map((r) => r.node), ["n2"]);
    // The message was the server's: the client did not get it.
    await a.iq(xml("iq", { type: "get", to: "localhost" }, xml("ping", { xmlns: NS.PING })));
    assert.ok(!a.peer.elements.some((el) => el.name === "message"));
    assert.equal(app.got.length, 0);
  } finally {
    await t.close();
  }
});

Deno.test("push() refuses options of the wrong type or out of range", () => {
  assert.throws(() => push({ includeBody: "yes" as never }), TypeError);
  assert.throws(() => push({ includeSender: 1 as never }), TypeError);
  assert.throws(() => push({ maxRegistrations: 0 }), RangeError);
  assert.throws(() => push({ maxFormBytes: 1.5 }), RangeError);
  assert.throws(() => push({ responseTimeoutMs: "1" as never }), TypeError);
});

Deno.test("push: more registrations than maxRegistrations get resource-constraint", async () => {
  const t = await testServer({ users: ["a@localhost"] });
  try {
    await t.server.unload("push");
    await t.server.use(push({ maxRegistrations: 2 }));
    const a = await t.connect("a@localhost/phone");
    await a.iq(enableIq({ jid: APP, node: "n1" }));
    await a.iq(enableIq({ jid: APP, node: "n2" }));
    // Replacing one is fine; a third is not.
    await a.iq(enableIq({ jid: APP, node: "n2" }));
    assert.match(await iqError(a, enableIq({ jid: APP, node: "n3" })), /resource-constraint/);
    const stored = await t.server.storage.documents.get(PUSH_DOCUMENTS, "a@localhost");
    assert.deepEqual((stored?.value as { node: string }[]).map((r) => r.node), ["n1", "n2"]);
  } finally {
    await t.close();
  }
});

Deno.test("push: includeSender false leaves the sender out of the summary", async () => {
  const { t, app } = await setup({ includeSender: false });
  try {
    const a = await t.connect("a@localhost/phone");
    await a.iq(enableIq({ jid: APP, node: "n1" }));
    await a.close();
    const b = await t.connect("b@localhost/desk");
    await b.send(chat("a@localhost", "m1", "hi"));
    assert.deepEqual(parse(await app.next(1)).fields, {
      FORM_TYPE: "urn:xmpp:push:summary",
      "message-count": "1",
    });
  } finally {
    await t.close();
  }
});

// The first-party push relay (XEP-0357 app server) against a real HTTP endpoint on loopback:
// the JSON summary it POSTs (no message content), its token, what the endpoint's status
// becomes, and who may publish to it.
import assert from "node:assert/strict";
import {
  type Element,
  HANDLED,
  memoryStorage,
  NS,
  pushRelay,
  type Storage,
  xml,
} from "../../mod.ts";
import { type TestServer, testServer } from "../../src/testing/mod.ts";

const PUSH = "urn:xmpp:push:0";
const RELAY = "push.localhost";

interface Endpoint {
  url: string;
  requests: { headers: Headers; body: Record<string, unknown> }[];
  status: number;
  next(n: number): Promise<{ headers: Headers; body: Record<string, unknown> }>;
  close(): Promise<void>;
}

/** An HTTP endpoint on 127.0.0.1 (port 0) that records what it is sent. */
function endpoint(): Endpoint {
  const waiters: { n: number; resolve: () => void }[] = [];
  const e: Endpoint = {
    url: "",
    requests: [],
    status: 204,
    async next(n) {
      if (e.requests.length < n) {
        const { promise, resolve } = Promise.withResolvers<void>();
        waiters.push({ n, resolve });
        let timer: ReturnType<typeof setTimeout> | undefined;
        await Promise.race([
          promise,
          new Promise((_, reject) => {
            timer = setTimeout(() => reject(new Error(`Timed out waiting for POST #${n}`)), 5000);
          }),
        ]).finally(() => clearTimeout(timer));
      }
      return e.requests[n - 1];
    },
    close: () => server.shutdown(),
  };
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (req) => {
    assert.equal(req.method, "POST");
    e.requests.push({ headers: req.headers, body: await req.json() });
    for (const w of waiters.filter((w) => w.n <= e.requests.length)) w.resolve();
    return new Response(null, { status: e.status });
  });
  e.url = `http://127.0.0.1:${server.addr.port}/notify`;
  return e;
}

async function start(http: Endpoint, storage: Storage = memoryStorage()): Promise<TestServer> {
  return await testServer({
    users: ["a@localhost", "b@localhost"],
    storage,
    push: { relay: { endpoint: http.url, token: "relay-token" } },
  });
}

const optionsForm = xml(
  "x",
  { xmlns: NS.DATA_FORMS, type: "submit" },
  xml(
    "field",
    { var: "FORM_TYPE" },
    xml("value", null, "http://jabber.org/protocol/pubsub#publish-options"),
  ),
  xml("field", { var: "device" }, xml("value", null, "fcm:abc123")),
);

Deno.test("pushRelay() POSTs a JSON summary without the message to its endpoint", async () => {
  const http = endpoint();
  const t = await start(http);
  try {
    const a = await t.connect("a@localhost/phone");
    // The relay is a pubsub service of type push (XEP-0357 §4) listed by the server.
    const info = await a.iq(
      xml("iq", { type: "get", to: RELAY }, xml("query", { xmlns: NS.DISCO_INFO })),
    );
    assert.ok(JSON.stringify(info).includes('"category":"pubsub","type":"push"'));
    await a.iq(
      xml(
        "iq",
        { type: "set" },
        xml("enable", { xmlns: PUSH, jid: RELAY, node: "dev1" }, optionsForm),
      ),
    );
    await a.close();
    const b = await t.connect("b@localhost/desk");
    await b.send(
      xml("message", { to: "a@localhost", type: "chat" }, xml("body", null, "top secret")),
    );
    const req = await http.next(1);
    assert.equal(req.headers.get("authorization"), "Bearer relay-token");
    assert.equal(req.headers.get("content-type"), "application/json");
    assert.deepEqual(req.body, {
      account: "a@localhost",
      node: "dev1",
      messageCount: 1,
      lastMessageSender: "b@localhost/desk",
      options: { device: "fcm:abc123" },
    });
    assert.ok(!JSON.stringify(req.body).includes("top secret"));
  } finally {
    await t.close();
    await http.close();
  }
});

Deno.test("pushRelay() answers 410 with item-not-found, and the push module disables the registration", async () => {
  const http = endpoint();
  http.status = 410;
  const storage = memoryStorage();
  const t = await start(http, storage);
  try {
    const a = await t.connect("a@localhost/phone");
    await a.iq(
      xml("iq", { type: "set" }, xml("enable", { xmlns: PUSH, jid: RELAY, node: "gone" })),
    );
    await a.close();
    const b = await t.connect("b@localhost/desk");
    await b.send(xml("message", { to: "a@localhost", type: "chat" }, xml("body", null, "x")));
    await http.next(1);
    const deadline = Date.now() + 3000;
    while (await storage.documents.get("push:registrations", "a@localhost")) {
      if (Date.now() > deadline) throw new Error("The registration was not disabled");
      await new Promise((r) => setTimeout(r, 5));
    }
    // Published directly, the relay's answer is the endpoint's: a 500 is a wait error.
    http.status = 500;
    const publish = (id: string) =>
      xml(
        "iq",
        { type: "set", to: RELAY, id },
        xml(
          "pubsub",
          { xmlns: NS.PUBSUB },
          xml("publish", { node: "n" }, xml("item", null, xml("notification", { xmlns: PUSH }))),
        ),
      );
    await assert.rejects(b.iq(publish("p1")), /remote-server-timeout/);
    http.status = 404;
    await assert.rejects(b.iq(publish("p2")), /item-not-found/);
    http.status = 200;
    assert.equal((await b.iq(publish("p3"))).attrs.type, "result");
    assert.equal(http.requests.length, 4);
  } finally {
    await t.close();
    await http.close();
  }
});

Deno.test("pushRelay() takes publishes only from local accounts, and https endpoints", async () => {
  assert.throws(() => pushRelay({ endpoint: "http://push.example.net/" }), TypeError);
  assert.throws(() => pushRelay({ endpoint: "not a url" }), TypeError);
  const posts: unknown[] = [];
  const t = await testServer({
    users: ["a@localhost"],
    modules: [
      pushRelay({
        endpoint: "https://push.example.net/notify",
        fetch: (_url, init) => {
          posts.push(init?.body);
          return Promise.resolve(new Response(null, { status: 204 }));
        },
      }),
      {
        name: "capture-remote",
        setup(api) {
          // Answers the relay sends to a remote JID stop here.
          api.hook("stanza/remote", ({ stanza }) => {
            replies.push(stanza);
            return HANDLED;
          });
        },
      },
    ],
  });
  const replies: Element[] = [];
  try {
    await t.server.router.route(xml(
      "iq",
      { type: "set", id: "r1", from: "mallory@evil.example/x", to: RELAY },
      xml(
        "pubsub",
        { xmlns: NS.PUBSUB },
        xml("publish", { node: "n" }, xml("item", null, xml("notification", { xmlns: PUSH }))),
      ),
    ));
    assert.equal(posts.length, 0);
    assert.equal(replies[0]?.attrs.type, "error");
    assert.ok(JSON.stringify(replies[0]).includes("forbidden"));
  } finally {
    await t.close();
  }
});

Deno.test("pushRelay() limits the POSTs one account causes (resource-constraint, wait)", async () => {
  assert.throws(
    () => pushRelay({ endpoint: "https://x.example/", perAccount: { burst: 0, perMinute: 1 } }),
    RangeError,
  );
  let posts = 0;
  const t = await testServer({
    users: ["a@localhost"],
    modules: [
      pushRelay({
        endpoint: "https://push.example.net/notify",
        perAccount: { burst: 2, perMinute: 1 },
        fetch: () => {
          posts++;
          return Promise.resolve(new Response(null, { status: 204 }));
        },
      }),
    ],
  });
  try {
    const a = await t.connect("a@localhost/r");
    const publish = (id: string) =>
      xml(
        "iq",
        { type: "set", to: RELAY, id },
        xml(
          "pubsub",
          { xmlns: NS.PUBSUB },
          xml("publish", { node: "n" }, xml("item", null, xml("notification", { xmlns: PUSH }))),
        ),
      );
    await a.iq(publish("r1"));
    await a.iq(publish("r2"));
    await assert.rejects(a.iq(publish("r3")), /resource-constraint/);
    assert.equal(posts, 2);
  } finally {
    await t.close();
  }
});

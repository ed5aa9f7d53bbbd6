// BOSH (XEP-0124, XEP-0206) with raw HTTP requests: session creation, SASL, restart, bind,
// chat with a TCP client, terminate; and bad input.
import assert from "node:assert/strict";
import { xml } from "@xmpp/client";
import { connect, type LtxElement } from "../../scenarios/_harness.ts";
import { startWeb, test } from "./_web.ts";

const NS_BOSH = "http://jabber.org/protocol/httpbind";

class Bosh {
  rid = 1000 + Math.floor(Math.random() * 1000);
  sid = "";
  constructor(readonly url: string) {}
  async post(attrs: Record<string, string>, content = "", rid = this.rid++): Promise<string> {
    const a = Object.entries({ rid: String(rid), ...(this.sid ? { sid: this.sid } : {}), ...attrs })
      .map(([k, v]) => ` ${k}='${v}'`).join("");
    const res = await fetch(this.url, {
      method: "POST",
      headers: { "content-type": "text/xml; charset=utf-8" },
      body: `<body xmlns='${NS_BOSH}' xmlns:xmpp='urn:xmpp:xbosh'${a}>${content}</body>`,
    });
    assert.equal(res.status, 200);
    return await res.text();
  }
  async create(): Promise<string> {
    const r = await this.post({
      to: "localhost",
      wait: "5",
      hold: "1",
      "xml:lang": "en",
      "xmpp:version": "1.0",
      ver: "1.11",
    });
    this.sid = /sid='([^']+)'/.exec(r)![1];
    return r;
  }
  /** Logs in with PLAIN (allowed over http:// only when configured), restarts and binds. */
  async login(user: string, password: string): Promise<string> {
    const creation = await this.create();
    assert.match(creation, /PLAIN/);
    const auth = btoa(`\0${user}\0${password}`);
    const ok = await this.post(
      {},
      `<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>${auth}</auth>`,
    );
    assert.match(ok, /<success/);
    const features = await this.post({ "xmpp:restart": "true", to: "localhost" });
    assert.match(features, /urn:ietf:params:xml:ns:xmpp-bind/);
    const bound = await this.post(
      {},
      "<iq xmlns='jabber:client' type='set' id='b1'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'><resource>web</resource></bind></iq>",
    );
    return /<jid>([^<]+)<\/jid>/.exec(bound)![1];
  }
}

test("BOSH: session creation attributes (XEP-0124 §7.1, XEP-0206 §4)", async () => {
  const web = await startWeb();
  try {
    const b = new Bosh(`http://${web.base}/http-bind`);
    const r = await b.create();
    for (const attr of ["sid", "wait", "hold", "requests", "inactivity", "polling", "ver"]) {
      assert.match(r, new RegExp(` ${attr}='[^']+'`), attr);
    }
    assert.match(r, / from='localhost'/);
    assert.match(r, / authid='[0-9a-f]+'/);
    assert.match(r, / xmpp:version='1.0'/);
    assert.match(r, /<stream:features>/);
    assert.match(r, /SCRAM-SHA-1/);
    assert.ok(!r.includes("PLAIN"), "no PLAIN over http:// by default");
    const end = await b.post({ type: "terminate" });
    assert.match(end, /type='terminate'/);
  } finally {
    await web.close();
  }
});

test("BOSH: log in, restart, bind, and chat with a TCP client", async () => {
  const web = await startWeb({ bosh: { allowPlainWithoutTls: true } });
  try {
    const b = new Bosh(`http://${web.base}/http-bind`);
    const jid = await b.login("alice", "alice-pw");
    assert.equal(jid, "alice@localhost/web");
    const bob = await connect(web.port, "bob", "bob-pw", { resource: "tcp" });
    try {
      await b.post(
        {},
        "<message xmlns='jabber:client' to='bob@localhost/tcp' type='chat'><body>from bosh</body></message>",
      );
      const got = await bob.next((s: LtxElement) => s.is("message"), "message at bob");
      assert.equal(got.getChildText("body"), "from bosh");
      assert.equal(got.attrs.from, "alice@localhost/web");
      // A held request gets bob's message as soon as it arrives.
      const waiting = b.post({});
      await new Promise((r) => setTimeout(r, 100));
      await bob.xmpp.send(xml("message", { to: jid, type: "chat" }, xml("body", {}, "to bosh")));
      const r = await waiting;
      assert.match(r, /<body>to bosh<\/body>/);
    } finally {
      await bob.stop();
    }
    assert.match(await b.post({ type: "terminate" }), /type='terminate'/);
  } finally {
    await web.close();
  }
});

test("BOSH: requests out of order are processed in rid order", async () => {
  const web = await startWeb({ bosh: { allowPlainWithoutTls: true } });
  try {
    const b = new Bosh(`http://${web.base}/http-bind`);
    await b.create();
    const first = b.rid;
    const auth = btoa("\0alice\0alice-pw");
    // rid+1 (empty) arrives before rid (auth): it waits for rid.
    const later = b.post({}, "", first + 1);
    await new Promise((r) => setTimeout(r, 50));
    const earlier = b.post(
      {},
      `<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>${auth}</auth>`,
      first,
    );
    const both = (await earlier) + (await later);
    assert.match(both, /<success/);
  } finally {
    await web.close();
  }
});

test("BOSH: more simultaneous requests than 'requests' is policy-violation (XEP-0124 §11)", async () => {
  const web = await startWeb();
  try {
    const b = new Bosh(`http://${web.base}/http-bind`);
    assert.match(await b.create(), /requests='2'/);
    const first = b.rid;
    // One request held, one waiting for its predecessor: the client's two are out.
    const held = b.post({}, "", first);
    await new Promise((r) => setTimeout(r, 50));
    const waiting = b.post({}, "", first + 2);
    await new Promise((r) => setTimeout(r, 50));
    const third = await b.post({}, "", first + 1);
    assert.match(third, /type='terminate' condition='policy-violation'/);
    assert.match(await held, /type='terminate' condition='policy-violation'/);
    assert.match(await waiting, /type='terminate' condition='policy-violation'/);
  } finally {
    await web.close();
  }
});

test("BOSH: a stale rid, a rid beyond the window and an unknown sid get item-not-found (XEP-0124 §14.3)", async () => {
  const web = await startWeb();
  try {
    const other = new Bosh(`http://${web.base}/http-bind`);
    await other.create();
    const b = new Bosh(`http://${web.base}/http-bind`);
    await b.create();
    const stale = await b.post({}, "", b.rid - 50);
    assert.match(stale, /type='terminate' condition='item-not-found'/);
    // The session is gone: its sid is now unknown.
    const gone = await b.post({});
    assert.match(gone, /type='terminate' condition='item-not-found'/);
    const c = new Bosh(`http://${web.base}/http-bind`);
    await c.create();
    const ahead = await c.post({}, "", c.rid + 10);
    assert.match(ahead, /condition='item-not-found'/);
    // Other sessions are untouched.
    const alive = other.post({ type: "terminate" });
    assert.match(await alive, /type='terminate'/);
    assert.ok(!(await alive).includes("condition="));
  } finally {
    await web.close();
  }
});

test("BOSH: a replayed rid whose answer was sent gets the same answer (XEP-0124 §14.3)", async () => {
  const web = await startWeb();
  try {
    const b = new Bosh(`http://${web.base}/http-bind`);
    const created = await b.create();
    const replay = await b.post({}, "", b.rid - 1);
    assert.equal(replay, created);
  } finally {
    await web.close();
  }
});

test("BOSH: a body over the limit gets policy-violation; malformed gets bad-request", async () => {
  const web = await startWeb({ bosh: { maxBodyBytes: 10_000 } });
  try {
    const b = new Bosh(`http://${web.base}/http-bind`);
    await b.create();
    const huge = await b.post(
      {},
      `<message xmlns='jabber:client'><body>${"x".repeat(20_000)}</body></message>`,
    );
    assert.match(huge, /type='terminate' condition='policy-violation'/);
    const res = await fetch(`http://${web.base}/http-bind`, { method: "POST", body: "<body" });
    assert.match(await res.text(), /condition='bad-request'/);
    const forbidden = await fetch(`http://${web.base}/http-bind`, {
      method: "POST",
      headers: { origin: "https://evil.example" },
      body: "<body/>",
    });
    assert.equal(forbidden.status, 403);
    await forbidden.body?.cancel();
  } finally {
    await web.close();
  }
});

// XEP-0313 message archive with real clients: xmpp.js pages the archive with raw IQs both ways
// (with the stanza-ids it saw live), and Debian's slixmpp (1.8.3) pages it with its xep_0313
// plugin (forms, RSM iterator, metadata).
import assert from "node:assert/strict";
import { xml } from "@xmpp/client";
import { connect, type LtxElement, startServer, type TestClient } from "./_harness.ts";
import { iq } from "./_iq.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };
const MAM = "urn:xmpp:mam:2";
const RSM = "http://jabber.org/protocol/rsm";
const SID = "urn:xmpp:sid:0";
const PYTHON = "/usr/bin/python3"; // Debian's python, which has slixmpp; not pyenv's
const SCRIPT = new URL("./_slixmpp_mam.py", import.meta.url).pathname;

interface Page {
  ids: string[];
  bodies: string[];
  complete: boolean;
  first?: string;
  index?: string;
  last?: string;
  count?: string;
}

let queries = 0;

/** One MAM query over xmpp.js: the results it pushed, then its <fin/>. */
async function mamPage(
  c: TestClient,
  set: Record<string, string>,
  ...extra: ReturnType<typeof xml>[]
): Promise<Page> {
  const queryid = `q${++queries}`;
  const results: LtxElement[] = [];
  const collect = (s: LtxElement) => {
    if (s.is("message") && s.getChild("result", MAM)?.attrs.queryid === queryid) results.push(s);
  };
  c.xmpp.on("stanza", collect);
  try {
    const rsm = xml("set", { xmlns: RSM }, ...Object.entries(set).map(([k, v]) => xml(k, {}, v)));
    const reply = await iq(c, "set", xml("query", { xmlns: MAM, queryid }, ...extra, rsm));
    assert.equal(reply.attrs.type, "result", reply.toString());
    const fin = reply.getChild("fin", MAM)!;
    const s = fin.getChild("set", RSM)!;
    return {
      ids: results.map((r) => r.getChild("result", MAM)!.attrs.id),
      bodies: results.map((r) =>
        r.getChild("result", MAM)!.getChild("forwarded", "urn:xmpp:forward:0")!
          .getChild("message")!.getChildText("body")!
      ),
      complete: fin.attrs.complete === "true",
      first: s.getChildText("first") ?? undefined,
      index: s.getChild("first")?.attrs.index,
      last: s.getChildText("last") ?? undefined,
      count: s.getChildText("count") ?? undefined,
    };
  } finally {
    c.xmpp.removeListener("stanza", collect);
  }
}

Deno.test({
  name: "mam: xmpp.js pages an archive forwards and backwards with the ids it saw live",
  ...opts,
  async fn() {
    const t = await startServer();
    const clients: TestClient[] = [];
    try {
      const alice = await connect(t.port, "alice", "alice-pw", { resource: "phone" });
      const bob = await connect(t.port, "bob", "bob-pw", { resource: "desk" });
      clients.push(alice, bob);
      await bob.xmpp.send(xml("presence"));
      await iq(bob, "get", xml("ping", { xmlns: "urn:xmpp:ping" }));
      const N = 25;
      const live: string[] = [];
      for (let i = 0; i < N; i++) {
        await alice.xmpp.send(
          xml(
            "message",
            { to: "bob@localhost", type: "chat", id: `n${i}` },
            xml("body", {}, `n${i}`),
          ),
        );
      }
      for (let i = 0; i < N; i++) {
        const m = await bob.next((s) => s.is("message") && s.attrs.id === `n${i}`, `n${i}`);
        const sid = m.getChild("stanza-id", SID)!;
        assert.equal(sid.attrs.by, "bob@localhost");
        live.push(sid.attrs.id);
      }
      // Forwards, 10 at a time, each page after the last id of the one before.
      const forward: string[] = [];
      let after: string | undefined;
      for (let n = 0;; n++) {
        const page = await mamPage(bob, { max: "10", ...(after ? { after } : {}) });
        assert.equal(page.index, String(n * 10));
        assert.equal(page.count, String(N));
        forward.push(...page.ids);
        assert.equal(page.complete, forward.length === N);
        if (page.complete) break;
        after = page.last;
      }
      assert.deepEqual(forward, live);
      // Backwards from the end, each page before the first id of the one after it.
      const backward: string[][] = [];
      let before = "";
      for (;;) {
        const page = await mamPage(bob, { max: "10", before });
        backward.unshift(page.ids);
        assert.deepEqual(page.bodies, page.ids.map((id) => `n${live.indexOf(id)}`));
        if (page.complete) break;
        before = page.first!;
      }
      assert.deepEqual(backward.map((p) => p.length), [5, 10, 10]);
      assert.deepEqual(backward.flat(), live);
      // A flipped page comes newest first.
      const flipped = await mamPage(bob, { max: "3", before: "" }, xml("flip-page", {}));
      assert.deepEqual(flipped.ids, live.slice(-3).reverse());
      // Alice's archive has what she sent, under ids of her own.
      const sent = await mamPage(alice, { max: "100" });
      assert.deepEqual([sent.bodies.length, sent.count], [N, String(N)]);
      assert.equal(sent.ids.some((id) => live.includes(id)), false);
      // An id that is not there.
      const missing = await iq(
        bob,
        "set",
        xml("query", { xmlns: MAM }, xml("set", { xmlns: RSM }, xml("after", {}, "nope"))),
      );
      assert.equal(missing.attrs.type, "error");
      assert.ok(missing.getChild("error")!.getChild("item-not-found"));
    } finally {
      for (const c of clients) await c.stop();
      await t.close();
    }
  },
});

/** Runs the slixmpp script and returns its exit code and event lines; killed after 60 s. */
async function slixmpp(port: number): Promise<{ code: number; lines: string[] }> {
  const child = new Deno.Command(PYTHON, {
    args: [SCRIPT, String(port), "bob@localhost", "bob-pw", "alice@localhost"],
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const timer = setTimeout(() => child.kill("SIGKILL"), 60_000);
  try {
    const { code, stdout, stderr } = await child.output();
    const lines = new TextDecoder().decode(stdout).trim().split("\n");
    if (code !== 0) lines.push(...new TextDecoder().decode(stderr).trim().split("\n").slice(-8));
    return { code, lines };
  } finally {
    clearTimeout(timer);
  }
}

Deno.test({
  name: "mam: slixmpp pages an archive with its xep_0313 plugin, both ways",
  ...opts,
  async fn() {
    const t = await startServer();
    try {
      const alice = await connect(t.port, "alice", "alice-pw", { resource: "phone" });
      const carol = await connect(t.port, "carol", "carol-pw", { resource: "r" });
      // Bob is offline: the messages wait in offline storage and in his archive.
      for (let i = 0; i < 23; i++) {
        await alice.xmpp.send(
          xml("message", { to: "bob@localhost", type: "chat" }, xml("body", {}, `a${i}`)),
        );
        if (i % 10 === 0) {
          await carol.xmpp.send(
            xml("message", { to: "bob@localhost", type: "chat" }, xml("body", {}, `c${i}`)),
          );
        }
      }
      await iq(alice, "get", xml("ping", { xmlns: "urn:xmpp:ping" }));
      await iq(carol, "get", xml("ping", { xmlns: "urn:xmpp:ping" }));
      await alice.stop();
      await carol.stop();
      const run = await slixmpp(t.port);
      assert.equal(run.code, 0, run.lines.join("\n"));
      const a = (from: number, to: number) =>
        Array.from({ length: to - from }, (_, i) => `a${from + i}`).join(" ");
      assert.deepEqual(run.lines, [
        "fields FORM_TYPE after-id before-id end ids start with",
        "metadata start end",
        // Forwards with slixmpp's RSM iterator, 10 at a time, only Alice's messages.
        "page 10 0 23",
        "page 10 10 23",
        "page 3 20 23",
        `forward ${a(0, 23)}`,
        // Backwards with the same iterator: the last page, then the pages before it.
        `backward ${a(13, 23)}`,
        `backward ${a(3, 13)}`,
        `backward ${a(0, 3)} complete`,
        // All of it, with Carol's too.
        "all 26",
        "done",
      ]);
    } finally {
      await t.close();
    }
  },
});

// XEP-0280 carbons between real clients: xmpp.js resources of one account, and Debian's
// slixmpp (its xep_0280 and xep_0198 plugins) as a second device.
import assert from "node:assert/strict";
import { xml } from "@xmpp/client";
import {
  connect,
  type LtxElement,
  startServer,
  type TestClient,
  waitFor,
  withTimeout,
} from "./_harness.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };
const CARBONS = "urn:xmpp:carbons:2";
const FORWARD = "urn:xmpp:forward:0";
const PYTHON = "/usr/bin/python3"; // Debian's python, which has slixmpp; not pyenv's
const SCRIPT = new URL("./_slixmpp_mobile.py", import.meta.url).pathname;

/** The direction and message of a carbon copy. */
function carbon(s: LtxElement): { direction: string; message: LtxElement } | undefined {
  for (const direction of ["received", "sent"]) {
    const message = s.getChild(direction, CARBONS)?.getChild("forwarded", FORWARD)?.getChild(
      "message",
    );
    if (message) return { direction, message };
  }
  return undefined;
}

/** Every message a client gets, as "id" or "direction:id" for a copy. */
function record(c: TestClient): string[] {
  const got: string[] = [];
  c.xmpp.on("stanza", (s: LtxElement) => {
    if (!s.is("message")) return;
    const copy = carbon(s);
    if (copy) {
      // XEP-0280 §9: a copy comes from the account's own bare JID.
      assert.equal(s.attrs.from, "alice@localhost");
      got.push(`${copy.direction}:${copy.message.attrs.id}`);
    } else got.push(s.attrs.id);
  });
  return got;
}

const chat = (to: string, id: string, ...extra: ReturnType<typeof xml>[]) =>
  xml("message", { to, id, type: "chat" }, xml("body", {}, id), ...extra);

Deno.test({
  name: "carbons: xmpp.js resources get received and sent copies; private and no-copy stay put",
  ...opts,
  async fn() {
    const t = await startServer();
    const clients: TestClient[] = [];
    try {
      const phone = await connect(t.port, "alice", "alice-pw", { resource: "phone" });
      const desk = await connect(t.port, "alice", "alice-pw", { resource: "desk" });
      const tv = await connect(t.port, "alice", "alice-pw", { resource: "tv" });
      const bob = await connect(t.port, "bob", "bob-pw", { resource: "x" });
      clients.push(phone, desk, tv, bob);
      const info = await phone.xmpp.iqCaller.request(
        xml(
          "iq",
          { type: "get", to: "localhost" },
          xml("query", {
            xmlns: "http://jabber.org/protocol/disco#info",
          }),
        ),
      );
      assert.ok(
        info.getChild("query").getChildren("feature").some((f: LtxElement) =>
          f.attrs.var === CARBONS
        ),
      );
      for (const c of [phone, desk]) {
        await c.xmpp.iqCaller.set(xml("enable", { xmlns: CARBONS }));
      }
      const [atPhone, atDesk, atTv, atBob] = [phone, desk, tv, bob].map(record);

      await bob.xmpp.send(chat("alice@localhost/phone", "r1"));
      await waitFor(() => atDesk.includes("received:r1"), "the copy of r1");
      await phone.xmpp.send(chat("bob@localhost/x", "s1"));
      await phone.xmpp.send(chat("bob@localhost/x", "p1", xml("private", { xmlns: CARBONS })));
      await waitFor(() => atBob.includes("p1"), "p1 at bob");
      await bob.xmpp.send(
        chat("alice@localhost/phone", "n1", xml("no-copy", { xmlns: "urn:xmpp:hints" })),
      );
      await bob.xmpp.send(
        xml("message", { to: "alice@localhost/phone", id: "g1", type: "groupchat" }, "x"),
      );
      await bob.xmpp.send(chat("alice@localhost/phone", "end"));
      await waitFor(() => atDesk.includes("received:end"), "the last copy at desk");
      await waitFor(() => atPhone.includes("end") && atBob.includes("p1"), "the originals");

      assert.deepEqual(atDesk, ["received:r1", "sent:s1", "received:end"]);
      assert.deepEqual(atPhone, ["r1", "n1", "g1", "end"]);
      assert.deepEqual(atBob, ["s1", "p1"]);
      assert.deepEqual(atTv, [], "tv did not enable carbons");

      // Disabled on desk: no more copies there.
      await desk.xmpp.iqCaller.set(xml("disable", { xmlns: CARBONS }));
      await bob.xmpp.send(chat("alice@localhost/phone", "r2"));
      await waitFor(() => atPhone.includes("r2"), "r2 at phone");
      await bob.xmpp.send(chat("alice@localhost/desk", "direct"));
      await waitFor(() => atDesk.includes("direct"), "a direct message at desk");
      assert.deepEqual(atDesk.slice(3), ["direct"]);
    } finally {
      for (const c of clients) await c.stop();
      await t.close();
    }
  },
});

/** Runs the slixmpp device; resolves its lines as they come. */
function slixmpp(port: number) {
  const child = new Deno.Command(PYTHON, {
    args: [SCRIPT, String(port), "alice@localhost/tablet", "alice-pw"],
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const timer = setTimeout(() => child.kill("SIGKILL"), 40_000);
  const lines: string[] = [];
  const reading = (async () => {
    let rest = "";
    for await (const chunk of child.stdout.pipeThrough(new TextDecoderStream())) {
      rest += chunk;
      const parts = rest.split("\n");
      rest = parts.pop()!;
      lines.push(...parts);
    }
  })();
  const stderr = new Response(child.stderr).text();
  return {
    lines,
    async done() {
      const status = await child.status;
      clearTimeout(timer);
      await reading;
      return { code: status.code, stderr: await stderr };
    },
  };
}

Deno.test({
  name: "carbons: slixmpp with stream management gets the copies of what another resource does",
  ...opts,
  async fn() {
    const t = await startServer();
    let phone: TestClient | undefined, bob: TestClient | undefined;
    try {
      phone = await connect(t.port, "alice", "alice-pw", { resource: "phone" });
      bob = await connect(t.port, "bob", "bob-pw", { resource: "x" });
      const tablet = slixmpp(t.port);
      await waitFor(
        () => tablet.lines.includes("carbons_enabled"),
        "slixmpp to enable carbons",
        20_000,
      );
      await bob.xmpp.send(chat("alice@localhost/phone", "r1"));
      await phone.xmpp.send(chat("bob@localhost/x", "s1"));
      await bob.xmpp.send(chat("alice@localhost/phone", "p1", xml("private", { xmlns: CARBONS })));
      await waitFor(
        () => tablet.lines.some((l) => l.startsWith("carbon_sent")),
        "the sent copy at slixmpp",
      );
      await bob.xmpp.send(chat("alice@localhost/tablet", "quit"));
      const { code, stderr } = await withTimeout(tablet.done(), "slixmpp to finish", 30_000);
      const lines = tablet.lines;
      const bye = await bob.next((s) => s.getChildText("body") === "bye", "slixmpp's bye");
      assert.equal(bye.attrs.from, "alice@localhost/tablet");
      assert.equal(code, 0, `${lines.join("\n")}\n${stderr}`);
      assert.ok(lines.includes("sm_enabled True"), lines.join("\n"));
      assert.ok(lines.includes("carbon_received bob@localhost/x r1"), lines.join("\n"));
      assert.ok(lines.includes("carbon_sent bob@localhost/x s1"), lines.join("\n"));
      assert.ok(!lines.some((l) => l.includes("p1")), "a private message is not copied");
      assert.ok(!lines.some((l) => l.startsWith("stream_error")), lines.join("\n"));
      // The server acknowledged slixmpp's stanzas (XEP-0198 §4).
      assert.ok(lines.some((l) => l.startsWith("acked")), lines.join("\n"));
    } finally {
      await phone?.stop();
      await bob?.stop();
      await t.close();
    }
  },
});

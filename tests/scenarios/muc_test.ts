// XEP-0045 group chat with real clients: xmpp.js (@xmpp/client) as the room's owner, and
// Debian's slixmpp (1.8.3) with its xep_0045 plugin joining, chatting and creating a room
// (issue #13 item 1).
import assert from "node:assert/strict";
import { xml } from "@xmpp/client";
import { pgliteStorage } from "../../adapters/postgres/pglite.ts";
import { connect, startServer, type TestClient, withTimeout } from "./_harness.ts";
import { createInstantRoom, MUC, MUC_USER, statusCodes as codes } from "./_muc.ts";

const PYTHON = "/usr/bin/python3"; // Debian's python, which has slixmpp; not pyenv's
const SCRIPT = new URL("./_slixmpp_muc.py", import.meta.url).pathname;
const ROOM = "tea@conference.localhost";
const OWN = "slix@conference.localhost";

async function slixmpp(port: number): Promise<{ code: number; lines: string[] }> {
  const child = new Deno.Command(PYTHON, {
    args: [SCRIPT, String(port), "bob@localhost", "bob-pw"],
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const timer = setTimeout(() => child.kill("SIGKILL"), 45_000);
  try {
    const { code, stdout, stderr } = await child.output();
    const lines = new TextDecoder().decode(stdout).trim().split("\n");
    if (code !== 0) lines.push(...new TextDecoder().decode(stderr).trim().split("\n").slice(-8));
    return { code, lines };
  } finally {
    clearTimeout(timer);
  }
}

/** Alice creates the room with xmpp.js, gives it a subject and some history. */
async function openRoom(alice: TestClient): Promise<void> {
  await alice.xmpp.send(xml("presence"));
  const self = await createInstantRoom(alice, ROOM, "Alice");
  assert.deepEqual(codes(self).sort(), ["110", "170", "201"]);
  assert.equal(self.getChild("x", MUC_USER)?.getChild("item")?.attrs.affiliation, "owner");
  await alice.xmpp.send(
    xml("message", { to: ROOM, type: "groupchat" }, xml("subject", {}, "Tea talk")),
  );
  for (const body of ["first", "second"]) {
    await alice.xmpp.send(xml("message", { to: ROOM, type: "groupchat" }, xml("body", {}, body)));
    await alice.next((s) => s.is("message") && s.getChildText("body") === body, body);
  }
}

for (const driver of ["memory", "PGlite"] as const) {
  Deno.test({
    name: `slixmpp and xmpp.js on ${driver}: history, subject, chat, private message, own room, ` +
      "invitation, admin lists, kick, moderation",
    sanitizeOps: false,
    sanitizeResources: false,
    fn: () => scenario(driver),
  });
}

async function scenario(driver: "memory" | "PGlite"): Promise<void> {
  const t = await startServer(driver === "PGlite" ? { storage: await pgliteStorage() } : {});
  let alice: TestClient | undefined;
  try {
    alice = await connect(t.port, "alice", "alice-pw", { resource: "owner" });
    const a = alice;
    await openRoom(a);
    // Alice welcomes slixmpp's Bob once he speaks.
    const conversation = (async () => {
      const hello = await a.next(
        (s) => s.is("message") && s.getChildText("body") === "hello from slixmpp",
        "Bob's groupchat message",
        30_000,
      );
      await a.xmpp.send(
        xml("message", { to: ROOM, type: "groupchat" }, xml("body", {}, "welcome Bob")),
      );
      const pm = await a.next(
        (s) => s.is("message") && s.getChildText("body") === "psst",
        "Bob's private message",
        30_000,
      );
      // Bob invites Alice to his own room; she enters, and he kicks her.
      const invitation = await a.next(
        (s) =>
          s.is("message") && s.attrs.from === OWN &&
          !!s.getChild("x", MUC_USER)?.getChild("invite"),
        "Bob's invitation",
        30_000,
      );
      await a.xmpp.send(xml("presence", { to: `${OWN}/Alice` }, xml("x", { xmlns: MUC })));
      const kicked = await a.next(
        (s) =>
          s.is("presence") && s.attrs.from === `${OWN}/Alice` && s.attrs.type === "unavailable",
        "Alice kicked from Bob's room",
        30_000,
      );
      return { hello, pm, invitation, kicked };
    })();
    const run = await slixmpp(t.port);
    assert.equal(run.code, 0, run.lines.join("\n"));
    const { hello, pm, invitation, kicked } = await withTimeout(conversation, "the conversation");
    const invite = invitation.getChild("x", MUC_USER)!.getChild("invite")!;
    assert.equal(invite.attrs.from?.split("/")[0], "bob@localhost");
    assert.equal(invite.getChildText("reason"), "Come in");
    assert.deepEqual(codes(kicked).sort(), ["110", "307"]);
    assert.equal(kicked.getChild("x", MUC_USER)!.getChild("item")!.getChildText("reason"), "bye");
    assert.equal(hello.attrs.from, `${ROOM}/Bob`);
    assert.equal(hello.attrs.type, "groupchat");
    assert.equal(pm.attrs.from, `${ROOM}/Bob`);
    assert.equal(pm.attrs.type, "chat");
    assert.ok(pm.getChild("x", MUC_USER));
    const lines = run.lines.filter((l) => !/^(None|<delay)/.test(l));
    const expected = [
      "join_error conflict",
      "joined 110 170",
      "occupants Alice Bob", // slixmpp counts its own presence too
      "history first",
      "history second",
      "subject Tea talk",
      "roster Alice Bob",
      "groupchat Alice welcome Bob",
      "created 110 170 201",
      "configured True True",
      "members alice@localhost",
      "kicked",
      "last_owner conflict",
      "stanza_id by-room",
      "moderated True slix@conference.localhost/Bob",
      "config_error forbidden",
      "left",
      "done",
    ];
    assert.deepEqual(lines.filter((l) => expected.includes(l)), expected, run.lines.join("\n"));
    // Alice saw Bob come and go.
    await a.next(
      (s) => s.is("presence") && s.attrs.from === `${ROOM}/Bob` && s.attrs.type === "unavailable",
      "Bob leaving",
    );
  } finally {
    await alice?.stop();
    await t.close();
  }
}

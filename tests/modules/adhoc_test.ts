// XEP-0050 ad-hoc commands and the XEP-0133 admin commands, over the testing kit.
import assert from "node:assert/strict";
import { testServer } from "../../src/testing/mod.ts";
import type { TestClient } from "../../src/testing/mod.ts";
import { child, type Element, elements, text, xml } from "../../src/xml/element.ts";
import { NS } from "../../src/xml/ns.ts";
import { CommandRegistry } from "../../src/modules/command_registry.ts";
import { dataForm } from "../../src/modules/data_form.ts";

let n = 0;

/** Sends an iq and returns the reply, result or error. */
async function ask(c: TestClient, type: "get" | "set", payload: Element, to = "localhost") {
  const id = `q${++n}`;
  await c.send(xml("iq", { type, id, to }, payload));
  return await c.next((e) => e.name === "iq" && e.attrs.id === id);
}

function errorOf(reply: Element): { condition?: string; app?: string } {
  const error = child(reply, "error");
  const kids = error ? elements(error) : [];
  return {
    condition: kids.find((k) => k.xmlns === NS.STANZAS)?.name,
    app: kids.find((k) => k.xmlns === NS.COMMANDS)?.name,
  };
}

function command(attrs: Record<string, string>, form?: Element) {
  return xml("command", { xmlns: NS.COMMANDS, ...attrs }, form ?? []);
}

function submit(fields: Record<string, string | string[]>) {
  return dataForm(
    "submit",
    NS.ADMIN,
    Object.entries(fields).map(([k, v]) => ({ var: k, values: Array.isArray(v) ? v : [v] })),
  );
}

/** Runs a two-stage admin command: execute, then complete with the form's values. */
async function runAdmin(c: TestClient, name: string, fields: Record<string, string | string[]>) {
  const node = `${NS.ADMIN}#${name}`;
  const first = await ask(c, "set", command({ node, action: "execute" }));
  assert.equal(first.attrs.type, "result");
  const cmd = child(first, "command", NS.COMMANDS)!;
  assert.equal(cmd.attrs.status, "executing");
  assert.equal(child(cmd, "x", NS.DATA_FORMS)?.attrs.type, "form");
  return await ask(
    c,
    "set",
    command({ node, sessionid: cmd.attrs.sessionid!, action: "complete" }, submit(fields)),
  );
}

const ADMIN = "admin@localhost";

Deno.test("adhoc lists commands in disco#items of the commands node, admin ones for admins only", async () => {
  const t = await testServer({ users: [ADMIN, "bob@localhost"], admins: [ADMIN] });
  try {
    const admin = await t.connect(`${ADMIN}/r`);
    const bob = await t.connect("bob@localhost/r");
    const items = async (c: TestClient) => {
      const r = await ask(c, "get", xml("query", { xmlns: NS.DISCO_ITEMS, node: NS.COMMANDS }));
      assert.equal(r.attrs.type, "result");
      const q = child(r, "query", NS.DISCO_ITEMS)!;
      assert.equal(q.attrs.node, NS.COMMANDS);
      return elements(q, "item").map((i) => i.attrs.node);
    };
    const adminNodes = await items(admin);
    assert.ok(adminNodes.includes("ping"));
    for (
      const name of [
        "add-user",
        "delete-user",
        "change-user-password",
        "get-online-users-list",
        "announce",
        "set-welcome",
        "delete-welcome",
      ]
    ) assert.ok(adminNodes.includes(`${NS.ADMIN}#${name}`), name);
    assert.deepEqual(await items(bob), ["ping"]);
    // XEP-0050 §2.1: the server advertises the commands feature; the node has its identity.
    const info = await ask(bob, "get", xml("query", { xmlns: NS.DISCO_INFO }));
    assert.ok(
      elements(child(info, "query")!, "feature").some((f) => f.attrs.var === NS.COMMANDS),
    );
    const nodeInfo = await ask(
      bob,
      "get",
      xml("query", { xmlns: NS.DISCO_INFO, node: NS.COMMANDS }),
    );
    const identity = child(child(nodeInfo, "query")!, "identity")!;
    assert.deepEqual([identity.attrs.category, identity.attrs.type], [
      "automation",
      "command-list",
    ]);
    const unknown = await ask(bob, "get", xml("query", { xmlns: NS.DISCO_ITEMS, node: "nope" }));
    assert.equal(errorOf(unknown).condition, "item-not-found");
  } finally {
    await t.close();
  }
});

Deno.test("adhoc ping command completes in one stage with a note", async () => {
  const t = await testServer({ users: ["bob@localhost"] });
  try {
    const bob = await t.connect("bob@localhost/r");
    const r = await ask(bob, "set", command({ node: "ping", action: "execute" }));
    const cmd = child(r, "command", NS.COMMANDS)!;
    assert.equal(cmd.attrs.status, "completed");
    assert.equal(cmd.attrs.node, "ping");
    assert.ok(cmd.attrs.sessionid);
    assert.equal(child(cmd, "note")?.attrs.type, "info");
  } finally {
    await t.close();
  }
});

Deno.test("adhoc refuses admin commands to non-admins with forbidden, and bad requests with XEP-0050 §6 errors", async () => {
  const t = await testServer({ users: [ADMIN, "bob@localhost"], admins: [ADMIN] });
  try {
    const bob = await t.connect("bob@localhost/r");
    const denied = await ask(
      bob,
      "set",
      command({ node: `${NS.ADMIN}#add-user`, action: "execute" }),
    );
    assert.equal(errorOf(denied).condition, "forbidden");
    const missing = await ask(bob, "set", command({ node: "nope", action: "execute" }));
    assert.equal(errorOf(missing).condition, "item-not-found");
    const malformed = await ask(bob, "set", command({ node: "ping", action: "jump" }));
    assert.deepEqual(errorOf(malformed), { condition: "bad-request", app: "malformed-action" });
    const badSession = await ask(
      bob,
      "set",
      command({ node: "ping", sessionid: "nope", action: "complete" }),
    );
    assert.deepEqual(errorOf(badSession), { condition: "bad-request", app: "bad-sessionid" });
    // Another user cannot continue the admin's session (XEP-0050 §4.4: bound to the full JID).
    const admin = await t.connect(`${ADMIN}/r`);
    const first = await ask(
      admin,
      "set",
      command({ node: `${NS.ADMIN}#announce`, action: "execute" }),
    );
    const sessionid = child(first, "command")!.attrs.sessionid!;
    const other = await t.connect(`${ADMIN}/other`);
    const stolen = await ask(
      other,
      "set",
      command({ node: `${NS.ADMIN}#announce`, sessionid, action: "complete" }),
    );
    assert.deepEqual(errorOf(stolen), { condition: "bad-request", app: "bad-sessionid" });
    // "next" was not offered: bad-action.
    const next = await ask(
      admin,
      "set",
      command({ node: `${NS.ADMIN}#announce`, sessionid, action: "next" }),
    );
    assert.deepEqual(errorOf(next), { condition: "bad-request", app: "bad-action" });
    // Cancel ends the session; it cannot be used afterwards.
    const canceled = await ask(
      admin,
      "set",
      command({ node: `${NS.ADMIN}#announce`, sessionid, action: "cancel" }),
    );
    assert.equal(child(canceled, "command")?.attrs.status, "canceled");
    const after = await ask(
      admin,
      "set",
      command({ node: `${NS.ADMIN}#announce`, sessionid, action: "complete" }),
    );
    assert.deepEqual(errorOf(after), { condition: "bad-request", app: "bad-sessionid" });
  } finally {
    await t.close();
  }
});

Deno.test("adhoc admin commands add a user, change its password and delete it", async () => {
  const t = await testServer({ users: [ADMIN], admins: [ADMIN] });
  try {
    const admin = await t.connect(`${ADMIN}/r`);
    const added = await runAdmin(admin, "add-user", {
      accountjid: "carol@localhost",
      password: "s3cret",
      "password-verify": "s3cret",
    });
    assert.equal(child(added, "command")?.attrs.status, "completed");
    const carol = await t.connect("carol@localhost/r", { password: "s3cret" });
    await carol.close();
    const again = await runAdmin(admin, "add-user", {
      accountjid: "carol@localhost",
      password: "x",
      "password-verify": "x",
    });
    assert.equal(errorOf(again).condition, "conflict");
    const mismatch = await runAdmin(admin, "add-user", {
      accountjid: "dave@localhost",
      password: "x",
      "password-verify": "y",
    });
    assert.equal(errorOf(mismatch).condition, "not-acceptable");
    assert.equal(await t.server.storage.accounts.exists("dave@localhost" as never), false);
    const foreign = await runAdmin(admin, "add-user", {
      accountjid: "eve@elsewhere.example",
      password: "x",
    });
    assert.equal(errorOf(foreign).condition, "not-allowed");
    const changed = await runAdmin(admin, "change-user-password", {
      accountjid: "carol@localhost",
      password: "n3w",
    });
    assert.equal(child(changed, "command")?.attrs.status, "completed");
    const carol2 = await t.connect("carol@localhost/r", { password: "n3w" });
    const gone = carol2.next((e) => e.name === "error");
    const deleted = await runAdmin(admin, "delete-user", { accountjids: ["carol@localhost"] });
    assert.equal(child(deleted, "command")?.attrs.status, "completed");
    await gone;
    assert.equal(await t.server.storage.accounts.exists("carol@localhost" as never), false);
  } finally {
    await t.close();
  }
});

Deno.test("adhoc admin commands list online users and announce to them", async () => {
  const t = await testServer({ users: [ADMIN, "bob@localhost"], admins: [ADMIN] });
  try {
    const admin = await t.connect(`${ADMIN}/r`);
    const bob = await t.connect("bob@localhost/phone");
    const listed = await runAdmin(admin, "get-online-users-list", { max_items: "25" });
    const form = child(child(listed, "command")!, "x", NS.DATA_FORMS)!;
    assert.equal(form.attrs.type, "result");
    const field = elements(form, "field").find((f) => f.attrs.var === "onlineuserjids")!;
    assert.deepEqual(elements(field, "value").map((v) => text(v)), [
      `${ADMIN}/r`,
      "bob@localhost/phone",
    ]);
    const heard = bob.next((e) => e.name === "message" && e.attrs.type === "headline");
    const announced = await runAdmin(admin, "announce", {
      subject: "Maintenance",
      announcement: ["Down at noon", "Back soon"],
    });
    assert.equal(child(announced, "command")?.attrs.status, "completed");
    const msg = await heard;
    assert.equal(msg.attrs.from, "localhost");
    assert.equal(text(child(msg, "body")), "Down at noon\nBack soon");
    assert.equal(text(child(msg, "subject")), "Maintenance");
  } finally {
    await t.close();
  }
});

Deno.test("adhoc commands registered by other modules run with multi-stage forms", async () => {
  const commands = new CommandRegistry();
  commands.registerCommand({
    node: "urn:example:greet",
    name: "Greet",
    run: ({ stage, fields }) =>
      stage === 0
        ? {
          status: "executing",
          actions: ["next"],
          form: dataForm("form", undefined, [{ var: "name", type: "text-single" }]),
        }
        : { status: "completed", notes: [{ text: `Hello ${fields.name?.[0]}` }] },
  });
  const t = await testServer({ users: ["bob@localhost"], commands });
  try {
    const bob = await t.connect("bob@localhost/r");
    const first = await ask(bob, "set", command({ node: "urn:example:greet" }));
    const cmd = child(first, "command")!;
    assert.equal(child(cmd, "actions")?.attrs.execute, "next");
    const done = await ask(
      bob,
      "set",
      command(
        { node: "urn:example:greet", sessionid: cmd.attrs.sessionid! },
        dataForm("submit", undefined, [{ var: "name", values: ["Bob"] }]),
      ),
    );
    assert.equal(text(child(child(done, "command")!, "note")), "Hello Bob");
  } finally {
    await t.close();
  }
});

Deno.test("adhoc answers disco#info on a command node for those who may run it (XEP-0050 §2.2)", async () => {
  const t = await testServer({ users: [ADMIN, "bob@localhost"], admins: [ADMIN] });
  try {
    const bob = await t.connect("bob@localhost/r");
    const ping = ok(await ask(bob, "get", xml("query", { xmlns: NS.DISCO_INFO, node: "ping" })));
    const q = child(ping, "query", NS.DISCO_INFO)!;
    assert.equal(q.attrs.node, "ping");
    const identity = child(q, "identity")!;
    assert.deepEqual([identity.attrs.category, identity.attrs.type], [
      "automation",
      "command-node",
    ]);
    assert.deepEqual(elements(q, "feature").map((f) => f.attrs.var), [NS.COMMANDS, NS.DATA_FORMS]);
    const hidden = await ask(
      bob,
      "get",
      xml("query", { xmlns: NS.DISCO_INFO, node: `${NS.ADMIN}#add-user` }),
    );
    assert.equal(errorOf(hidden).condition, "item-not-found");
  } finally {
    await t.close();
  }
});

function ok(reply: Element): Element {
  assert.equal(reply.attrs.type, "result");
  return reply;
}

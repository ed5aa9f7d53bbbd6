// XEP-0280 carbons over in-memory connections: who gets received and sent copies, and which
// messages are eligible (XEP-0280 §6, XEP-0334).
import assert from "node:assert/strict";
import { carbonEligible, child, type Element, NS, xml } from "../../mod.ts";
import { type TestClient, testServer } from "../../src/testing/mod.ts";

const CARBONS = "urn:xmpp:carbons:2";
const FORWARD = "urn:xmpp:forward:0";

function enableCarbons(c: TestClient, name = "enable") {
  return c.iq(xml("iq", { type: "set" }, xml(name, { xmlns: CARBONS })));
}

/** The message a carbon copy carries, with its direction. */
function carried(el: Element): { direction: string; message: Element } | undefined {
  for (const direction of ["received", "sent"]) {
    const wrapper = child(el, direction, CARBONS);
    const message = wrapper && child(child(wrapper, "forwarded", FORWARD)!, "message");
    if (message) return { direction, message };
  }
  return undefined;
}

const byId = (id: string) => (el: Element) =>
  el.name === "message" && (el.attrs.id === id || carried(el)?.message.attrs.id === id);

/** Sends a marker to `c` and returns what it got before it, matching `id`. */
async function got(sender: TestClient, c: TestClient, id: string): Promise<Element[]> {
  const marker = `mark-${Math.random()}`;
  await sender.send(
    xml("message", { to: c.jid, id: marker, type: "chat" }, xml("body", null, ".")),
  );
  await c.next((el) => el.attrs.id === marker);
  const found: Element[] = [];
  for (let el; (el = c.peer.elements.find(byId(id)));) {
    found.push(el);
    (c.peer.elements as Element[]).splice(c.peer.elements.indexOf(el), 1);
  }
  return found;
}

Deno.test("carbonEligible() follows XEP-0280 §6 and honours private and no-copy", () => {
  const body = xml("body", null, "hi");
  const cases: [string, Element, boolean][] = [
    ["chat", xml("message", { type: "chat" }), true],
    ["normal with a body", xml("message", {}, body), true],
    ["normal without a body", xml("message", {}), false],
    ["groupchat", xml("message", { type: "groupchat" }, body), false],
    ["headline", xml("message", { type: "headline" }, body), false],
    ["error", xml("message", { type: "error" }, body), false],
    ["private", xml("message", { type: "chat" }, body, xml("private", { xmlns: CARBONS })), false],
    [
      "no-copy",
      xml("message", { type: "chat" }, body, xml("no-copy", { xmlns: "urn:xmpp:hints" })),
      false,
    ],
    ["a copy", xml("message", { type: "chat" }, xml("sent", { xmlns: CARBONS })), false],
  ];
  for (const [name, message, expected] of cases) {
    assert.equal(carbonEligible(message), expected, name);
  }
});

Deno.test("carbons: copies go to the other resources that enabled them", async () => {
  const t = await testServer({ users: ["a@localhost", "b@localhost"] });
  try {
    const phone = await t.connect("a@localhost/phone");
    const desk = await t.connect("a@localhost/desk");
    const tablet = await t.connect("a@localhost/tablet");
    const b = await t.connect("b@localhost/x");
    await enableCarbons(phone);
    await enableCarbons(desk);
    const info = await phone.iq(
      xml("iq", { type: "get", to: "localhost" }, xml("query", { xmlns: NS.DISCO_INFO })),
    );
    assert.ok(
      child(info, "query", NS.DISCO_INFO)!.children.some((c) =>
        typeof c !== "string" && c.attrs.var === CARBONS
      ),
      "disco#info lists urn:xmpp:carbons:2",
    );

    // To one full JID: a received copy for desk, nothing for tablet (not enabled).
    await b.send(xml("message", { to: "a@localhost/phone", id: "r1", type: "chat" }, "hi"));
    const [original] = await got(b, phone, "r1");
    assert.equal(original.attrs.from, "b@localhost/x");
    const [copy] = await got(b, desk, "r1");
    assert.deepEqual(
      { from: copy.attrs.from, to: copy.attrs.to, type: copy.attrs.type },
      { from: "a@localhost", to: "a@localhost/desk", type: "chat" },
    );
    const inner = carried(copy)!;
    assert.equal(inner.direction, "received");
    assert.equal(inner.message.attrs.from, "b@localhost/x");
    assert.equal(inner.message.attrs.to, "a@localhost/phone");
    assert.deepEqual(await got(b, tablet, "r1"), []);

    // Sent by phone: desk gets a sent copy; phone and tablet nothing.
    await phone.send(
      xml("message", { to: "b@localhost", id: "s1", type: "chat" }, xml("body", null, "yo")),
    );
    await b.next(byId("s1"));
    const [sent] = await got(b, desk, "s1");
    assert.equal(carried(sent)?.direction, "sent");
    assert.equal(carried(sent)?.message.attrs.from, "a@localhost/phone");
    assert.equal(carried(sent)?.message.attrs.to, "b@localhost");
    assert.deepEqual(await got(b, phone, "s1"), []);
    assert.deepEqual(await got(b, tablet, "s1"), []);

    // To the bare JID: phone has the highest priority and gets it; desk a received copy.
    await phone.send(xml("presence", {}, xml("priority", null, "5")));
    await b.send(
      xml("message", { to: "a@localhost", id: "r2", type: "chat" }, xml("body", null, "2")),
    );
    assert.equal((await got(b, phone, "r2")).map((el) => carried(el)?.direction).join(), "");
    assert.equal((await got(b, desk, "r2")).map((el) => carried(el)?.direction).join(), "received");
    assert.deepEqual(await got(b, tablet, "r2"), []);

    // A message from one of the account's resources to another: the receiver gets it, the
    // other enabled resources a received copy, the sender nothing back.
    await desk.send(
      xml(
        "message",
        { to: "a@localhost/tablet", id: "self", type: "chat" },
        xml("body", null, "s"),
      ),
    );
    assert.equal((await got(b, tablet, "self")).length, 1);
    assert.equal(
      (await got(b, phone, "self")).map((el) => carried(el)?.direction).join(),
      "received",
    );
    assert.deepEqual(await got(b, desk, "self"), []);

    // Disabled: no more copies.
    await enableCarbons(desk, "disable");
    await b.send(
      xml("message", { to: "a@localhost/phone", id: "r3", type: "chat" }, xml("body", null, "3")),
    );
    assert.equal((await got(b, phone, "r3")).length, 1);
    assert.deepEqual(await got(b, desk, "r3"), []);
  } finally {
    await t.close();
  }
});

Deno.test("carbons: private, no-copy, groupchat, error and bodiless normal messages are not copied", async () => {
  const t = await testServer({ users: ["a@localhost", "b@localhost"] });
  try {
    const phone = await t.connect("a@localhost/phone");
    const desk = await t.connect("a@localhost/desk");
    const b = await t.connect("b@localhost/x");
    await enableCarbons(desk);
    const body = xml("body", null, "x");
    const messages: [string, Element][] = [
      ["private", xml("message", { type: "chat" }, body, xml("private", { xmlns: CARBONS }))],
      ["nocopy", xml("message", { type: "chat" }, body, xml("no-copy", { xmlns: NS.HINTS }))],
      ["normal", xml("message", {}, xml("thread", null, "t"))],
      ["error", xml("message", { type: "error" })],
      ["pm", xml("message", { type: "chat" }, body, xml("x", { xmlns: NS.MUC_USER }))],
    ];
    for (const [id, m] of messages) {
      await b.send({ ...m, attrs: { ...m.attrs, id, to: "a@localhost/phone" } });
      await phone.send({ ...m, attrs: { ...m.attrs, id: `${id}-out`, to: "b@localhost/x" } });
    }
    for (const [id] of messages) {
      assert.deepEqual(await got(b, desk, id), [], id);
      // A message from a MUC occupant's PM sent by the user is copied (the room sees one nick).
      const out = await got(b, desk, `${id}-out`);
      assert.equal(out.length, id === "pm" ? 1 : 0, `${id}-out`);
    }
  } finally {
    await t.close();
  }
});

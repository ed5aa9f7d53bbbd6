// PEP +notify for contacts on other servers (XEP-0163 §4.3.1, XEP-0115 §6.2): caps learned
// from remote presence, verified, and forgotten when the remote resource goes unavailable.
// A fake remote router stands in for federation.
import assert from "node:assert/strict";
import { testServer } from "../../src/testing/mod.ts";
import type { XmppModule } from "../../src/module/module_api.ts";
import type { BareJid } from "../../src/jid/jid.ts";
import { capsVer } from "../../src/modules/caps.ts";
import { type Element, xml } from "../../src/xml/element.ts";
import { NS } from "../../src/xml/ns.ts";

const NICK = "http://jabber.org/protocol/nick";
const NODE = "https://parley.example/remote-client";
const BOB = "bob@remote.example/r";

/** The remote client's disco#info: it wants nick notifications. */
const discoInfo = (ver?: string) =>
  xml(
    "query",
    { xmlns: NS.DISCO_INFO, node: ver ? `${NODE}#${ver}` : undefined },
    xml("identity", { xmlns: NS.DISCO_INFO, category: "client", type: "pc", name: "Far" }),
    [NS.CAPS, NS.DISCO_INFO, `${NICK}+notify`].map((v) =>
      xml("feature", { xmlns: NS.DISCO_INFO, var: v })
    ),
  );

/** A remote server with Bob's client: answers disco#info with `answer`, records the rest. */
function remote(answer: (ver: string) => Element): { module: XmppModule; sent: Element[] } {
  const sent: Element[] = [];
  const module: XmppModule = {
    name: "fake-remote",
    setup(api) {
      api.remote({
        route: async ({ stanza }) => {
          sent.push(stanza);
          const query = stanza.children.find((c) => typeof c !== "string" && c.name === "query");
          if (stanza.name !== "iq" || typeof query !== "object") return;
          const ver = (query.attrs.node ?? "").split("#")[1] ?? "";
          await api.router.route(
            xml(
              "iq",
              { type: "result", id: stanza.attrs.id, from: stanza.attrs.to, to: stanza.attrs.from },
              answer(ver),
            ),
          );
        },
      });
    },
  };
  return { module, sent };
}

async function setup(answer: (ver: string) => Element, subscription: "both" | "none" = "both") {
  const far = remote(answer);
  const t = await testServer({ users: ["alice@localhost"], modules: [far.module] });
  await t.server.storage.roster.setItem("alice@localhost" as BareJid, {
    jid: "bob@remote.example" as BareJid,
    groups: [],
    subscription,
    ask: false,
    approved: false,
  });
  const alice = await t.connect("alice@localhost/pc");
  const ver = await capsVer(discoInfo(), "sha-1");
  const presence = (type?: string) =>
    t.server.router.route(
      xml(
        "presence",
        { xmlns: NS.CLIENT, from: BOB, to: "alice@localhost", type },
        type ? undefined : xml("c", { xmlns: NS.CAPS, hash: "sha-1", node: NODE, ver }),
      ),
    );
  let n = 0;
  const publish = () =>
    alice.iq(
      xml(
        "iq",
        { type: "set" },
        xml(
          "pubsub",
          { xmlns: NS.PUBSUB },
          xml("publish", { node: NICK }, xml("item", {}, xml("nick", { xmlns: NICK }, `A${++n}`))),
        ),
      ),
    );
  const events = () =>
    far.sent.filter((s) =>
      s.name === "message" && s.attrs.to === BOB &&
      s.children.some((c) => typeof c !== "string" && c.name === "event")
    );
  return { t, far, presence, publish, events };
}

const tick = () => new Promise((r) => setTimeout(r, 30));

Deno.test("pep: a remote contact's caps come from its presence; +notify follows it", async () => {
  const { t, far, presence, publish, events } = await setup((v) => discoInfo(v));
  try {
    await presence();
    await tick();
    // XEP-0115 §6.2: the account's PEP service (its bare JID) asks the remote resource.
    const query = far.sent.find((s) => s.name === "iq");
    assert.equal(query?.attrs.from, "alice@localhost");
    assert.equal(query?.attrs.to, BOB);
    await publish();
    await tick();
    assert.equal(events().length, 1);
    assert.equal(events()[0].attrs.from, "alice@localhost");
    assert.equal(events()[0].attrs.type, "headline");
    // The same caps again: no new query (cached by ver).
    await presence();
    await tick();
    assert.equal(far.sent.filter((s) => s.name === "iq").length, 1);
    // Unavailable: the remote resource gets nothing more.
    await presence("unavailable");
    await publish();
    await tick();
    assert.equal(events().length, 1);
  } finally {
    await t.close();
  }
});

Deno.test("pep: a remote disco#info that does not match its caps hash is not used", async () => {
  const { t, presence, publish, events } = await setup(() =>
    xml(
      "query",
      { xmlns: NS.DISCO_INFO },
      xml("feature", { xmlns: NS.DISCO_INFO, var: `${NICK}+notify` }),
    )
  );
  try {
    await presence();
    await tick();
    await publish();
    await tick();
    assert.equal(events().length, 0);
  } finally {
    await t.close();
  }
});

Deno.test("pep: a remote entity without a presence subscription gets no notifications", async () => {
  const { t, presence, publish, events } = await setup((v) => discoInfo(v), "none");
  try {
    await publish();
    await presence();
    await tick();
    await publish();
    await tick();
    assert.equal(events().length, 0);
  } finally {
    await t.close();
  }
});

Deno.test("pep: an occupant's presence from a remote room is not taken for a contact's", async () => {
  const { t, far } = await setup((v) => discoInfo(v));
  try {
    const ver = await capsVer(discoInfo(), "sha-1");
    await t.server.router.route(
      xml(
        "presence",
        { xmlns: NS.CLIENT, from: "room@conference.remote.example/Bob", to: "alice@localhost/pc" },
        xml("c", { xmlns: NS.CAPS, hash: "sha-1", node: NODE, ver }),
        xml("x", { xmlns: NS.MUC_USER }, xml("item", { affiliation: "none", role: "participant" })),
      ),
    );
    await tick();
    assert.equal(far.sent.filter((s) => s.name === "iq").length, 0);
  } finally {
    await t.close();
  }
});

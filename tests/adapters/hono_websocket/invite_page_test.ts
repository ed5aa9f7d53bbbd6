// #15 item 6: the invitation landing page shows the xmpp: URI and registers once with the token.
import assert from "node:assert/strict";
import { Hono } from "hono";
import { InviteTokens } from "../../../mod.ts";
import { mountInvites, mountXmpp } from "../../../adapters/hono_websocket/mod.ts";
import { testServer } from "../../../src/testing/mod.ts";

function post(app: Hono, token: string, fields: Record<string, string>) {
  return app.request(`/invite/${token}`, { method: "POST", body: new URLSearchParams(fields) });
}

Deno.test("invite page: shows the URI, creates the account once, refuses a used token", async () => {
  const t = await testServer({ users: ["taken@localhost"], registration: { invites: true } });
  try {
    // mountXmpp mounts the page when the server takes invitations.
    const app = mountXmpp(new Hono(), t.server);
    const { token, uri } = await new InviteTokens(t.server.storage).create({ domain: "localhost" });
    const page = await app.request(`/invite/${token}`);
    assert.equal(page.status, 200);
    assert.match(page.headers.get("content-type") ?? "", /text\/html/);
    const html = await page.text();
    assert.ok(html.includes(`href="${uri}"`), html);
    assert.match(html, /<form method="post">/);
    // A taken name, or a bad one, leaves the invitation usable.
    assert.equal((await post(app, token, { username: "taken", password: "pw" })).status, 409);
    assert.equal((await post(app, token, { username: "a b@", password: "pw" })).status, 400);
    assert.equal((await post(app, token, { username: "new", password: "" })).status, 400);
    const created = await post(app, token, { username: "New", password: "s3cret" });
    assert.equal(created.status, 201);
    assert.match(await created.text(), /new@localhost/);
    assert.ok(await t.server.storage.accounts.exists("new@localhost" as never));
    const c = await t.connect("new@localhost/web", { password: "s3cret" });
    assert.equal(c.jid, "new@localhost/web");
    // Used up: the page and the form refuse it.
    assert.equal((await app.request(`/invite/${token}`)).status, 403);
    assert.equal((await post(app, token, { username: "other", password: "pw" })).status, 403);
    assert.equal(await t.server.storage.accounts.exists("other@localhost" as never), false);
    assert.equal((await app.request("/invite/AAAAAAAAAAAAAAAAAAAAAAAA")).status, 403);
  } finally {
    await t.close();
  }
});

Deno.test("invite page: off unless the server takes invitations; mountInvites takes a path", async () => {
  const t = await testServer();
  try {
    const { token } = await new InviteTokens(t.server.storage).create({ domain: "localhost" });
    assert.equal((await mountXmpp(new Hono(), t.server).request(`/invite/${token}`)).status, 404);
    const app = mountInvites(new Hono(), t.server, { path: "/join/" });
    assert.equal((await app.request(`/join/${token}`)).status, 200);
  } finally {
    await t.close();
  }
});

/**
 * The invitation landing page (#15 item 6, XEP-0401 §4): `GET <path>/:token` shows the
 * `xmpp:` URI (which an XMPP client opens to register in-band with the token) and a form to
 * pick a username and password right there; `POST` creates the account and uses the token up.
 *
 * @module
 */
import type { Context, Hono } from "hono";
import { bareJid, JidError, prepLocal } from "../../src/jid/jid.ts";
import type { XmppServer } from "../../src/server/server.ts";
import { InviteTokens, inviteUri } from "../../src/storage/invite_tokens.ts";

/** Options of {@linkcode mountInvites}. */
export interface InvitePageOptions {
  /** Base path; an invitation's page is `<path>/<token>`. Default "/invite". */
  readonly path?: string;
}

const ESCAPES: Record<string, string> = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  '"': "&quot;",
  "'": "&#39;",
};

function escape(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ESCAPES[c]);
}

function page(title: string, body: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8">` +
    `<meta name="viewport" content="width=device-width,initial-scale=1">` +
    `<title>${escape(title)}</title></head><body><main><h1>${escape(title)}</h1>${body}` +
    `</main></body></html>`;
}

function invalid(c: Context) {
  return c.html(
    page("Invitation not valid", "<p>This invitation has been used or has expired.</p>"),
    403,
  );
}

function form(domain: string, token: string, error?: string): string {
  const uri = inviteUri(domain, token);
  return `<p>You are invited to create an account on <b>${escape(domain)}</b>.</p>` +
    `<p>Open this link with an XMPP app (Conversations, Monal, Dino…) to register there:<br>` +
    `<a id="uri" href="${escape(uri)}">${escape(uri)}</a></p>` +
    `<p>Or pick a username and password here:</p>` +
    (error ? `<p role="alert" id="error">${escape(error)}</p>` : "") +
    `<form method="post"><label>Username <input name="username" required autocomplete="username">` +
    `@${escape(domain)}</label><br><label>Password <input name="password" type="password" ` +
    `required autocomplete="new-password"></label><br><button type="submit">Create account</button>` +
    `</form>`;
}

/**
 * Adds the invitation landing page to a Hono app.
 *
 * @param app The Hono app.
 * @param server The XMPP server (its storage holds the invitations).
 * @param options The base path.
 * @returns The app.
 * @example
 * ```ts ignore
 * import { Hono } from "hono";
 * import { createServer } from "@parley/server";
 * import { mountInvites } from "@parley/server/hono-websocket";
 * const server = await createServer({ registration: { invites: true } });
 * Deno.serve(mountInvites(new Hono(), server).fetch);
 * ```
 */
// deno-lint-ignore no-explicit-any
export function mountInvites<A extends Hono<any, any, any>>(
  app: A,
  server: XmppServer,
  options: InvitePageOptions = {},
): A {
  const path = `${(options.path ?? "/invite").replace(/\/+$/, "")}/:token`;
  const tokens = new InviteTokens(server.storage);
  app.get(path, async (c) => {
    const token = c.req.param("token") ?? "";
    if (!await tokens.valid(token)) return invalid(c);
    return c.html(page("Invitation", form(server.domain, token)));
  });
  app.post(path, async (c) => {
    const token = c.req.param("token") ?? "";
    if (!await tokens.valid(token)) return invalid(c);
    const body = await c.req.parseBody();
    const username = typeof body.username === "string" ? body.username : "";
    const password = typeof body.password === "string" ? body.password : "";
    const again = (error: string, status: 400 | 409) =>
      c.html(page("Invitation", form(server.domain, token, error)), status);
    let local: string;
    try {
      local = prepLocal(username);
    } catch (e) {
      if (e instanceof JidError) return again("This username is not possible.", 400);
      throw e;
    }
    if (password === "") return again("A password is required.", 400);
    const jid = bareJid(local, server.domain);
    // Taken: the invitation stays usable for another name.
    if (await server.storage.accounts.exists(jid)) return again("This username is taken.", 409);
    if (!await tokens.redeem(token)) return invalid(c);
    if (!await server.addUser(jid, password)) return again("This username is taken.", 409);
    return c.html(
      page(
        "Account created",
        `<p>Your account is <b id="jid">${escape(jid)}</b>. Log in with an XMPP app.</p>`,
      ),
      201,
    );
  });
  return app;
}

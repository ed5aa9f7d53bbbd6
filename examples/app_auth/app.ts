/**
 * An app with its own users and login (#15): a Hono app with a login form and a session
 * cookie, whose logged-in page opens an XMPP WebSocket with no second password. Parley learns
 * the app's users from an `AuthProvider` and the logged-in user from the cookie the app
 * already checks (SASL EXTERNAL).
 *
 * @module
 */
import { Hono } from "hono";
import { getCookie, setCookie } from "hono/cookie";
import type { AuthProvider, BareJid, XmppServer } from "../../mod.ts";
import { mountXmpp } from "../../adapters/hono_websocket/mod.ts";

/** The app's own user table and sessions (a database in a real app). */
export class AppUsers {
  readonly #passwords: Map<string, string>;
  readonly #sessions = new Map<string, string>();
  readonly domain: string;

  /**
   * @param domain The XMPP domain the app's users live on.
   * @param passwords Username → password (a demo; hash them in a real app).
   */
  constructor(domain: string, passwords: Record<string, string>) {
    this.domain = domain;
    this.#passwords = new Map(Object.entries(passwords));
  }

  /** Checks a login and opens a session; its id goes into the cookie. */
  login(username: string, password: string): string | undefined {
    if (!this.#passwords.has(username) || this.#passwords.get(username) !== password) return;
    const sid = crypto.randomUUID();
    this.#sessions.set(sid, username);
    return sid;
  }

  /** The user of a session cookie. */
  user(sid: string | undefined): string | undefined {
    return sid === undefined ? undefined : this.#sessions.get(sid);
  }

  /** The JID of a username. */
  jid(username: string): BareJid {
    return `${username}@${this.domain}` as BareJid;
  }

  /** What Parley asks the app: these users exist, also before they ever log in. */
  provider(): AuthProvider {
    return {
      exists: (jid) =>
        Promise.resolve([...this.#passwords.keys()].some((u) => this.jid(u) === jid)),
      list: () => Promise.resolve([...this.#passwords.keys()].map((u) => this.jid(u)).sort()),
    };
  }
}

const LOGIN = `<!doctype html><meta charset="utf-8"><title>App</title>
<form method="post" action="/login">
  <input name="username" placeholder="username" autocomplete="username">
  <input name="password" type="password" placeholder="password" autocomplete="current-password">
  <button>Log in</button>
</form>`;

// A minimal RFC 7395 client: EXTERNAL (the cookie logged the socket in), bind, presence, chat.
const CHAT = (user: string, domain: string) =>
  `<!doctype html><meta charset="utf-8"><title>Chat</title>
<p>Logged in as <b id="me">${user}</b> · <span id="status">connecting</span></p>
<form id="send"><input id="to" placeholder="to"><input id="body" placeholder="message">
<button>Send</button></form>
<ul id="log"></ul>
<script type="module">
const ws = new WebSocket(location.origin.replace(/^http/, "ws") + "/xmpp-websocket", "xmpp");
const parse = (s) => new DOMParser().parseFromString(s, "application/xml").documentElement;
const open = '<open xmlns="urn:ietf:params:xml:ns:xmpp-framing" to="${domain}" version="1.0"/>';
const log = (text) => {
  const li = document.createElement("li");
  li.textContent = text;
  document.getElementById("log").append(li);
};
ws.onopen = () => ws.send(open);
ws.onmessage = (e) => {
  const el = parse(e.data);
  if (el.localName === "features" && el.querySelector("mechanism")) {
    ws.send('<auth xmlns="urn:ietf:params:xml:ns:xmpp-sasl" mechanism="EXTERNAL">=</auth>');
  } else if (el.localName === "success") {
    ws.send(open);
  } else if (el.localName === "features" && el.getElementsByTagName("bind").length) {
    ws.send('<iq xmlns="jabber:client" type="set" id="b"><bind xmlns="urn:ietf:params:xml:ns:xmpp-bind"/></iq>');
  } else if (el.localName === "iq" && el.getAttribute("id") === "b") {
    document.getElementById("status").textContent = "online as " + el.textContent;
    ws.send('<presence xmlns="jabber:client"/>');
  } else if (el.localName === "message" && el.getElementsByTagName("body").length) {
    log(el.getAttribute("from").split("/")[0] + ": " + el.getElementsByTagName("body")[0].textContent);
  } else if (el.localName === "failure") {
    document.getElementById("status").textContent = "not logged in";
  }
};
document.getElementById("send").onsubmit = (e) => {
  e.preventDefault();
  const to = document.getElementById("to").value, body = document.getElementById("body").value;
  const esc = (s) => s.replace(/[<>&"]/g, (c) => "&#" + c.charCodeAt(0) + ";");
  ws.send('<message xmlns="jabber:client" type="chat" to="' + esc(to) + '"><body>' + esc(body) + "</body></message>");
  log("me: " + body);
};
</script>`;

/**
 * The app: `/` (login form), `POST /login` (session cookie), `/chat` (the XMPP page), and
 * Parley's WebSocket endpoint, which logs a socket in from the same cookie.
 *
 * @param server The Parley server (created with `auth: users.provider()`).
 * @param users The app's users.
 * @returns The Hono app.
 */
export function createAuthApp(server: XmppServer, users: AppUsers): Hono {
  const app = new Hono();
  app.get("/", (c) => c.html(LOGIN));
  app.post("/login", async (c) => {
    const form = await c.req.formData();
    const sid = users.login(String(form.get("username") ?? ""), String(form.get("password") ?? ""));
    if (!sid) return c.html(LOGIN, 401);
    setCookie(c, "sid", sid, { httpOnly: true, sameSite: "Strict", path: "/" });
    return c.redirect("/chat", 303);
  });
  app.get("/chat", (c) => {
    const user = users.user(getCookie(c, "sid"));
    if (!user) return c.redirect("/", 303);
    return c.html(CHAT(user, users.domain));
  });
  mountXmpp(app, server, {
    boshPath: false,
    // The socket is the logged-in user's: the same cookie the app's pages trust.
    websocket: {
      authenticate: (c) => {
        const user = users.user(getCookie(c, "sid"));
        return user ? users.jid(user) : undefined;
      },
    },
  });
  return app;
}

/**
 * XEP-0357 push notifications (`urn:xmpp:push:0`): a client names an app server (a JID and a
 * node, with an optional publish-options form) and, while it cannot be reached, the server
 * publishes a summary of each message for it there, so that the app server can wake it up.
 *
 * - `<enable jid node/>` and `<disable jid [node]/>` (XEP-0357 §5, §6) are sent by the account's
 *   own client. Registrations are stored per account in the document store and survive a
 *   restart; the session that enabled one remembers it.
 * - A JID on a hosted domain (an account, someone else's or the user's own, or the server
 *   itself) is not an app server: enabling it is `<not-allowed/>`, so that no user makes the
 *   server publish into an account it does not control. App servers are components (such as
 *   the first-party relay, {@linkcode pushRelay}) or remote services.
 * - A message with a body written to a hibernated session (XEP-0198) notifies the
 *   registrations that session enabled; one stored offline (XEP-0160) notifies every
 *   registration of the account. The notification is an iq `set` from the account's bare JID
 *   with a pubsub publish of `<notification/>` holding the `urn:xmpp:push:summary` form
 *   (`message-count`, `last-message-sender`, and `last-message-body` only when configured),
 *   and the stored form as `<publish-options/>` (XEP-0357 §7).
 * - An error from the app server disables the registration (XEP-0357 §7), unless it is of type
 *   `wait` (a temporary failure).
 *
 * @module
 */
import type { Session } from "../base/session.ts";
import { StanzaError } from "../base/stanza_error.ts";
import { HANDLED } from "../hooks/hook_registry.ts";
import type { IqEvent } from "../hooks/iq_registry.ts";
import type { StanzaEvent } from "../hooks/server_hooks.ts";
import type { BareJid } from "../jid/jid.ts";
import { tryParseJid } from "../jid/jid.ts";
import type { ModuleApi, XmppModule } from "../module/module_api.ts";
import { documentCollection } from "../storage/document_collection.ts";
import { setBounded } from "../util/bounded_map.ts";
import { child, type Element, text } from "../xml/element.ts";
import { NS } from "../xml/ns.ts";
import type { FormField } from "./data_form.ts";
import { appServer, notifiable, notification, owner, publishOptions } from "./_push_xml.ts";

/** Options of the push module. */
export interface PushOptions {
  /** Put the message body in the summary (`last-message-body`); default `false`. */
  readonly includeBody?: boolean;
  /**
   * Put the sender in the summary (`last-message-sender`); default `true`. An app server run by
   * someone else learns who writes to the user: turn it off to keep that private (as Prosody's
   * `push_notification_with_sender` does by default).
   */
  readonly includeSender?: boolean;
  /** App servers one account may register (XEP-0357 §5); default 20. */
  readonly maxRegistrations?: number;
  /** Largest publish-options form, in bytes of XML; default 4096. */
  readonly maxFormBytes?: number;
  /** How long an app server has to answer before its answer is ignored; default 60,000 ms. */
  readonly responseTimeoutMs?: number;
}

/** One app server an account registered (XEP-0357 §5), as stored. */
export interface PushRegistration {
  /** The app server's JID. */
  readonly jid: string;
  /** The node on it. */
  readonly node: string;
  /** The publish-options form, as stored XML. */
  readonly form?: string;
}

/** The document namespace of registrations, keyed by account. */
export const PUSH_DOCUMENTS = "push:registrations";
/** The key in `session.data` of the registrations a session enabled. */
const SESSION_KEY = `${NS.PUSH}#enabled`;
const MAX_PENDING = 10_000;

const regKey = (r: { jid: string; node: string }) => `${r.jid}\u0000${r.node}`;

function sessionRegs(session: Session): Set<string> {
  let set = session.data.get(SESSION_KEY) as Set<string> | undefined;
  if (!set) session.data.set(SESSION_KEY, set = new Set());
  return set;
}

function checkRange(name: string, value: number, min: number, max: number): number {
  if (typeof value !== "number") throw new TypeError(`Cannot use push.${name}: expected a number`);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new RangeError(`Cannot use push.${name} ${value}: not in ${min}..${max}`);
  }
  return value;
}

/**
 * The push notification module (XEP-0357).
 *
 * @param options Whether bodies go out, and per-account limits.
 * @returns The module.
 * @throws {TypeError} An option of the wrong type.
 * @throws {RangeError} A limit out of range.
 * @example
 * ```ts
 * import { push } from "./push.ts";
 * import { testServer } from "../testing/mod.ts";
 * import { xml } from "../xml/element.ts";
 * const t = await testServer({ users: ["a@localhost"] });
 * await t.server.unload("push");
 * await t.server.use(push({ includeBody: false }));
 * const a = await t.connect("a@localhost/phone");
 * await a.iq(xml("iq", { type: "set" },
 *   xml("enable", { xmlns: "urn:xmpp:push:0", jid: "push.example.net", node: "n1" })));
 * await t.close();
 * ```
 */
export function push(options: PushOptions = {}): XmppModule {
  for (const name of ["includeBody", "includeSender"] as const) {
    if (options[name] !== undefined && typeof options[name] !== "boolean") {
      throw new TypeError(`Cannot use push.${name}: expected a boolean`);
    }
  }
  const includeBody = options.includeBody ?? false;
  const includeSender = options.includeSender ?? true;
  const maxRegs = checkRange("maxRegistrations", options.maxRegistrations ?? 20, 1, 1000);
  const maxFormBytes = checkRange("maxFormBytes", options.maxFormBytes ?? 4096, 256, 65_536);
  const timeoutMs = checkRange(
    "responseTimeoutMs",
    options.responseTimeoutMs ?? 60_000,
    1000,
    3_600_000,
  );
  /** Messages notified per account and registration since a session of it was last online. */
  const counts = new Map<BareJid, Map<string, number>>();
  /** Notifications waiting for the app server's answer, by iq id. */
  const pending = new Map<
    string,
    { account: BareJid; reg: PushRegistration; timer: ReturnType<typeof setTimeout> }
  >();
  let api: ModuleApi;
  let store: ReturnType<typeof documentCollection<PushRegistration[]>>;

  async function notify(account: BareJid, only: Set<string> | undefined, message: Element) {
    const regs = (await store.get(account) ?? []).filter((r) => !only || only.has(regKey(r)));
    if (regs.length === 0) return;
    let perReg = counts.get(account);
    if (!perReg) setBounded(counts, account, perReg = new Map(), MAX_PENDING);
    for (const reg of regs) {
      const count = (perReg.get(regKey(reg)) ?? 0) + 1;
      perReg.set(regKey(reg), count);
      const summary: FormField[] = [{ var: "message-count", values: [String(count)] }];
      if (includeSender && message.attrs.from) {
        summary.push({ var: "last-message-sender", values: [message.attrs.from] });
      }
      const body = child(message, "body");
      if (includeBody && body) summary.push({ var: "last-message-body", values: [text(body)] });
      const id = `push-${api.randomId()}`;
      const timer = setTimeout(() => pending.delete(id), timeoutMs);
      setBounded(pending, id, { account, reg, timer }, MAX_PENDING);
      await api.router.route(notification(account, reg, summary, id));
    }
  }

  function spawn(account: BareJid, only: Set<string> | undefined, message: Element): void {
    notify(account, only, message).catch((e) =>
      api.logger.error("Cannot send a push notification", {
        jid: account,
        error: e instanceof Error ? e.message : String(e),
      })
    );
  }

  async function disable(account: BareJid, jid: string, node: string | undefined) {
    await store.update(account, (regs) => {
      const kept = (regs ?? []).filter((r) =>
        r.jid !== jid || (node !== undefined && r.node !== node)
      );
      return kept.length === 0 ? undefined : kept.length === regs?.length ? regs : kept;
    });
  }

  async function onEnable(ev: IqEvent): Promise<undefined> {
    const { account, session } = owner(ev);
    const jid = appServer(api, ev.payload);
    const node = ev.payload.attrs.node;
    if (!node) throw new StanzaError("bad-request", "modify", "No 'node'");
    const reg: PushRegistration = { jid, node, form: publishOptions(ev.payload, maxFormBytes) };
    let full = false;
    await store.update(account, (regs) => {
      const others = (regs ?? []).filter((r) => regKey(r) !== regKey(reg));
      full = others.length >= maxRegs;
      return full ? regs : [...others, reg];
    });
    if (full) {
      throw new StanzaError("resource-constraint", "wait", "Too many push registrations");
    }
    sessionRegs(session).add(regKey(reg));
    return undefined;
  }

  async function onDisable(ev: IqEvent): Promise<undefined> {
    const { account, session } = owner(ev);
    const raw = ev.payload.attrs.jid;
    if (raw === undefined) throw new StanzaError("bad-request", "modify", "No 'jid'");
    const jid = tryParseJid(raw);
    if (!jid) throw new StanzaError("jid-malformed", "modify");
    const appJid = jid.full;
    const node = ev.payload.attrs.node;
    await disable(account, appJid, node);
    for (const key of [...sessionRegs(session)]) {
      const [j, n] = key.split("\u0000");
      if (j === appJid && (node === undefined || n === node)) sessionRegs(session).delete(key);
    }
    return undefined;
  }

  /** XEP-0357 §7: an app server's error disables the registration (not a `wait` one). */
  async function onResponse(ev: StanzaEvent) {
    const id = ev.stanza.attrs.id;
    const entry = id === undefined ? undefined : pending.get(id);
    if (!entry || ev.from.bare !== tryParseJid(entry.reg.jid)?.bare) return;
    pending.delete(id!);
    clearTimeout(entry.timer);
    if (ev.stanza.attrs.type !== "error") return HANDLED;
    const error = child(ev.stanza, "error");
    if (error?.attrs.type === "wait") return HANDLED;
    api.logger.info("App server refused a push notification; disabling it", {
      jid: entry.account,
      appServer: entry.reg.jid,
    });
    await disable(entry.account, entry.reg.jid, entry.reg.node);
    return HANDLED;
  }

  /**
   * XEP-0357 §6 (remote disabling): an app server tells the account that a node is gone with
   * `<pubsub node><affiliation jid affiliation='none'/></pubsub>` in a message.
   */
  async function onRemoteDisable({ stanza, from, to }: StanzaEvent) {
    const pubsub = child(stanza, "pubsub", NS.PUBSUB);
    const affiliation = pubsub && child(pubsub, "affiliation", NS.PUBSUB);
    const node = pubsub?.attrs.node;
    if (!affiliation || !node || affiliation.attrs.affiliation !== "none") return;
    if (affiliation.attrs.jid !== to.bare) return;
    const regs = await store.get(to.bare) ?? [];
    const appJid = from.full;
    if (!regs.some((r) => r.jid === appJid && r.node === node)) return;
    api.logger.info("App server disabled a push registration", { jid: to.bare, appServer: appJid });
    await disable(to.bare, appJid, node);
    return HANDLED;
  }

  return {
    name: "push",
    specs: ["XEP-0357"],
    setup(moduleApi) {
      api = moduleApi;
      store = documentCollection<PushRegistration[]>(api.storage, PUSH_DOCUMENTS);
      api.feature(NS.PUSH, { target: "account" });
      api.iq("set", NS.PUSH, "enable", onEnable, { target: "account" });
      api.iq("set", NS.PUSH, "disable", onDisable, { target: "account" });
      api.hook("iq/account-response", onResponse, { priority: 10 });
      api.hook("message/bare", onRemoteDisable, { priority: 10 });
      // After rewriting handlers; a message written to a hibernated session waits unseen.
      api.hook("stanza/out", ({ session, stanza }) => {
        if (session.state !== "hibernated") return;
        const regs = session.data.get(SESSION_KEY) as Set<string> | undefined;
        const message = regs && regs.size > 0 ? notifiable(api, stanza) : undefined;
        if (message) spawn(session.bare, new Set(regs), message);
      }, { priority: -50 });
      // Before the offline module stores it (which ends the chain).
      api.hook("message/offline", ({ stanza, to }) => {
        const message = notifiable(api, stanza);
        if (message) spawn(to.bare, undefined, message);
      }, { priority: 10 });
      // A session of the account is back: the counts start again.
      api.hook("session/bound", ({ session }) => void counts.delete(session.bare));
      api.hook("session/resumed", ({ session }) => void counts.delete(session.bare));
      api.hook("account/removed", async ({ jid }) => {
        counts.delete(jid);
        await store.delete(jid);
      });
      api.onUnload(() => {
        for (const { timer } of pending.values()) clearTimeout(timer);
        pending.clear();
      });
    },
  };
}

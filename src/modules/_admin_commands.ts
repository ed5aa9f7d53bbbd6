// Private to the adhoc module: the XEP-0133 service administration commands an operator uses
// (add user, delete user, change password, list online users, announce, set and delete the
// welcome message), each a form of one stage, run only by the configured admins (XEP-0133 §3).
import type { ModuleApi } from "../module/module_api.ts";
import type { BareJid, Jid } from "../jid/jid.ts";
import { tryParseJid } from "../jid/jid.ts";
import { StanzaError } from "../base/stanza_error.ts";
import { StreamError } from "../base/stream_error.ts";
import { deriveCredentials } from "../sasl/credentials.ts";
import { xml } from "../xml/element.ts";
import { NS } from "../xml/ns.ts";
import type { AdhocCommand, CommandResponse } from "./command_registry.ts";
import { dataForm, type FormField } from "./data_form.ts";

/** What the admin commands need besides the module API. */
export interface AdminOptions {
  /** Bare JIDs of the admins. */
  readonly admins: ReadonlySet<string>;
  /** PBKDF2 iterations for new passwords. */
  readonly scramIterations?: number;
}

const WELCOME_NS = "adhoc:welcome";
const node = (name: string) => `${NS.ADMIN}#${name}`;
type Values = Readonly<Record<string, readonly string[]>>;

/** A command of two stages: the form, then its submission. */
function formCommand(
  name: string,
  label: string,
  admins: ReadonlySet<string>,
  fields: () => FormField[] | Promise<FormField[]>,
  apply: (values: Values, from: Jid) => Promise<CommandResponse>,
): AdhocCommand {
  return {
    node: node(name),
    name: label,
    allowed: (from) => admins.has(from.bare),
    async run({ stage, fields: values, from }) {
      if (stage === 0) {
        return {
          status: "executing",
          actions: ["complete"],
          form: dataForm("form", NS.ADMIN, await fields(), { title: label }),
        };
      }
      return await apply(values, from);
    },
  };
}

function done(text: string): CommandResponse {
  return { status: "completed", notes: [{ type: "info", text }] };
}

function one(values: Values, name: string): string {
  return values[name]?.[0] ?? "";
}

/** A JID of an account of a hosted domain, else <jid-malformed/> or <not-allowed/>. */
function localAccount(api: ModuleApi, raw: string): BareJid {
  const jid = tryParseJid(raw);
  if (!jid || !jid.local || jid.resource) {
    throw new StanzaError("jid-malformed", "modify", `Cannot use "${raw}" as an account JID`);
  }
  if (!api.domains.includes(jid.domain)) {
    throw new StanzaError("not-allowed", "cancel", `"${jid.domain}" is not hosted here`);
  }
  return jid.bare;
}

function password(values: Values, verify: boolean): string {
  const pw = one(values, "password");
  if (pw === "") throw new StanzaError("not-acceptable", "modify", "A password is required");
  if (verify && values["password-verify"] && one(values, "password-verify") !== pw) {
    throw new StanzaError("not-acceptable", "modify", "The passwords do not match");
  }
  return pw;
}

const ACCOUNT_FIELD: FormField = {
  var: "accountjid",
  type: "jid-single",
  label: "The Jabber ID of the account",
  required: true,
};
const PASSWORD_FIELD: FormField = {
  var: "password",
  type: "text-private",
  label: "The password for this account",
  required: true,
};

/** Who is online: local full JIDs by session/bound and session/closed. */
function trackOnline(api: ModuleApi): Set<string> {
  const online = new Set<string>();
  api.hook("session/bound", ({ session }) => void online.add(session.jid));
  api.hook("session/closed", ({ session }) => void online.delete(session.jid));
  return online;
}

/** XEP-0133 §4.1, §4.2, §4.7: add and delete accounts, change a password. */
function accountCommands(api: ModuleApi, options: AdminOptions): AdhocCommand[] {
  const iterations = options.scramIterations ?? 4096;
  return [
    formCommand("add-user", "Add a user", options.admins, () => [
      ACCOUNT_FIELD,
      PASSWORD_FIELD,
      { var: "password-verify", type: "text-private", label: "Retype password" },
    ], async (values) => {
      const jid = localAccount(api, one(values, "accountjid"));
      const credentials = await deriveCredentials(password(values, true), { iterations });
      if (!await api.storage.accounts.create(jid, credentials)) {
        throw new StanzaError("conflict", "cancel", `Account "${jid}" exists`);
      }
      api.logger.info("Account added by an admin", { jid });
      return done(`Account ${jid} added`);
    }),
    formCommand("delete-user", "Delete users", options.admins, () => [
      { ...ACCOUNT_FIELD, var: "accountjids", type: "jid-multi", label: "The accounts" },
    ], async (values) => {
      const jids = (values.accountjids ?? []).map((raw) => localAccount(api, raw));
      if (jids.length === 0) throw new StanzaError("bad-request", "modify", "No account given");
      for (const jid of jids) {
        await api.removeAccount(jid);
        for (const ref of await api.router.sessions(jid)) {
          void api.router.local(ref)?.close(new StreamError("not-authorized", "Account removed"));
        }
        api.logger.info("Account removed by an admin", { jid });
      }
      return done(`Deleted ${jids.length} account(s)`);
    }),
    formCommand("change-user-password", "Change a user's password", options.admins, () => [
      ACCOUNT_FIELD,
      PASSWORD_FIELD,
    ], async (values) => {
      const jid = localAccount(api, one(values, "accountjid"));
      const credentials = await deriveCredentials(password(values, false), { iterations });
      if (!await api.storage.accounts.setCredentials(jid, credentials)) {
        throw new StanzaError("item-not-found", "cancel", `No account "${jid}"`);
      }
      return done(`Password of ${jid} changed`);
    }),
  ];
}

/** XEP-0133 §4.20 (online users), §4.23 (announce), §4.27-4.28 (welcome message). */
function presenceCommands(api: ModuleApi, options: AdminOptions): AdhocCommand[] {
  const online = trackOnline(api);
  return [
    formCommand("get-online-users-list", "Get list of online users", options.admins, () => [{
      var: "max_items",
      type: "list-single",
      label: "Maximum number of items to show",
      options: ["25", "50", "75", "100", "150", "200", "none"],
    }], (values) => {
      const max = Number.parseInt(one(values, "max_items"), 10);
      const jids = [...online].sort();
      const shown = Number.isInteger(max) && max > 0 ? jids.slice(0, max) : jids;
      return Promise.resolve({
        status: "completed",
        form: dataForm("result", NS.ADMIN, [{
          var: "onlineuserjids",
          type: "jid-multi",
          label: "The list of all online users",
          values: shown,
        }]),
      });
    }),
    formCommand("announce", "Send announcement to all online users", options.admins, () => [
      { var: "subject", type: "text-single", label: "Subject" },
      { var: "announcement", type: "text-multi", label: "Announcement", required: true },
    ], async (values) => {
      const body = (values.announcement ?? []).join("\n");
      if (body === "") throw new StanzaError("not-acceptable", "modify", "Nothing to announce");
      const subject = one(values, "subject");
      for (const to of [...online]) {
        await api.router.route(xml(
          "message",
          { xmlns: NS.CLIENT, type: "headline", from: api.domain, to, id: api.randomId() },
          subject ? xml("subject", null, subject) : [],
          xml("body", null, body),
        ));
      }
      return done(`Announced to ${online.size} session(s)`);
    }),
    formCommand("set-welcome", "Set welcome message", options.admins, async () => [{
      var: "welcome",
      type: "text-multi",
      label: "Welcome message (empty for none)",
      values: (await welcomeText(api))?.split("\n") ?? [],
    }], async (values) => {
      const text = (values.welcome ?? []).join("\n");
      if (text === "") await api.storage.documents.delete(WELCOME_NS, api.domain);
      else await api.storage.documents.put(WELCOME_NS, api.domain, text);
      return done(text === "" ? "Welcome message removed" : "Welcome message set");
    }),
    {
      node: node("delete-welcome"),
      name: "Delete welcome message",
      allowed: (from) => options.admins.has(from.bare),
      async run() {
        await api.storage.documents.delete(WELCOME_NS, api.domain);
        return done("Welcome message removed");
      },
    },
  ];
}

async function welcomeText(api: ModuleApi): Promise<string | undefined> {
  const doc = await api.storage.documents.get(WELCOME_NS, api.domain);
  return typeof doc?.value === "string" ? doc.value : undefined;
}

/** Sends the welcome message, if one is set, to every account registered in-band. */
function sendWelcome(api: ModuleApi): void {
  api.hook("account/created", async ({ jid }) => {
    const text = await welcomeText(api);
    if (text === undefined) return;
    await api.router.route(xml(
      "message",
      { xmlns: NS.CLIENT, type: "normal", from: api.domain, to: jid, id: api.randomId() },
      xml("body", null, text),
    ));
  });
}

/**
 * The XEP-0133 commands, with their hooks (online sessions, the welcome message).
 *
 * @param api The adhoc module's API.
 * @param options The admins and SCRAM iterations.
 * @returns The commands to register.
 */
export function adminCommands(api: ModuleApi, options: AdminOptions): AdhocCommand[] {
  sendWelcome(api);
  return [...accountCommands(api, options), ...presenceCommands(api, options)];
}

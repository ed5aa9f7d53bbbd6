// Private to the adhoc module: XEP-0401 §5.1 (Easy User Onboarding) "create account" command,
// which gives an admin a one-time invitation (#15 item 6).
import type { ModuleApi } from "../module/module_api.ts";
import { InviteTokens } from "../storage/invite_tokens.ts";
import type { AdhocCommand } from "./command_registry.ts";
import { dataForm } from "./data_form.ts";

/** The node of the command (XEP-0401 §5.1). */
export const CREATE_ACCOUNT_INVITE = "urn:xmpp:invite#create-account";

/** What the invitation command needs. */
export interface InviteCommandOptions {
  /** Bare JIDs allowed to create invitations. */
  readonly admins: ReadonlySet<string>;
  /** The landing page's base URL; an invitation's page is `<inviteUrl>/<token>`. */
  readonly inviteUrl?: string;
  /** How long an invitation is valid, in ms; default 7 days. */
  readonly ttlMs?: number;
}

/** The landing page of a token, under a base URL. */
export function landingUrl(base: string, token: string): string {
  return `${base.replace(/\/+$/, "")}/${encodeURIComponent(token)}`;
}

/** The XEP-0401 command that creates an account invitation, for admins. */
export function inviteCommand(api: ModuleApi, options: InviteCommandOptions): AdhocCommand {
  const tokens = new InviteTokens(api.storage, () => api.now().getTime());
  return {
    node: CREATE_ACCOUNT_INVITE,
    name: "Create new account invite",
    allowed: (from) => options.admins.has(from.bare),
    async run({ from }) {
      const invite = await tokens.create({
        domain: from.domain,
        ttlMs: options.ttlMs,
        createdBy: from.bare,
      });
      // XEP-0401 §5.1: the result carries the URI, the landing page and the expiry.
      const fields = [
        { var: "uri", label: "Invite URI", values: [invite.uri] },
        ...options.inviteUrl
          ? [{
            var: "landing-url",
            label: "Invite landing URL",
            values: [
              landingUrl(options.inviteUrl, invite.token),
            ],
          }]
          : [],
        { var: "expire", label: "Valid until", values: [invite.expires.toISOString()] },
      ];
      return { status: "completed", form: dataForm("result", undefined, fields) };
    },
  };
}

/**
 * The inline requests of a XEP-0388 `<authenticate/>` once it succeeded: the modules' SASL2
 * inline features first (XEP-0198 resumption), then XEP-0386 Bind 2 (a resource from the
 * client's `<tag/>`, then the modules' Bind 2 inline features on the new session), and the
 * `<success/>` that reports them.
 *
 * @module
 */
import type { Logger } from "../base/logger.ts";
import type { StreamHandle } from "../base/session.ts";
import { StanzaError } from "../base/stanza_error.ts";
import { type BareJid, type FullJid, JidError, prepResource } from "../jid/jid.ts";
import type { Bind2Handler, Sasl2Handler } from "../module/module_api.ts";
import type { Attachment, Connection } from "../stream/connection.ts";
import { child, type Element, text, xml } from "../xml/element.ts";
import { NS } from "../xml/ns.ts";

/** What the inline requests are performed with. */
export interface Sasl2InlineDeps {
  /** The modules' SASL2 inline handlers. */
  readonly sasl2: readonly { readonly feature: Element; readonly handler: Sasl2Handler }[];
  /** The modules' Bind 2 inline handlers. */
  readonly bind2: readonly { readonly xmlns: string; readonly handler: Bind2Handler }[];
  /** Chooses the full JID (`NegotiationEnv.bind`); may throw a `StanzaError`. */
  resolve(jid: BareJid, resource: string | undefined): Promise<FullJid>;
  /** Creates and registers the session (`SessionHub.bind`). */
  attach(conn: Connection, jid: FullJid, mechanism: string | undefined): Promise<Attachment>;
  /** The connection as a handle a module may resume a session on. */
  handle(conn: Connection): StreamHandle;
  /** The post-authentication features, when nothing was bound. */
  features(): Element;
  /** A fresh random id. */
  randomId(): string;
  /** Whether the tag gets a suffix (`ResolvedConfig.bind2ResourceSuffix`). */
  readonly suffix: boolean;
  /** The logger. */
  readonly logger: Logger;
}

/** The inline request a connection's negotiation handed over. */
export interface Sasl2InlineRequest {
  /** The authenticated account. */
  readonly jid: BareJid;
  /** `<success/>` without its authorization identifier. */
  readonly success: Element;
  /** The client's `<authenticate/>`. */
  readonly request: Element;
  /** The mechanism that authenticated. */
  readonly mechanism: string | undefined;
}

/** XEP-0388 §2.6: `<success/>` with the authorization identifier after the additional data. */
function success(base: Element, jid: string, extra: readonly Element[]): Element {
  const [data, rest] = [
    base.children.filter((c) => typeof c !== "string" && c.name === "additional-data"),
    base.children.filter((c) => typeof c === "string" || c.name !== "additional-data"),
  ];
  return xml(
    "success",
    { xmlns: NS.SASL2 },
    ...data,
    xml("authorization-identifier", null, jid),
    ...rest,
    ...extra,
  );
}

/** A short stable suffix from the client's user-agent id: the same client, the same one. */
async function agentSuffix(agent: string): Promise<string> {
  const hash = new Uint8Array(
    await crypto.subtle.digest("SHA-256", new TextEncoder().encode(agent)),
  );
  return [...hash.subarray(0, 4)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

/**
 * XEP-0386 §3: the server chooses the resource, from the client's `<tag/>` when it gave one:
 * `tag.suffix`, the suffix derived from the user-agent id (random without one), so that two
 * installations of one client never collide while a reconnecting one replaces its old
 * session; with `suffix` off, the tag itself.
 */
async function resourceFor(
  deps: Sasl2InlineDeps,
  bind: Element,
  agent: string | undefined,
): Promise<string> {
  const random = deps.randomId();
  const tag = text(child(bind, "tag", NS.BIND2)).trim();
  if (tag === "") return random;
  const suffix = agent ? await agentSuffix(agent) : random.slice(0, 8);
  try {
    return prepResource(deps.suffix ? `${tag}.${suffix}` : tag);
  } catch (e) {
    if (e instanceof JidError) return random;
    throw e;
  }
}

async function bound(
  deps: Sasl2InlineDeps,
  attachment: Attachment,
  bind: Element,
): Promise<Element> {
  const answers: Element[] = [];
  for (const request of bind.children) {
    if (typeof request === "string" || request.name === "tag") continue;
    const entry = deps.bind2.find((b) => b.xmlns === request.xmlns);
    if (!entry) continue; // XEP-0386 §2.2: an unknown inline request is ignored.
    try {
      const answer = await entry.handler(attachment.session, request);
      if (answer) answers.push(answer);
    } catch (e) {
      deps.logger.error("A Bind 2 inline handler failed", {
        session: attachment.session.id,
        xmlns: request.xmlns,
        error: e instanceof Error ? e.message : String(e),
      });
    }
  }
  return xml("bound", { xmlns: NS.BIND2 }, answers);
}

/**
 * Performs the inline requests and writes `<success/>`: with a resumed session (the module
 * wrote it), with `<bound/>` and the full JID, or with the bare JID followed by the
 * post-authentication features.
 *
 * @param deps Handlers, binding and the logger.
 * @param conn The connection.
 * @param req What was authenticated and requested.
 * @returns The new session to attach, when one was bound; `undefined` otherwise.
 */
export async function performSasl2Inline(
  deps: Sasl2InlineDeps,
  conn: Connection,
  req: Sasl2InlineRequest,
): Promise<Attachment | undefined> {
  const extra: Element[] = [];
  const stream = deps.handle(conn);
  for (const request of req.request.children) {
    if (typeof request === "string") continue;
    const entry = deps.sasl2.find((s) => s.feature.xmlns === request.xmlns);
    if (!entry) continue;
    let took = false;
    const answer = await entry.handler(stream, request, (answer, jid) => {
      took = true;
      conn.writeElement(success(req.success, jid, [...extra, answer]));
    });
    if (answer === true && took) return undefined;
    if (answer && answer !== true) extra.push(answer);
  }
  const bind = child(req.request, "bind", NS.BIND2);
  if (bind) {
    try {
      const agent = child(req.request, "user-agent", NS.SASL2)?.attrs.id;
      const full = await deps.resolve(req.jid, await resourceFor(deps, bind, agent));
      const attachment = await deps.attach(conn, full, req.mechanism);
      const answer = await bound(deps, attachment, bind);
      conn.writeElement(success(req.success, full, [...extra, answer]));
      return attachment;
    } catch (e) {
      if (!(e instanceof StanzaError)) {
        // Storage failed while the session was made, before <success/> was written: the
        // login did not happen. RFC 6120 §6.5.12 (XEP-0388 §2.6.2 reuses the conditions):
        // <temporary-auth-failure/>, so the client tries again later; then the stream ends
        // without a stream error, which clients would report instead of the failure.
        deps.logger.error("Bind 2 failed", {
          account: req.jid,
          error: e instanceof Error ? e.message : String(e),
        });
        conn.writeElement(
          xml("failure", { xmlns: NS.SASL2 }, xml("temporary-auth-failure", { xmlns: NS.SASL })),
        );
        void conn.close();
        return undefined;
      }
      // Binding was refused (too many sessions): the client is authenticated, and is told so
      // with the bare JID; the features let it try RFC 6120 binding.
      deps.logger.info("Bind 2 refused", { condition: e.condition, account: req.jid });
    }
  }
  conn.writeElement(success(req.success, req.jid, extra));
  conn.writeElement(deps.features());
  return undefined;
}

/**
 * Wraps a module's component (`ModuleApi.component`) for the router: what the component does
 * not handle gets the defaults of XEP-0030 for the domain itself, else an error.
 *
 * @module
 */
import { HANDLED } from "../hooks/hook_registry.ts";
import type { ComponentHandler } from "../router/domains.ts";
import type { Router } from "../router/router.ts";
import { type Element, elements, xml } from "../xml/element.ts";
import { NS } from "../xml/ns.ts";
import type { ComponentOptions } from "./module_api.ts";

function discoReply(iq: Element, domain: string, component: ComponentOptions): Element | undefined {
  const payload = elements(iq)[0];
  if (!payload || payload.name !== "query" || payload.attrs.node !== undefined) return undefined;
  let query: Element;
  if (payload.xmlns === NS.DISCO_INFO) {
    query = xml(
      "query",
      { xmlns: NS.DISCO_INFO },
      component.identities.map((i) =>
        xml("identity", { category: i.category, type: i.type, name: i.name })
      ),
      [...new Set([NS.DISCO_INFO, NS.DISCO_ITEMS, ...component.features ?? []])].sort()
        .map((f) => xml("feature", { var: f })),
      // XEP-0128 §3: extension forms follow the identities and features.
      component.extensions ?? [],
    );
  } else if (payload.xmlns === NS.DISCO_ITEMS) {
    query = xml("query", { xmlns: NS.DISCO_ITEMS });
  } else {
    return undefined;
  }
  return xml("iq", {
    xmlns: NS.CLIENT,
    type: "result",
    id: iq.attrs.id,
    from: domain,
    to: iq.attrs.from,
  }, query);
}

/**
 * The router's handler for a component domain.
 *
 * @param router Where answers go.
 * @param domain The component's domain.
 * @param component The module's component.
 * @returns The handler.
 * @example
 * ```ts
 * import { componentHandler } from "./component.ts";
 * import { parseJid } from "../jid/jid.ts";
 * import { xml, type Element } from "../xml/element.ts";
 * const sent: Element[] = [];
 * const router = { route: (s: Element) => Promise.resolve(void sent.push(s)) };
 * const handle = componentHandler(router as never, "muc.localhost", {
 *   identities: [{ category: "conference", type: "text" }],
 *   handle: () => undefined,
 * });
 * const iq = xml("iq", { type: "get", id: "1", from: "a@localhost/r", to: "muc.localhost" },
 *   xml("query", { xmlns: "http://jabber.org/protocol/disco#info" }));
 * await handle({ stanza: iq, from: parseJid("a@localhost/r"), to: parseJid("muc.localhost") });
 * if (sent[0]?.attrs.type !== "result") throw new Error();
 * ```
 */
export function componentHandler(
  router: Pick<Router, "route">,
  domain: string,
  component: ComponentOptions,
): ComponentHandler {
  return async (ev) => {
    if (await component.handle(ev) === HANDLED) return HANDLED;
    const { stanza, to } = ev;
    if (stanza.name === "iq" && stanza.attrs.type === "get" && !to.local && !to.resource) {
      const reply = discoReply(stanza, domain, component);
      if (reply) {
        await router.route(reply);
        return HANDLED;
      }
    }
    return undefined;
  };
}

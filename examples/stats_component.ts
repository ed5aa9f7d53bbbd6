/**
 * A third-party module, written only against Parley's public API, that uses two seams of the
 * core: the `stanza/out` hook (it counts every stanza written to each session) and a component
 * domain (`stats.<domain>`, with its own disco identity, listed in the server's disco#items).
 * A message to the component is answered with the sender's count.
 *
 * @module
 */
import { HANDLED, NS, xml, type XmppModule } from "../mod.ts";

/** The disco#info feature the component advertises. */
export const NS_STATS = "urn:example:stats";

/**
 * Creates the stats module.
 *
 * @param options `subdomain`: the component's label (default "stats").
 * @returns The module.
 * @example
 * ```ts
 * import { stats } from "./stats_component.ts";
 * import { testServer } from "../src/testing/mod.ts";
 * import { child, text, xml } from "../mod.ts";
 * const t = await testServer({ users: ["alice@localhost"], modules: [stats()] });
 * const alice = await t.connect("alice@localhost/phone");
 * await alice.send(xml("message", { to: "stats.localhost", id: "q" }, xml("body", null, "count?")));
 * const answer = await alice.next((el) => el.name === "message" && el.attrs.id === "q");
 * if (!/^\d+ stanzas/.test(text(child(answer, "body")))) throw new Error("no count");
 * await t.close();
 * ```
 */
export function stats(options: { subdomain?: string } = {}): XmppModule {
  return {
    name: "stats",
    setup(api) {
      const counts = new Map<string, number>();
      // Synchronous, on the path of every stanza: counting only.
      api.hook("stanza/out", ({ session }) => {
        counts.set(session.jid, (counts.get(session.jid) ?? 0) + 1);
      });
      api.hook("session/closed", ({ session }) => void counts.delete(session.jid));
      const domain = `${options.subdomain ?? "stats"}.${api.domain}`;
      api.component(domain, {
        name: "Statistics",
        identities: [{ category: "component", type: "generic", name: "Statistics" }],
        features: [NS_STATS],
        async handle({ stanza, from, to }) {
          if (stanza.name !== "message" || stanza.attrs.type === "error") return;
          const n = counts.get(from.full) ?? 0;
          await api.router.route(xml(
            "message",
            { xmlns: NS.CLIENT, from: to.full, to: from.full, id: stanza.attrs.id, type: "chat" },
            xml("body", null, `${n} stanzas written to ${from.full}`),
          ));
          return HANDLED;
        },
      });
    },
  };
}

/**
 * Which remote full JIDs are available to which local JIDs, as their presence arrived over
 * s2s: what to tell local users when a remote server goes away without its users saying
 * unavailable.
 *
 * @module
 */
import { tryParseJid } from "../../jid/jid.ts";
import { type Element, xml } from "../../xml/element.ts";
import { NS } from "../../xml/ns.ts";

/** Remote presence seen per remote domain: remote full JID → local recipients. */
export class RemotePresence {
  readonly #byDomain = new Map<string, Map<string, Set<string>>>();
  readonly #max: number;

  /** @param max Remote full JIDs kept per domain (older ones are forgotten). */
  constructor(max = 10_000) {
    this.#max = max;
  }

  /**
   * Notes a stanza from a remote server: available presence from a full JID is remembered,
   * unavailable forgets it.
   *
   * @param stanza The stanza, in `jabber:client`.
   * @example
   * ```ts
   * import { RemotePresence } from "./remote_presence.ts";
   * import { xml } from "../../xml/element.ts";
   * const seen = new RemotePresence();
   * seen.note(xml("presence", { from: "b@remote.example/r", to: "a@local.example" }));
   * const out = seen.forgetDomain("remote.example");
   * if (out[0]?.attrs.type !== "unavailable" || out[0].attrs.to !== "a@local.example") throw new Error();
   * ```
   */
  note(stanza: Element): void {
    if (stanza.name !== "presence") return;
    const type = stanza.attrs.type;
    if (type !== undefined && type !== "unavailable") return;
    const from = tryParseJid(stanza.attrs.from ?? "");
    const to = stanza.attrs.to;
    if (!from?.resource || !to) return;
    const domain = this.#byDomain.get(from.domain) ?? new Map<string, Set<string>>();
    const recipients = domain.get(from.full);
    if (type === "unavailable") {
      recipients?.delete(to);
      if (recipients?.size === 0) domain.delete(from.full);
    } else {
      if (!recipients && domain.size >= this.#max) {
        domain.delete(domain.keys().next().value!);
      }
      domain.set(from.full, (recipients ?? new Set()).add(to));
    }
    if (domain.size > 0) this.#byDomain.set(from.domain, domain);
    else this.#byDomain.delete(from.domain);
  }

  /**
   * Forgets a remote domain's presence and returns the unavailable presence its users would
   * have sent to each local recipient.
   *
   * @param domain The remote domain.
   * @returns The stanzas to route.
   */
  forgetDomain(domain: string): Element[] {
    const seen = this.#byDomain.get(domain);
    this.#byDomain.delete(domain);
    const out: Element[] = [];
    for (const [from, recipients] of seen ?? []) {
      for (const to of recipients) {
        out.push(xml("presence", { xmlns: NS.CLIENT, type: "unavailable", from, to }));
      }
    }
    return out;
  }
}

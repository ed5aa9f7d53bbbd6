/**
 * Sending what room operations queued: in order per room and per recipient, recipients side
 * by side, and after the room's lock is released.
 *
 * @module
 */
import type { Logger } from "../../base/logger.ts";
import type { Router } from "../../router/router.ts";
import type { Element } from "../../xml/element.ts";

/** Ordered, non-blocking delivery of the stanzas of room operations. */
export class Delivery {
  readonly #router: Pick<Router, "route">;
  readonly #logger: Logger;
  readonly #sending = new Map<string, Promise<void>>();

  /**
   * @param router Where stanzas go.
   * @param logger Where failures are logged.
   */
  constructor(router: Pick<Router, "route">, logger: Logger) {
    this.#router = router;
    this.#logger = logger;
  }

  /**
   * Sends a room operation's stanzas after those of the room's earlier operations. It does
   * not wait: a stanza the delivery causes to come back to the room (a vCard the server
   * answers for an occupant) must not wait for the operation that sent it.
   *
   * @param key The room.
   * @param stanzas The stanzas, in order.
   */
  deliver(key: string, stanzas: Element[]): void {
    if (stanzas.length === 0) return;
    const next = (this.#sending.get(key) ?? Promise.resolve())
      .then(() => this.#send(stanzas))
      .catch((e) => this.#logger.error("MUC failed to send", { error: String(e) }));
    this.#sending.set(key, next);
    void next.then(() => {
      if (this.#sending.get(key) === next) this.#sending.delete(key);
    });
  }

  /** Waits until everything queued has been sent. */
  async drain(): Promise<void> {
    while (this.#sending.size > 0) await Promise.all(this.#sending.values());
  }

  // Each recipient gets its stanzas in order; recipients are served side by side, so a
  // broadcast to many occupants does not wait for each delivery in turn.
  async #send(stanzas: Element[]): Promise<void> {
    const byRecipient = new Map<string, Element[]>();
    for (const s of stanzas) {
      const to = String(s.attrs.to);
      const list = byRecipient.get(to);
      if (list) list.push(s);
      else byRecipient.set(to, [s]);
    }
    await Promise.all([...byRecipient.values()].map(async (list) => {
      for (const s of list) await this.#router.route(s);
    }));
  }
}

/**
 * XEP-0077 in-band registration on the server side: a per-IP rate limit and account creation.
 *
 * @module
 */
import type { BareJid } from "../jid/jid.ts";
import { StanzaError } from "../base/stanza_error.ts";
import type { TransportInfo } from "../base/transport.ts";

/** Remembers when each address last registered an account. */
export class RegistrationLimiter {
  readonly #last = new Map<string, number>();
  readonly #intervalMs: number;

  /**
   * Creates a limiter.
   *
   * @param intervalMs Least time between two registrations from one address.
   */
  constructor(intervalMs: number) {
    this.#intervalMs = intervalMs;
  }

  /**
   * Whether an address may register now.
   *
   * @param address The remote address ("" when unknown: all unknown addresses share a slot).
   * @param now The current time in ms.
   * @returns `true` when the last registration is old enough.
   */
  allows(address: string, now: number): boolean {
    const last = this.#last.get(address);
    return last === undefined || now - last >= this.#intervalMs;
  }

  /**
   * Records a registration and forgets entries that no longer limit anyone.
   *
   * @param address The remote address.
   * @param now The current time in ms.
   */
  record(address: string, now: number): void {
    for (const [a, t] of this.#last) if (now - t >= this.#intervalMs) this.#last.delete(a);
    this.#last.set(address, now);
  }
}

/** What {@linkcode registrar} needs. */
export interface RegistrarDeps {
  /** Least time between two registrations from one IP address, in ms. */
  readonly perIpIntervalMs: number;
  /** Whether an account exists. */
  readonly exists: (jid: BareJid) => Promise<boolean>;
  /** Creates the account; `false` when it exists. */
  readonly create: (jid: BareJid, password: string) => Promise<boolean>;
  /** The current time in ms. */
  readonly now: () => number;
  /** Uses up an invitation token (XEP-0445); `false` when it is used, expired or unknown. */
  readonly redeem?: (token: string) => Promise<boolean>;
}

/**
 * Builds the `register` function of the negotiation environment.
 *
 * @param deps Rate limit, account creation, clock.
 * @returns A function that creates an account or throws a `StanzaError`.
 */
export function registrar(
  deps: RegistrarDeps,
): (jid: BareJid, password: string, info: TransportInfo, token?: string) => Promise<void> {
  const limiter = new RegistrationLimiter(deps.perIpIntervalMs);
  return async (jid, password, info, token) => {
    const address = info.remoteAddress ?? "";
    // XEP-0077 §3.1: the username is taken. Checked first, so it does not use up the slot
    // (nor the invitation).
    if (await deps.exists(jid)) throw new StanzaError("conflict", "cancel");
    if (token !== undefined) {
      // XEP-0445 §3: an invited registration (the inviter vouches: no per-address limit).
      if (!deps.redeem || !await deps.redeem(token)) {
        throw new StanzaError("forbidden", "auth", "The invitation is not valid");
      }
      if (!await deps.create(jid, password)) throw new StanzaError("conflict", "cancel");
      return;
    }
    if (!limiter.allows(address, deps.now())) {
      // RFC 6120 §8.3.3.18 (ejabberd answers the same): too many registrations from one address.
      throw new StanzaError(
        "resource-constraint",
        "wait",
        "Too many registrations from this address; try again later",
      );
    }
    // Counted before the (slow) key derivation, so parallel attempts cannot slip through.
    limiter.record(address, deps.now());
    if (!await deps.create(jid, password)) throw new StanzaError("conflict", "cancel");
  };
}

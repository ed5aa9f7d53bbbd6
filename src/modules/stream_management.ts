/**
 * XEP-0198 stream management: acknowledgements both ways and resumption of a session whose
 * connection was lost, with nothing lost and nothing delivered twice.
 *
 * - `<sm xmlns='urn:xmpp:sm:3'/>` is offered after authentication; `<enable/>` after binding
 *   starts the counters (before binding it gets `<failed><unexpected-request/></failed>`).
 * - Incoming stanzas are counted in `stanza/in` (every verdict: XEP-0198 §4 counts what the
 *   server handled, errors included); outgoing ones in `stanza/out` at priority
 *   {@linkcode STREAM_MANAGEMENT_PRIORITY}, after the modules that rewrite them, before those
 *   that hold them (XEP-0352). The server asks for an `<a/>` after a few stanzas or a short
 *   delay.
 * - A resumable session whose connection is lost (`session/ending`) hibernates for
 *   `min(client's max, resumptionTimeoutMs)`; `<resume previd h/>` before binding
 *   (`stream/delegate`) attaches it to the new connection, writes `<resumed/>` and the
 *   stanzas after the client's `h`.
 * - A session that ends otherwise (expired, closed, too many unacknowledged stanzas, server
 *   shutdown) hands its unacknowledged stanzas to RFC 6121 §8.5 (XEP-0198 §5: treated as
 *   undeliverable): messages, with an XEP-0203 delay and otherwise as they were, go to another
 *   resource or offline storage; iq requests get `<service-unavailable/>`.
 *
 * @module
 */
import type { Session, StreamHandle } from "../base/session.ts";
import { StreamError } from "../base/stream_error.ts";
import { HANDLED } from "../hooks/hook_registry.ts";
import type { ModuleApi, XmppModule } from "../module/module_api.ts";
import type { FullJid } from "../jid/jid.ts";
import { type Element, xml } from "../xml/element.ts";
import { NS } from "../xml/ns.ts";
import { setBounded } from "../util/bounded_map.ts";
import { approxBytes, nextSequence, parseSequence, UnackedQueue } from "./_sm_queue.ts";
import { failed, redeliver, type SmState, STATE_KEY, stateOf } from "./_sm_session.ts";

/** Options of the stream management module. */
export interface StreamManagementOptions {
  /** Longest a lost session waits for resumption (advertised as `max`); default 300,000 ms. */
  readonly resumptionTimeoutMs?: number;
  /** Unacknowledged stanzas one session may have before it is ended; default 1000. */
  readonly maxUnackedStanzas?: number;
  /** Their rough size in bytes before the session is ended; default 1 MiB. */
  readonly maxUnackedBytes?: number;
  /** The server sends `<r/>` once this many stanzas are unacknowledged; default 5. */
  readonly ackRequestEvery?: number;
  /** …or this long after a stanza was sent, if fewer; default 1000 ms. */
  readonly ackRequestDelayMs?: number;
}

/** The stream management module, with resumption for other modules (XEP-0388 inline). */
export interface StreamManagementModule extends XmppModule {
  /**
   * Handles a `<resume/>` on a connection that authenticated and did not bind (XEP-0198 §5):
   * checks that the session is the account's and hibernated (or still attached elsewhere),
   * writes `<resumed/>` (or `<failed/>`) with `write`, attaches the session to the connection
   * and writes the stanzas the client did not acknowledge. An `h` above what was sent closes
   * the connection with `<undefined-condition/>` and leaves the session as it was.
   *
   * @param stream The connection.
   * @param request The `<resume previd h/>` element.
   * @param write Writes the answer (default `stream.write`); XEP-0388 may wrap it. It gets the
   * resumed session's full JID with `<resumed/>`.
   * @returns Whether the session was resumed.
   */
  resume(
    stream: StreamHandle,
    request: Element,
    write?: (answer: Element, jid?: FullJid) => void,
  ): boolean;
}

/**
 * The `stanza/out` priority of the counting handler: after rewriting handlers (higher
 * priorities), before handlers that hold stanzas (XEP-0352 uses -110).
 */
export const STREAM_MANAGEMENT_PRIORITY: number = -100;

const ENABLE_KEY = `${NS.SM}#enable`;
const REQUEST_KEY = `${NS.SM}#request`;
/**
 * While the client says it is inactive (XEP-0352 sets `session.data` NS.CSI to "inactive"),
 * the server asks for an ack only after this many stanzas, or when held stanzas are released
 * (`requestAck`): an `<r/>` of its own would wake the phone for nothing.
 */
const INACTIVE_ACK_EVERY = 100;
/** Closing conditions after which a session may still come back (XEP-0198 §5). */
const HIBERNATE_ON = new Set<string>(["connection-timeout"]);
/** Resumption records of ended sessions, for `<failed h/>` (XEP-0198 §5). */
const MAX_ENDED = 10_000;

/**
 * Enables stream management on a bound session, as `<enable/>` does (XEP-0198 §3); for
 * modules that enable it inline (XEP-0386 Bind 2). Counting starts now.
 *
 * @param session The session.
 * @param request The `<enable/>` element (its `resume` and `max`); default `resume='true'`.
 * @returns The `<enabled/>` or `<failed/>` element to send, or `undefined` when the stream
 * management module is not loaded.
 * @example
 * ```ts
 * import { enableStreamManagement } from "./stream_management.ts";
 * import { testServer } from "../testing/mod.ts";
 * import type { FullJid } from "../jid/jid.ts";
 * const t = await testServer({ users: ["a@localhost"] });
 * await t.connect("a@localhost/phone");
 * const ref = await t.server.router.session("a@localhost/phone" as FullJid);
 * const enabled = enableStreamManagement(t.server.router.local(ref!)!);
 * if (enabled?.name !== "enabled" || enabled.attrs.resume !== "true") throw new Error();
 * await t.close();
 * ```
 */
export function enableStreamManagement(session: Session, request?: Element): Element | undefined {
  const enable = session.data.get(ENABLE_KEY) as ((request: Element) => Element) | undefined;
  return enable?.(request ?? xml("enable", { xmlns: NS.SM, resume: "true" }));
}

/**
 * Tells stream management that a stanza it counted in `stanza/out` will never be written: a
 * handler that runs after it and drops a stanza it held (XEP-0352 deduplication) calls this,
 * so that the client's `h` and the server's count agree.
 *
 * @param session The session.
 * @param stanza The stanza, as the `stanza/out` handler got it.
 * @returns Whether stream management had counted it.
 * @example
 * ```ts
 * import { withdrawUnsent } from "./stream_management.ts";
 * import { testServer } from "../testing/mod.ts";
 * import { xml } from "../xml/element.ts";
 * import type { FullJid } from "../jid/jid.ts";
 * const t = await testServer({ users: ["a@localhost"] });
 * await t.connect("a@localhost/phone");
 * const ref = await t.server.router.session("a@localhost/phone" as FullJid);
 * // Stream management is not enabled on this session: nothing was counted.
 * if (withdrawUnsent(t.server.router.local(ref!)!, xml("presence", {}))) throw new Error();
 * await t.close();
 * ```
 */
export function withdrawUnsent(session: Session, stanza: Element): boolean {
  return stateOf(session)?.queue.withdraw(stanza) ?? false;
}

/**
 * Asks the client for an acknowledgement (`<r/>`) once the current `stanza/out` round is
 * written, if stanzas are unacknowledged and no request is pending: for a module that just
 * released stanzas it held (XEP-0352), while the client is awake anyway.
 *
 * @param session The session.
 * @example
 * ```ts
 * import { requestAck } from "./stream_management.ts";
 * import type { Session } from "../base/session.ts";
 * // Without stream management on the session, nothing happens.
 * requestAck({ data: new Map() } as unknown as Session);
 * ```
 */
export function requestAck(session: Session): void {
  (session.data.get(REQUEST_KEY) as (() => void) | undefined)?.();
}

/**
 * The stream management module (XEP-0198).
 *
 * @param options Timeout, per-session caps and when the server asks for acknowledgements.
 * @returns The module.
 * @example
 * ```ts
 * import { streamManagement } from "./stream_management.ts";
 * import { testServer } from "../testing/mod.ts";
 * import { xml } from "../xml/element.ts";
 * const t = await testServer({ users: ["a@localhost"] });
 * await t.server.unload("stream-management");
 * await t.server.use(streamManagement({ resumptionTimeoutMs: 60_000 }));
 * const a = await t.connect("a@localhost/phone");
 * await a.send(xml("enable", { xmlns: "urn:xmpp:sm:3", resume: "true" }));
 * const enabled = await a.next((el) => el.name === "enabled");
 * if (enabled.attrs.max !== "60" || !enabled.attrs.id) throw new Error();
 * await t.close();
 * ```
 */
export function streamManagement(
  options: StreamManagementOptions = {},
): StreamManagementModule {
  const timeoutMs = options.resumptionTimeoutMs ?? 300_000;
  const maxStanzas = options.maxUnackedStanzas ?? 1000;
  const maxBytes = options.maxUnackedBytes ?? 1024 * 1024;
  const every = options.ackRequestEvery ?? 5;
  const delayMs = options.ackRequestDelayMs ?? 1000;
  const maxSeconds = Math.max(1, Math.round(timeoutMs / 1000));
  /** Resumable sessions by SM-ID. */
  const live = new Map<string, Session>();
  /** Ended sessions by SM-ID: their account and the last `h` (XEP-0198 §5 `<failed h/>`). */
  const ended = new Map<string, { account: string; h: number }>();
  let api: ModuleApi;

  const logFailure = (session: Session, what: string) => (e: unknown) =>
    api.logger.error(what, {
      session: session.id,
      error: e instanceof Error ? e.message : String(e),
    });

  function request(session: Session, sm: SmState): void {
    clearTimeout(sm.ackTimer);
    sm.ackTimer = undefined;
    if (sm.requested || sm.queue.length === 0 || session.state !== "active") return;
    sm.requested = true;
    session.write(xml("r", { xmlns: NS.SM }));
  }

  /** Asks for an `<a/>` once a few stanzas wait, or after a short delay. */
  function scheduleRequest(session: Session, sm: SmState): void {
    if (sm.requested) return;
    const inactive = session.data.get(NS.CSI) === "inactive";
    // After the stanza being sent: stanza/out runs before the connection writes it.
    if (sm.queue.length >= (inactive ? INACTIVE_ACK_EVERY : every)) {
      queueMicrotask(() => request(session, sm));
    } else if (!inactive) sm.ackTimer ??= setTimeout(() => request(session, sm), delayMs);
  }

  function enable(session: Session, req: Element): Element {
    if (stateOf(session) || session.state !== "active") return failed("unexpected-request");
    const resumable = req.attrs.resume === "true" || req.attrs.resume === "1";
    // XEP-0198 §3: the client's max is a preference; the server's limit wins.
    const wanted = parseSequence(req.attrs.max);
    const max = wanted && wanted > 0 ? Math.min(wanted, maxSeconds) : maxSeconds;
    const sessionTimeoutMs = Math.min(max * 1000, timeoutMs);
    const id = resumable ? api.randomId() : undefined;
    const sm: SmState = {
      id,
      timeoutMs: sessionTimeoutMs,
      queue: new UnackedQueue(),
      rerouted: new WeakSet(),
      received: 0,
      requested: false,
      overflowed: false,
    };
    session.data.set(STATE_KEY, sm);
    if (id) live.set(id, session);
    return xml("enabled", {
      xmlns: NS.SM,
      id,
      resume: resumable ? "true" : undefined,
      max: resumable ? max : undefined,
    });
  }

  function acknowledge(session: Session, sm: SmState, h: number | undefined): void {
    if (h === undefined) {
      throw new StreamError("undefined-condition", "The 'h' of <a/> is not an unsigned integer");
    }
    const result = sm.queue.ack(h);
    if (result.kind === "too-high") {
      // XEP-0198 §4: an h above the number of stanzas sent is a stream error.
      throw new StreamError(
        "undefined-condition",
        `You acknowledged ${result.h} stanzas but were sent ${result.sent}`,
      );
    }
    sm.requested = false;
    if (sm.queue.length > 0) scheduleRequest(session, sm);
  }

  function onNonza(session: Session, element: Element): void {
    const sm = stateOf(session);
    switch (element.name) {
      case "enable":
        session.write(enable(session, element));
        return;
      case "r":
        if (!sm) return session.write(failed("unexpected-request"));
        session.write(xml("a", { xmlns: NS.SM, h: sm.received }));
        return;
      case "a":
        if (!sm) return session.write(failed("unexpected-request"));
        return acknowledge(session, sm, parseSequence(element.attrs.h));
      default:
        // <resume/> after binding (XEP-0198 §5: it replaces binding), or unknown.
        session.write(failed("unexpected-request"));
    }
  }

  function resume(
    stream: StreamHandle,
    req: Element,
    write: (answer: Element, jid?: FullJid) => void = (el) => stream.write(el),
  ): boolean {
    const previd = req.attrs.previd ?? "";
    const session = live.get(previd);
    const sm = session && stateOf(session);
    // XEP-0198 §9: another account's session is as unknown as one that never existed.
    if (
      !session || !sm || session.bare !== stream.account ||
      session.state === "closing" || session.state === "closed"
    ) {
      const gone = ended.get(previd);
      const h = gone && gone.account === stream.account ? gone.h : undefined;
      write(failed("item-not-found", h));
      return false;
    }
    const h = parseSequence(req.attrs.h);
    if (h === undefined) {
      write(failed("bad-request"));
      return false;
    }
    const result = sm.queue.ack(h);
    if (result.kind === "too-high") {
      // XEP-0198 §4; the session stays as it was.
      void stream.close(
        new StreamError(
          "undefined-condition",
          `You acknowledged ${result.h} stanzas but were sent ${result.sent}`,
        ),
      );
      return false;
    }
    clearTimeout(sm.expiry);
    clearTimeout(sm.ackTimer);
    sm.expiry = sm.ackTimer = undefined;
    sm.requested = false;
    // Written before the session is attached: nothing sent to it from now on can come first.
    write(xml("resumed", { xmlns: NS.SM, previd, h: sm.received }), session.jid);
    for (const item of sm.queue.items()) stream.write(item.stanza);
    if (!stream.resume(session)) {
      api.logger.error("Cannot attach a resumed session", { session: session.id });
      return false;
    }
    if (sm.queue.length > 0) scheduleRequest(session, sm);
    return true;
  }

  return {
    name: "stream-management",
    specs: ["XEP-0198"],
    resume,
    setup(moduleApi) {
      api = moduleApi;
      api.streamFeature(xml("sm", { xmlns: NS.SM }));
      // XEP-0198 §5 with XEP-0388: <resume/> inside <authenticate/>; <resumed/> goes into
      // <success/>, a <failed/> too, and negotiation goes on (Bind 2).
      api.sasl2Feature(xml("sm", { xmlns: NS.SM }), (stream, request, succeed) => {
        if (request.name !== "resume") return undefined;
        let answer: Element | undefined;
        const resumed = resume(stream, request, (el, jid) => {
          if (el.name === "resumed" && jid) succeed(el, jid);
          else answer = el;
        });
        return resumed || answer;
      });
      // XEP-0386 §2.2: <enable/> inside Bind 2; <enabled/> goes into <bound/>.
      api.bind2Feature(
        NS.SM,
        (session, request) => request.name === "enable" ? enable(session, request) : undefined,
      );
      api.hook("session/bound", ({ session }) => {
        session.data.set(ENABLE_KEY, (req: Element) => enable(session, req));
        session.data.set(REQUEST_KEY, () => {
          const sm = stateOf(session);
          if (sm) queueMicrotask(() => request(session, sm));
        });
      });
      api.hook("stanza/in", ({ session }) => {
        const sm = stateOf(session);
        if (sm) sm.received = nextSequence(sm.received);
      });
      api.hook("stanza/out", ({ session, stanza }) => {
        const sm = stateOf(session);
        if (!sm) return;
        sm.queue.push(stanza, approxBytes(stanza), Date.now());
        if (sm.queue.length > maxStanzas || sm.queue.bytes > maxBytes) {
          if (sm.overflowed) return;
          sm.overflowed = true;
          api.logger.info("Ending a session with too many unacknowledged stanzas", {
            session: session.id,
            stanzas: sm.queue.length,
            bytes: sm.queue.bytes,
          });
          const error = new StreamError("policy-violation", "Too many unacknowledged stanzas");
          queueMicrotask(() => {
            session.close(error).catch(logFailure(session, "Cannot end a session"));
          });
          return;
        }
        if (session.state === "active") scheduleRequest(session, sm);
      }, { priority: STREAM_MANAGEMENT_PRIORITY });
      api.hook("nonza", ({ session, element }) => {
        if (element.xmlns !== NS.SM) return;
        onNonza(session, element);
        return HANDLED;
      });
      api.hook("stream/delegate", ({ stream, element }) => {
        if (element.xmlns !== NS.SM) return;
        if (element.name === "resume") resume(stream, element);
        // XEP-0198 §3: <enable/> before binding.
        else stream.write(failed("unexpected-request"));
        return HANDLED;
      });
      api.hook("stanza/undeliverable", ({ session, stanza }) => {
        const sm = stateOf(session);
        // Counted stanzas are this module's to redeliver, once, when the session ends.
        if (sm && (sm.rerouted.has(stanza) || sm.queue.has(stanza))) return HANDLED;
      });
      api.hook("session/ending", ({ session, error }) => {
        const sm = stateOf(session);
        if (!sm?.id || sm.overflowed) return;
        if (error && !HIBERNATE_ON.has(error.condition)) return;
        clearTimeout(sm.ackTimer);
        sm.ackTimer = undefined;
        sm.requested = false;
        sm.expiry = setTimeout(() => {
          if (session.state !== "hibernated") return;
          session.close().catch(logFailure(session, "Cannot end a hibernated session"));
        }, sm.timeoutMs);
        api.logger.info("Session hibernated", {
          session: session.id,
          unacked: sm.queue.length,
          timeoutMs: sm.timeoutMs,
        });
        return HANDLED;
      });
      api.hook("session/closed", async ({ session }) => {
        const sm = stateOf(session);
        if (!sm) return;
        clearTimeout(sm.ackTimer);
        clearTimeout(sm.expiry);
        if (sm.id) {
          live.delete(sm.id);
          setBounded(ended, sm.id, { account: session.bare, h: sm.received }, MAX_ENDED);
        }
        await redeliver(api, session, sm);
      });
      // Runs before the hooks go: a session nobody can resume any more ends, and its
      // unacknowledged stanzas are redelivered.
      api.onUnload(async () => {
        for (const session of [...live.values()]) {
          const sm = stateOf(session);
          clearTimeout(sm?.ackTimer);
          clearTimeout(sm?.expiry);
          if (session.state === "hibernated") await session.close();
        }
      });
    },
  };
}

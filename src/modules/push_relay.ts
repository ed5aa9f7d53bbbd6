/**
 * A first-party XEP-0357 app server: a component (by default `push.<domain>`) that takes the
 * push notifications this server's accounts publish to it and POSTs a JSON summary to an
 * HTTPS endpoint of the deployment's choosing, so that a self-hosted server gets
 * notifications to phones without a third-party app server.
 *
 * The JSON body (`Content-Type: application/json`, `Authorization: Bearer <token>` when a token
 * is set) holds no message content, whatever the summary form carried:
 * `{ "account", "node", "messageCount", "lastMessageSender", "options" }`, where `options` are
 * the publish-options fields the client gave when it enabled push (e.g. its device token).
 *
 * Only accounts of hosted domains may publish (`<forbidden/>` otherwise). The endpoint's answer
 * becomes the iq's: 2xx a result; 404 or 410 `<item-not-found/>` (the device is gone: the push
 * module disables the registration); another 4xx `<not-acceptable/>`; 5xx, a network failure or
 * a timeout `<remote-server-timeout/>` of type `wait` (the registration stays).
 *
 * @module
 */
import { StanzaError } from "../base/stanza_error.ts";
import { HANDLED } from "../hooks/hook_registry.ts";
import type { StanzaEvent } from "../hooks/server_hooks.ts";
import type { ModuleApi, XmppModule } from "../module/module_api.ts";
import { child } from "../xml/element.ts";
import { NS } from "../xml/ns.ts";
import { formTypeOf, submittedValues } from "./data_form.ts";
import { gcraReserve } from "../util/gcra.ts";
import { setBounded } from "../util/bounded_map.ts";
import { iqResult } from "./_iq_result.ts";

/** Options of the push relay. */
export interface PushRelayOptions {
  /** Where summaries are POSTed: an `https:` URL (`http:` only to a loopback host). */
  readonly endpoint: string;
  /** Sent as `Authorization: Bearer <token>`. */
  readonly token?: string;
  /** The component's domain; default `push.<the default domain>`. */
  readonly domain?: string;
  /** How long the endpoint has to answer; default 10,000 ms. */
  readonly timeoutMs?: number;
  /** The `fetch` to use (default the global one). */
  readonly fetch?: typeof fetch;
  /**
   * POSTs one account may cause: `burst` at once, then `perMinute`; default 20 and 60. More
   * get `<resource-constraint/>` of type `wait` (the registration stays).
   */
  readonly perAccount?: PushRelayRate;
}

/** A rate of POSTs: `burst` at once, then `perMinute`. */
export interface PushRelayRate {
  /** POSTs that go at once from a fresh state; at least 1. */
  readonly burst: number;
  /** Sustained POSTs per minute; more than 0. */
  readonly perMinute: number;
}

/** The JSON body the relay POSTs for one notification. */
export interface PushRelaySummary {
  /** The account that is notified. */
  readonly account: string;
  /** The node its client registered (identifies the device for the endpoint). */
  readonly node: string;
  /** Messages waiting, per the summary form; `undefined` when it had none. */
  readonly messageCount?: number;
  /** The sender of the last one, when the form named it. */
  readonly lastMessageSender?: string;
  /** The publish-options fields, first value of each (e.g. a device token or secret). */
  readonly options: Readonly<Record<string, string>>;
}

const LOOPBACK = new Set(["127.0.0.1", "localhost", "[::1]"]);

function checkEndpoint(endpoint: string): URL {
  if (typeof endpoint !== "string") {
    throw new TypeError("Cannot use push.relay.endpoint: expected a URL string");
  }
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    throw new TypeError(`Cannot use push.relay.endpoint "${endpoint}": not a URL`);
  }
  if (url.protocol !== "https:" && !(url.protocol === "http:" && LOOPBACK.has(url.hostname))) {
    throw new TypeError(
      `Cannot use push.relay.endpoint "${endpoint}": use https (http only to a loopback host)`,
    );
  }
  return url;
}

/** The summary of a publish request, or `undefined` when it is not a push notification. */
function relaySummary(ev: StanzaEvent): PushRelaySummary | undefined {
  const pubsub = child(ev.stanza, "pubsub", NS.PUBSUB);
  const publish = pubsub && child(pubsub, "publish", NS.PUBSUB);
  const item = publish && child(publish, "item", NS.PUBSUB);
  const note = item && child(item, "notification", NS.PUSH);
  if (!publish?.attrs.node || !note) return undefined;
  const form = child(note, "x", NS.DATA_FORMS);
  const summary = form && formTypeOf(form) === NS.PUSH_SUMMARY ? submittedValues(form) : {};
  const publishOptions = child(pubsub, "publish-options", NS.PUBSUB);
  const optionsForm = publishOptions && child(publishOptions, "x", NS.DATA_FORMS);
  const options: Record<string, string> = {};
  for (const [k, v] of Object.entries(submittedValues(optionsForm))) {
    if (k !== "FORM_TYPE") options[k] = v[0] ?? "";
  }
  const count = Number(summary["message-count"]?.[0]);
  return {
    account: ev.from.bare,
    node: publish.attrs.node,
    messageCount: Number.isInteger(count) && count >= 0 ? count : undefined,
    lastMessageSender: summary["last-message-sender"]?.[0],
    options,
  };
}

function statusError(status: number): StanzaError {
  if (status === 404 || status === 410) {
    return new StanzaError("item-not-found", "cancel", `The endpoint answered ${status}`);
  }
  if (status >= 400 && status < 500 && status !== 408 && status !== 429) {
    return new StanzaError("not-acceptable", "cancel", `The endpoint answered ${status}`);
  }
  return new StanzaError("remote-server-timeout", "wait", `The endpoint answered ${status}`);
}

/**
 * The push relay module: an XEP-0357 app server that forwards to an HTTPS endpoint.
 *
 * @param options The endpoint, its token and the component's domain.
 * @returns The module.
 * @throws {TypeError} The endpoint is not an https URL (or http to a loopback host).
 * @throws {RangeError} A `perAccount` rate out of range.
 * @example
 * ```ts
 * import { pushRelay } from "./push_relay.ts";
 * import { testServer } from "../testing/mod.ts";
 * const t = await testServer({
 *   modules: [pushRelay({ endpoint: "https://push.example.net/notify", token: "s3cret" })],
 * });
 * await t.close();
 * ```
 */
export function pushRelay(options: PushRelayOptions): XmppModule {
  const url = checkEndpoint(options.endpoint);
  const timeoutMs = options.timeoutMs ?? 10_000;
  const doFetch = options.fetch ?? ((input, init) => fetch(input, init));
  let api: ModuleApi;
  /** Aborted when the module unloads: no request outlives the server. */
  const unloading = new AbortController();
  const rate = options.perAccount ?? { burst: 20, perMinute: 60 };
  if (!(Number.isInteger(rate.burst) && rate.burst >= 1 && rate.perMinute > 0)) {
    throw new RangeError("Cannot use push.relay.perAccount: burst ≥ 1 (integer), perMinute > 0");
  }
  /** Each account's GCRA state (XEP-0357 leaves flood control to the app server). */
  const tats = new Map<string, number>();

  async function forward(summary: PushRelaySummary): Promise<StanzaError | undefined> {
    const headers: Record<string, string> = { "content-type": "application/json" };
    if (options.token) headers.authorization = `Bearer ${options.token}`;
    let response: Response;
    try {
      response = await doFetch(url, {
        method: "POST",
        headers,
        body: JSON.stringify(summary),
        signal: AbortSignal.any([AbortSignal.timeout(timeoutMs), unloading.signal]),
      });
      await response.body?.cancel();
    } catch (e) {
      if (unloading.signal.aborted) return undefined;
      api.logger.warn("Push relay endpoint unreachable", {
        error: e instanceof Error ? e.message : String(e),
      });
      return new StanzaError("remote-server-timeout", "wait", "The endpoint did not answer");
    }
    return response.ok ? undefined : statusError(response.status);
  }

  async function handle(ev: StanzaEvent) {
    const { stanza } = ev;
    if (stanza.name !== "iq" || stanza.attrs.type !== "set") return undefined;
    const summary = relaySummary(ev);
    if (!summary) return undefined;
    if (!ev.from.local || !api.router.isLocal(ev.from.domain)) {
      await api.router.bounce(stanza, new StanzaError("forbidden", "auth"));
      return HANDLED;
    }
    const slot = gcraReserve(tats.get(summary.account), rate, Date.now());
    if (slot.delayMs > 0) {
      await api.router.bounce(
        stanza,
        new StanzaError("resource-constraint", "wait", "Too many push notifications"),
      );
      return HANDLED;
    }
    setBounded(tats, summary.account, slot.tat, 100_000);
    // The endpoint may take seconds: the sender's stanzas do not wait for it.
    answer(stanza, summary).catch((e) => {
      if (unloading.signal.aborted) return;
      api.logger.error("Cannot answer a push notification", {
        error: e instanceof Error ? e.message : String(e),
      });
    });
    return HANDLED;
  }

  async function answer(stanza: StanzaEvent["stanza"], summary: PushRelaySummary) {
    const error = await forward(summary);
    if (unloading.signal.aborted) return;
    if (error) return await api.router.bounce(stanza, error);
    await api.router.route(iqResult(stanza));
  }

  return {
    name: "push-relay",
    specs: ["XEP-0357"],
    setup(moduleApi) {
      api = moduleApi;
      api.onUnload(() => unloading.abort());
      // XEP-0357 §4: an app server is a pubsub service of type push.
      api.component(options.domain ?? `push.${api.domain}`, {
        identities: [{ category: "pubsub", type: "push", name: "Push relay" }],
        features: [NS.PUSH],
        name: "Push relay",
        handle,
      });
    },
  };
}

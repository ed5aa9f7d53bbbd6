/**
 * An incoming server-to-server stream (RFC 6120 §4, §5; XEP-0220, XEP-0178): offers STARTTLS,
 * SASL EXTERNAL (when the peer's certificate is trusted) and dialback, authenticates the peer's domains by asking their authoritative servers, answers
 * verification requests for our domains, and routes the stanzas of authenticated domain pairs.
 *
 * @module
 */
import type { Logger } from "../../base/logger.ts";
import { StreamError } from "../../base/stream_error.ts";
import type { ByteStream } from "../../base/transport.ts";
import { prepDomain } from "../../jid/jid.ts";
import { type Element, text, xml } from "../../xml/element.ts";
import { NS } from "../../xml/ns.ts";
import { fromBase64 } from "../../util/base64.ts";
import {
  certificateCovers,
  dialbackElement,
  dialbackError,
  inboundStanzaError,
  pairKey,
} from "./checks.ts";
import { dialbackKey, sameText } from "./dialback.ts";
import { type PipeLimits, renamespace, XmlPipe } from "./xml_pipe.ts";

/** What an incoming stream needs. */
export interface IncomingDeps {
  readonly secret: string;
  readonly limits: PipeLimits;
  readonly logger: Logger;
  readonly requireTls: boolean;
  /** Time from connection until the first domain is authenticated. */
  readonly connectTimeoutMs: number;
  /** Silence after which the stream is closed. */
  readonly idleTimeoutMs: number;
  /** Our default domain, for a header without `to`. */
  readonly domain: string;
  /** Whether we host a domain. */
  isLocal(domain: string): boolean;
  /** A new stream id. */
  randomId(): string;
  /** Asks the authoritative server of `originating` about a key (over an outgoing stream). */
  verify(receiving: string, originating: string, streamId: string, key: string): Promise<boolean>;
  /** Routes a stanza of an authenticated pair (in `jabber:client`). */
  route(stanza: Element): Promise<void>;
  /** Waits while the originating domain is over its stanza rate (#14 item 7). */
  throttle(originating: string): Promise<void>;
  /**
   * Records that this stream carries the domain's stanzas; `false` when the domain has too
   * many streams already.
   */
  admit(originating: string, stream: IncomingStream): boolean;
  /**
   * XEP-0288: the peer asked for a bidirectional stream and is now authenticated for a pair:
   * stanzas from `receiving` to `originating` may go back over this stream.
   */
  reverse?(receiving: string, originating: string, stream: IncomingStream): void;
}

/** The domain of a JID that parsed already. */
function domainOf(jid: string): string {
  const slash = jid.indexOf("/");
  const bare = slash === -1 ? jid : jid.slice(0, slash);
  return bare.slice(bare.indexOf("@") + 1);
}

/** One incoming stream. */
export class IncomingStream {
  readonly #deps: IncomingDeps;
  readonly #pipe: XmlPipe;
  readonly #pairs = new Set<string>();
  #streamId = "";
  /** The stream header's `from` and `to` (the peer's and our domain). */
  #peer: string | undefined;
  #local = "";
  #saslDone = false;
  #peerGone = false;
  #bidi = false;
  #idle: ReturnType<typeof setTimeout> | undefined;
  #authTimer: ReturnType<typeof setTimeout> | undefined;

  /**
   * @param deps What it needs.
   * @param stream The accepted connection.
   */
  constructor(deps: IncomingDeps, stream: ByteStream) {
    this.#deps = deps;
    this.#pipe = new XmlPipe(stream, NS.SERVER, deps.limits);
  }

  /**
   * Whether the peer's connection broke (ended without closing its stream, or failed): its
   * server may be gone, and its users' presence with it.
   */
  get peerGone(): boolean {
    return this.#peerGone;
  }

  /** The authenticated pairs ("originating receiving"). */
  get pairs(): ReadonlySet<string> {
    return this.#pairs;
  }

  /** Whether the stream ended or is ending. */
  get done(): boolean {
    return this.#pipe.closed;
  }

  /** XEP-0288: sends a stanza back to the peer (only for pairs it was registered for). */
  send(stanza: Element): void {
    this.#touch();
    void this.#pipe.send(stanza);
  }

  /** Ends the stream with a stream error. */
  stop(condition = "system-shutdown"): Promise<void> {
    return this.#pipe.fail(condition);
  }

  /** Runs the stream to its end. Never throws. */
  async run(): Promise<void> {
    this.#authTimer = setTimeout(
      () => void this.#pipe.fail("connection-timeout"),
      this.#deps.connectTimeoutMs,
    );
    this.#touch();
    try {
      while (await this.#stream()) { /* restarted after STARTTLS */ }
    } catch (e) {
      if (!(e instanceof StreamError) && !this.#pipe.closed) this.#peerGone = true;
      const condition = e instanceof StreamError
        ? e.condition
        : e instanceof SyntaxError
        ? "not-well-formed"
        : e instanceof RangeError
        ? "policy-violation"
        : "internal-server-error";
      if (!(e instanceof StreamError)) {
        this.#deps.logger.info("s2s incoming stream failed", {
          error: e instanceof Error ? e.message : String(e),
        });
      }
      await this.#pipe.fail(condition);
    } finally {
      clearTimeout(this.#idle);
      clearTimeout(this.#authTimer);
      await this.#pipe.close();
    }
  }

  #touch(): void {
    clearTimeout(this.#idle);
    this.#idle = setTimeout(() => void this.#pipe.close(), this.#deps.idleTimeoutMs);
  }

  /** One stream, header to end; `true` when it restarts (after STARTTLS). */
  async #stream(): Promise<boolean> {
    const pipe = this.#pipe;
    const open = await pipe.next();
    if (open?.kind !== "open") return false;
    this.#streamId = this.#deps.randomId();
    const to = open.header.attrs.to;
    let local = this.#deps.domain;
    try {
      if (to !== undefined) local = prepDomain(to);
    } catch {
      // reported below
    }
    this.#local = local;
    try {
      this.#peer = open.header.attrs.from === undefined
        ? undefined
        : prepDomain(open.header.attrs.from);
    } catch {
      this.#peer = undefined;
    }
    await pipe.open({ from: local, id: this.#streamId, version: "1.0" });
    if (open.header.contentNs !== NS.SERVER) throw new StreamError("invalid-namespace");
    // RFC 6120 §4.9.3.6: a stream to a domain we do not serve.
    if (to !== undefined && !this.#deps.isLocal(local)) throw new StreamError("host-unknown");
    if (open.header.attrs.version === "1.0") await pipe.send(this.#features());
    for (;;) {
      const ev = await pipe.next();
      if (!ev) this.#peerGone = true; // the connection ended without </stream:stream>
      if (!ev || ev.kind === "close") return false;
      if (ev.kind !== "element") continue;
      this.#touch();
      if (await this.#element(ev.element) === "restart") return true;
    }
  }

  #features(): Element {
    const secure = this.#pipe.info.secure;
    const tls = !secure && this.#pipe.canStartTls;
    // XEP-0178 §3: SASL EXTERNAL when the peer's certificate chains to a trusted CA.
    const external = secure && !this.#saslDone && (this.#pipe.info.peerDomains?.length ?? 0) > 0;
    return xml(
      "features",
      { xmlns: NS.STREAM },
      external ? xml("mechanisms", { xmlns: NS.SASL }, xml("mechanism", null, "EXTERNAL")) : null,
      tls
        ? xml("starttls", { xmlns: NS.TLS }, this.#deps.requireTls ? xml("required", null) : null)
        : null,
      // XEP-0220 §2.1: dialback once TLS is done (or not required), with the error extension.
      secure || !this.#deps.requireTls
        ? xml("dialback", { xmlns: NS.DIALBACK_FEATURE }, xml("errors", null))
        : null,
      (secure || !this.#deps.requireTls) && this.#deps.reverse
        ? xml("bidi", { xmlns: NS.BIDI_FEATURE })
        : null,
    );
  }

  async #element(el: Element): Promise<"restart" | undefined> {
    if (el.xmlns === NS.TLS && el.name === "starttls") {
      if (this.#pipe.info.secure || !this.#pipe.canStartTls) {
        throw new StreamError("unsupported-stanza-type");
      }
      await this.#pipe.send(xml("proceed", { xmlns: NS.TLS }));
      await this.#pipe.startTls();
      return "restart";
    }
    if (el.xmlns === NS.SASL && el.name === "auth") return this.#external(el);
    if (el.xmlns === NS.BIDI && el.name === "bidi") {
      this.#bidi = this.#deps.reverse !== undefined;
      return;
    }
    if (el.xmlns === NS.DIALBACK && el.name === "result") {
      if (this.#deps.requireTls && !this.#pipe.info.secure) {
        throw new StreamError("policy-violation", "TLS is required");
      }
      // Verification waits on another server: the stream goes on reading meanwhile.
      void this.#result(el).catch((e) =>
        this.#pipe.fail(e instanceof StreamError ? e.condition : "internal-server-error")
      );
      return;
    }
    if (el.xmlns === NS.DIALBACK && el.name === "verify") return this.#verify(el);
    if (el.xmlns === NS.STREAM && el.name === "error") throw new StreamError("reset");
    const error = inboundStanzaError(el, this.#pairs);
    if (error) throw error;
    await this.#deps.throttle(domainOf(el.attrs.from!));
    await this.#deps.route(renamespace(el, NS.SERVER, NS.CLIENT));
  }

  /**
   * XEP-0178 §3: SASL EXTERNAL. The authorization identity (or, when empty, the stream's
   * `from`) must be covered by the peer's verified certificate; success restarts the stream.
   */
  async #external(el: Element): Promise<"restart" | undefined> {
    const names = this.#pipe.info.peerDomains ?? [];
    const fail = async (condition: string) => {
      await this.#pipe.send(
        xml("failure", { xmlns: NS.SASL }, xml(condition, { xmlns: NS.SASL })),
      );
      return undefined;
    };
    if (this.#saslDone || el.attrs.mechanism !== "EXTERNAL" || names.length === 0) {
      return fail("invalid-mechanism");
    }
    const payload = text(el).trim();
    let claimed = this.#peer;
    if (payload !== "" && payload !== "=") {
      const bytes = fromBase64(payload);
      if (!bytes) return fail("incorrect-encoding");
      try {
        claimed = prepDomain(new TextDecoder().decode(bytes));
      } catch {
        return fail("invalid-authzid");
      }
    }
    if (!claimed || this.#deps.isLocal(claimed) || !certificateCovers(claimed, names)) {
      return fail("not-authorized");
    }
    if (!this.#deps.admit(claimed, this)) return fail("not-authorized");
    await this.#pipe.send(xml("success", { xmlns: NS.SASL }));
    this.#saslDone = true;
    this.#pairs.add(pairKey(claimed, this.#local));
    if (this.#bidi) this.#deps.reverse?.(this.#local, claimed, this);
    clearTimeout(this.#authTimer);
    this.#deps.logger.info("s2s incoming stream authenticated", {
      originating: claimed,
      receiving: this.#local,
      mechanism: "EXTERNAL",
    });
    // RFC 6120 §6.4.6: both sides restart the stream.
    this.#pipe.restart();
    return "restart";
  }

  /** XEP-0220 §2.1.2: the peer claims a domain; its authoritative server is asked. */
  async #result(el: Element): Promise<void> {
    const { from, to } = el.attrs;
    let originating: string, receiving: string;
    try {
      originating = prepDomain(from ?? "");
      receiving = prepDomain(to ?? "");
    } catch {
      throw new StreamError("improper-addressing");
    }
    // XEP-0220 §2.4: a domain we do not host.
    if (!this.#deps.isLocal(receiving)) {
      return this.#pipe.send(dialbackError(el, "item-not-found"));
    }
    if (this.#deps.isLocal(originating)) {
      return this.#pipe.send(dialbackError(el, "not-authorized"));
    }
    let valid: boolean;
    try {
      valid = await this.#deps.verify(receiving, originating, this.#streamId, text(el).trim());
    } catch {
      return this.#pipe.send(dialbackError(el, "remote-server-not-found"));
    }
    if (valid && !this.#deps.admit(originating, this)) {
      await this.#pipe.send(dialbackError(el, "policy-violation"));
      throw new StreamError("policy-violation", "Too many streams from the domain");
    }
    const type = valid ? "valid" : "invalid";
    await this.#pipe.send(dialbackElement("result", { from: receiving, to: originating, type }));
    if (!valid) throw new StreamError("not-authorized");
    this.#pairs.add(pairKey(originating, receiving));
    if (this.#bidi) this.#deps.reverse?.(receiving, originating, this);
    clearTimeout(this.#authTimer);
    this.#deps.logger.info("s2s incoming stream authenticated", { originating, receiving });
  }

  /** XEP-0220 §2.2.2: the peer asks whether a key we made is valid; only for our domains. */
  async #verify(el: Element): Promise<undefined> {
    const { from, to, id } = el.attrs;
    if (!from || !to || !id) throw new StreamError("improper-addressing");
    if (!this.#deps.isLocal(to)) {
      await this.#pipe.send(dialbackError(el, "item-not-found"));
      return;
    }
    const expected = await dialbackKey(this.#deps.secret, from, to, id);
    const type = sameText(text(el).trim(), expected) ? "valid" : "invalid";
    await this.#pipe.send(dialbackElement("verify", { from: to, to: from, id, type }));
  }
}

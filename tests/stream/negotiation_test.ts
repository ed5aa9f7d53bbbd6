import { deepEqual, equal } from "node:assert/strict";
import type { BareJid, FullJid } from "../../src/jid/jid.ts";
import { StanzaError } from "../../src/base/stanza_error.ts";
import { deriveCredentials } from "../../src/sasl/credentials.ts";
import type { Credentials } from "../../src/storage/account_store.ts";
import type { TransportInfo } from "../../src/base/transport.ts";
import type { AuthThrottle } from "../../src/stream/auth_throttle.ts";
import {
  initialState,
  negotiate,
  type NegotiationConfig,
  type NegotiationEffect,
  type NegotiationEnv,
  type NegotiationInput,
  type NegotiationLog,
  type NegotiationOutput,
  type NegotiationStep,
} from "../../src/stream/negotiation.ts";
import { type Element, xml } from "../../src/xml/element.ts";
import { NS } from "../../src/xml/ns.ts";
import { clientFinal } from "../sasl/_scram_client.ts";

// ---- Fixtures -------------------------------------------------------------------------------

const CB = new TextEncoder().encode("certificate digest, 32 bytes....");
const EXPORTER = new TextEncoder().encode("exported keying material, 32 b..");
const TCP: TransportInfo = { kind: "tcp", secure: false };
const TLS: TransportInfo = { kind: "tcp", secure: true, tlsServerEndPoint: CB };
const TLS13: TransportInfo = {
  kind: "tls",
  secure: true,
  remoteAddress: "192.0.2.7",
  tlsServerEndPoint: CB,
  tlsExporter: EXPORTER,
};
const TLS_NO_CB: TransportInfo = { kind: "tls", secure: true };

const alice: Credentials = await deriveCredentials("secret", {
  salt1: new Uint8Array(12).fill(1),
  salt2: new Uint8Array(16).fill(2),
});

/** SCRAM client messages for alice, against the fake env's all-zero randomness. */
async function scram(hash: "SHA-1" | "SHA-256", gs2Header: string, cbData?: Uint8Array) {
  const bare = "n=alice,r=cnonce";
  const salt = hash === "SHA-1" ? alice.sha1.salt : alice.sha256.salt;
  const serverFirst = `r=cnonce${"!".repeat(24)},s=${salt},i=4096`;
  const final = await clientFinal({
    hash,
    password: "secret",
    gs2Header,
    cbData,
    clientFirstBare: bare,
    serverFirst,
  });
  return {
    first: btoa(gs2Header + bare),
    serverFirst: btoa(serverFirst),
    final: btoa(final.message),
    serverFinal: btoa(final.serverSignature),
  };
}
const SHA256 = await scram("SHA-256", "n,,");
const SHA1 = await scram("SHA-1", "n,,");
const PLUS = await scram("SHA-256", "p=tls-server-end-point,,", CB);
const PLUS_EXPORTER = await scram("SHA-256", "p=tls-exporter,,", EXPORTER);
const PLUS_EXPORTER_SHA1 = await scram("SHA-1", "p=tls-exporter,,", EXPORTER);
const PLUS_SHA1 = await scram("SHA-1", "p=tls-server-end-point,,", CB);
const DOWNGRADE = await scram("SHA-256", "y,,");
const DOWNGRADE_SHA1 = await scram("SHA-1", "y,,");
// What Debian's slixmpp 1.8.3 sends for -PLUS: tls-unique, which is undefined for TLS 1.3.
const TLS_UNIQUE = btoa("p=tls-unique,,n=alice,r=cnonce");
const PLAIN_OK = btoa("\0alice\0secret");
const PLAIN_BAD = btoa("\0alice\0wrong");

interface EnvOptions {
  readonly failStorage?: boolean;
  readonly taken?: readonly string[];
  readonly bindThrows?: Error;
  /** A throttle that records its calls into `throttled` and refuses the accounts listed. */
  readonly throttle?: { readonly refuse?: readonly string[]; readonly delayMs?: number };
}

/** The calls a fake throttle saw, per conversation: "admit ADDRESS ACCOUNT", "settle OK". */
let throttled: string[] = [];

function fakeEnv(options: EnvOptions = {}): NegotiationEnv {
  const accounts = new Map<string, Credentials>([["alice@localhost", alice]]);
  const taken = new Set(options.taken ?? []);
  let ids = 0;
  const env: NegotiationEnv = {
    getCredentials(jid: BareJid) {
      if (options.failStorage) return Promise.reject(new Error("database down"));
      return Promise.resolve(accounts.get(jid));
    },
    bind(jid: BareJid, resource: string | undefined) {
      if (options.bindThrows) return Promise.reject(options.bindThrows);
      const full = `${jid}/${resource ?? `gen-${env.randomId()}`}`;
      if (taken.has(full)) {
        return Promise.reject(
          new StanzaError("conflict", "cancel", `Resource "${resource}" is in use`),
        );
      }
      taken.add(full);
      return Promise.resolve(full as FullJid);
    },
    randomBytes: (n) => new Uint8Array(n),
    randomId: () => `id-${++ids}`,
  };
  const t = options.throttle;
  if (!t) return env;
  const throttle: AuthThrottle = {
    admit(address, account) {
      throttled.push(`admit ${address} ${account}`);
      if (t.refuse?.includes(account)) return Promise.resolve(undefined);
      return Promise.resolve({
        delayMs: t.delayMs ?? 0,
        settle: (ok: boolean) => void throttled.push(`settle ${ok}`),
      });
    },
    noteFailure: () => "info",
  };
  return { ...env, throttle };
}

// ---- Inputs ---------------------------------------------------------------------------------

function open(
  attrs: Record<string, string | undefined> = {},
  ns: string = NS.CLIENT,
): NegotiationInput {
  const all: Record<string, string> = {};
  for (const [k, v] of Object.entries({ to: "localhost", version: "1.0", ...attrs })) {
    if (v !== undefined) all[k] = v;
  }
  return {
    kind: "open",
    header: { name: "stream", xmlns: NS.STREAM, contentNs: ns, attrs: all },
  };
}
const el = (element: Element): NegotiationInput => ({ kind: "element", element });
const auth = (mechanism: string, data = "") => el(xml("auth", { xmlns: NS.SASL, mechanism }, data));
const response = (data: string) => el(xml("response", { xmlns: NS.SASL }, data));
const starttls = el(xml("starttls", { xmlns: NS.TLS }));
const secured = (info: TransportInfo): NegotiationInput => ({ kind: "secured", info });
const bindIq = (resource?: string, id = "b1", type = "set") =>
  el(
    xml(
      "iq",
      { xmlns: NS.CLIENT, type, id },
      xml(
        "bind",
        { xmlns: NS.BIND },
        resource === undefined ? [] : xml("resource", null, resource),
      ),
    ),
  );
const message = el(
  xml("message", { xmlns: NS.CLIENT, to: "bob@localhost" }, xml("body", null, "hi")),
);

// ---- Readable outputs -----------------------------------------------------------------------

const NS_NAMES: Record<string, string> = Object.fromEntries(
  Object.entries(NS).map(([k, v]) => [v, k]),
);

function show(e: Element, parentNs = ""): string {
  const ns = e.xmlns !== parentNs ? ` xmlns=${NS_NAMES[e.xmlns] ?? e.xmlns}` : "";
  const attrs = Object.entries(e.attrs).map(([k, v]) => ` ${k}='${v}'`).join("");
  const kids = e.children.map((c) => typeof c === "string" ? c : show(c, e.xmlns)).join("");
  return kids ? `<${e.name}${ns}${attrs}>${kids}</${e.name}>` : `<${e.name}${ns}${attrs}/>`;
}

function showOutput(o: NegotiationOutput): string {
  if (o.kind === "open") {
    return `open ${Object.entries(o.attrs).map(([k, v]) => `${k}=${v}`).join(" ")}`;
  }
  return o.kind === "close" ? "close" : show(o.element);
}

function showEffect(e: NegotiationEffect): string {
  switch (e.kind) {
    case "authenticated":
      return `authenticated ${e.jid} ${e.mechanism}`;
    case "bound":
      return `bound ${e.jid}`;
    case "delegate":
      return `delegate ${show(e.element)}`;
    default:
      return e.kind;
  }
}

/** A non-debug log line: "level message key=value …" (undefined fields left out). */
function showLog(l: NegotiationLog): string {
  const fields = Object.entries(l.fields).filter(([, v]) => v !== undefined)
    .map(([k, v]) => ` ${k}=${v}`).join("");
  return `${l.level} ${l.message}${fields}`;
}

const header = (id: string, from = "localhost") =>
  `open from=${from} id=${id} version=1.0 xml:lang=en`;
const streamError = (condition: string) =>
  `<error xmlns=STREAM><${condition} xmlns=STREAMS/></error>`;
const saslFailure = (condition: string) => `<failure xmlns=SASL><${condition}/></failure>`;
const mechanisms = (...names: string[]) =>
  `<mechanisms xmlns=SASL>${names.map((n) => `<mechanism>${n}</mechanism>`).join("")}</mechanisms>`;
const CB_FEATURE =
  "<sasl-channel-binding xmlns=SASL_CB><channel-binding type='tls-server-end-point'/></sasl-channel-binding>";
const CB_FEATURE_BOTH = "<sasl-channel-binding xmlns=SASL_CB>" +
  "<channel-binding type='tls-exporter'/><channel-binding type='tls-server-end-point'/>" +
  "</sasl-channel-binding>";
const BIND_FEATURES =
  "<features xmlns=STREAM><bind xmlns=BIND/><session xmlns=SESSION><optional/></session></features>";
const STREAM_END = ["close"];
const SECURE_MECHS = mechanisms(
  "SCRAM-SHA-256-PLUS",
  "SCRAM-SHA-1-PLUS",
  "SCRAM-SHA-256",
  "SCRAM-SHA-1",
  "PLAIN",
);

// ---- Conversations --------------------------------------------------------------------------

/** One exchange: the input, then everything the step returns, in readable form. */
interface Exchange {
  readonly input: NegotiationInput;
  readonly outputs: readonly string[];
  readonly effects?: readonly string[];
  readonly phase: string;
  readonly errors?: number;
  /** The step's non-debug log lines (see showLog); checked when given. */
  readonly log?: readonly string[];
  /** The fake throttle's calls during the step; checked when given. */
  readonly throttled?: readonly string[];
}

interface Conversation {
  readonly name: string;
  readonly config?: Partial<NegotiationConfig>;
  readonly info?: TransportInfo;
  readonly env?: EnvOptions;
  readonly exchanges: readonly Exchange[];
}

/** Authenticates alice with PLAIN on a direct-TLS stream (ids id-1 and, after restart, id-2). */
const loggedIn: readonly Exchange[] = [
  {
    input: open(),
    outputs: [
      header("id-1"),
      `<features xmlns=STREAM>${mechanisms("SCRAM-SHA-256", "SCRAM-SHA-1", "PLAIN")}</features>`,
    ],
    phase: "negotiating",
  },
  {
    input: auth("PLAIN", PLAIN_OK),
    outputs: ["<success xmlns=SASL/>"],
    effects: ["authenticated alice@localhost PLAIN", "restart"],
    phase: "await-open",
  },
  { input: open(), outputs: [header("id-2"), BIND_FEATURES], phase: "negotiating" },
];

const fatal = (
  condition: string,
  id = "id-1",
) => [header(id), streamError(condition), ...STREAM_END];

const conversations: Conversation[] = [
  ...([
    ["a content namespace other than jabber:client", open({}, NS.SERVER), "invalid-namespace"],
    ["no content namespace", open({}, ""), "invalid-namespace"],
    ["a domain we do not host", open({ to: "example.org" }), "host-unknown"],
    ["no 'to'", open({ to: undefined }), "host-unknown"],
    ["version 2.0", open({ version: "2.0" }), "unsupported-version"],
    ["no version (0.9)", open({ version: undefined }), "unsupported-version"],
  ] as const).map(([what, input, condition]): Conversation => ({
    name: `negotiate() sends its header, then <${condition}/>, for ${what}`,
    exchanges: [{ input, outputs: fatal(condition), effects: ["disconnect"], phase: "closed" }],
  })),
  {
    name: "negotiate() rejects a stream element outside the streams namespace",
    exchanges: [{
      input: {
        kind: "open",
        header: {
          name: "stream",
          xmlns: "urn:example",
          contentNs: NS.CLIENT,
          attrs: { to: "localhost", version: "1.0" },
        },
      },
      outputs: fatal("invalid-namespace"),
      effects: ["disconnect"],
      phase: "closed",
    }],
  },
  {
    name: "negotiate() requires STARTTLS, then offers -PLUS and binds (the full TCP path)",
    config: { requireTls: true, canStartTls: true },
    info: TCP,
    exchanges: [
      {
        input: open({ version: "1.1" }),
        outputs: [
          header("id-1"),
          "<features xmlns=STREAM><starttls xmlns=TLS><required/></starttls></features>",
        ],
        phase: "negotiating",
      },
      {
        input: auth("PLAIN", PLAIN_OK),
        outputs: [saslFailure("encryption-required")],
        phase: "negotiating",
      },
      {
        input: starttls,
        outputs: ["<proceed xmlns=TLS/>"],
        effects: ["starttls"],
        phase: "await-secured",
      },
      { input: secured(TLS), outputs: [], phase: "await-open" },
      {
        input: open(),
        outputs: [header("id-2"), `<features xmlns=STREAM>${SECURE_MECHS}${CB_FEATURE}</features>`],
        phase: "negotiating",
      },
      {
        input: auth("SCRAM-SHA-256-PLUS", PLUS.first),
        outputs: [`<challenge xmlns=SASL>${PLUS.serverFirst}</challenge>`],
        phase: "negotiating",
      },
      {
        input: response(PLUS.final),
        outputs: [`<success xmlns=SASL>${PLUS.serverFinal}</success>`],
        effects: ["authenticated alice@localhost SCRAM-SHA-256-PLUS", "restart"],
        phase: "await-open",
      },
      {
        input: open({ from: "Alice@LocalHost" }),
        outputs: [header("id-3"), BIND_FEATURES],
        phase: "negotiating",
      },
      {
        input: bindIq("phone"),
        outputs: [
          "<iq xmlns=CLIENT type='result' id='b1'><bind xmlns=BIND><jid>alice@localhost/phone</jid></bind></iq>",
        ],
        effects: ["bound alice@localhost/phone"],
        phase: "bound",
      },
    ],
  },
  {
    name: "negotiate() offers optional STARTTLS and SCRAM, but no PLAIN, on plain TCP",
    config: { requireTls: false, canStartTls: true },
    info: TCP,
    exchanges: [
      {
        input: open(),
        outputs: [
          header("id-1"),
          `<features xmlns=STREAM><starttls xmlns=TLS/>${
            mechanisms("SCRAM-SHA-256", "SCRAM-SHA-1")
          }</features>`,
        ],
        phase: "negotiating",
      },
      {
        input: auth("PLAIN", PLAIN_OK),
        outputs: [saslFailure("encryption-required")],
        phase: "negotiating",
      },
      {
        input: auth("SCRAM-SHA-256-PLUS", PLUS.first),
        outputs: [saslFailure("invalid-mechanism")],
        phase: "negotiating",
      },
      {
        input: auth("SCRAM-SHA-1", SHA1.first),
        outputs: [`<challenge xmlns=SASL>${SHA1.serverFirst}</challenge>`],
        phase: "negotiating",
      },
      {
        input: response(SHA1.final),
        outputs: [`<success xmlns=SASL>${SHA1.serverFinal}</success>`],
        effects: ["authenticated alice@localhost SCRAM-SHA-1", "restart"],
        phase: "await-open",
      },
    ],
  },
  {
    name: "negotiate() runs SCRAM-SHA-256 without an initial response and restarts",
    config: { requireTls: false, canStartTls: false },
    info: TCP,
    exchanges: [
      {
        input: open(),
        outputs: [
          header("id-1"),
          `<features xmlns=STREAM>${mechanisms("SCRAM-SHA-256", "SCRAM-SHA-1")}</features>`,
        ],
        phase: "negotiating",
      },
      {
        input: auth("SCRAM-SHA-256"),
        outputs: ["<challenge xmlns=SASL>=</challenge>"],
        phase: "negotiating",
      },
      {
        input: response(SHA256.first),
        outputs: [`<challenge xmlns=SASL>${SHA256.serverFirst}</challenge>`],
        phase: "negotiating",
      },
      {
        input: response(SHA256.final),
        outputs: [`<success xmlns=SASL>${SHA256.serverFinal}</success>`],
        effects: ["authenticated alice@localhost SCRAM-SHA-256", "restart"],
        phase: "await-open",
      },
      { input: open(), outputs: [header("id-2"), BIND_FEATURES], phase: "negotiating" },
      {
        input: bindIq(),
        outputs: [
          "<iq xmlns=CLIENT type='result' id='b1'><bind xmlns=BIND><jid>alice@localhost/gen-id-3</jid></bind></iq>",
        ],
        effects: ["bound alice@localhost/gen-id-3"],
        phase: "bound",
      },
    ],
  },
  {
    name: "negotiate() offers PLAIN on plain TCP only with allowPlainWithoutTls",
    config: { requireTls: false, canStartTls: false, allowPlainWithoutTls: true },
    info: TCP,
    exchanges: [
      {
        input: open(),
        outputs: [
          header("id-1"),
          `<features xmlns=STREAM>${
            mechanisms("SCRAM-SHA-256", "SCRAM-SHA-1", "PLAIN")
          }</features>`,
        ],
        phase: "negotiating",
      },
      {
        input: auth("PLAIN", PLAIN_OK),
        outputs: ["<success xmlns=SASL/>"],
        effects: ["authenticated alice@localhost PLAIN", "restart"],
        phase: "await-open",
      },
      {
        input: open({ from: "mallory@localhost" }),
        outputs: fatal("invalid-from", "id-2"),
        effects: ["disconnect"],
        phase: "closed",
      },
    ],
  },
  {
    name: "negotiate() ignores the server's own domain as 'from' after SASL (Net::XMPP does that)",
    config: { requireTls: false, canStartTls: false, allowPlainWithoutTls: true },
    info: TCP,
    exchanges: [
      {
        input: open(),
        outputs: [
          header("id-1"),
          `<features xmlns=STREAM>${
            mechanisms("SCRAM-SHA-256", "SCRAM-SHA-1", "PLAIN")
          }</features>`,
        ],
        phase: "negotiating",
      },
      {
        input: auth("PLAIN", PLAIN_OK),
        outputs: ["<success xmlns=SASL/>"],
        effects: ["authenticated alice@localhost PLAIN", "restart"],
        phase: "await-open",
      },
      {
        input: open({ from: "localhost" }),
        outputs: [header("id-2"), BIND_FEATURES],
        phase: "negotiating",
      },
    ],
  },
  {
    name: "negotiate() counts only wrong credentials toward maxAuthFailures and closes at it",
    exchanges: [
      loggedIn[0],
      {
        input: auth("PLAIN", PLAIN_BAD),
        outputs: [saslFailure("not-authorized")],
        phase: "negotiating",
        log: [
          "info SASL failure mechanism=PLAIN condition=not-authorized wrongCredentials=true",
        ],
      },
      {
        input: auth("SCRAM-SHA-256", "!!!"),
        outputs: [saslFailure("incorrect-encoding")],
        phase: "negotiating",
        log: [
          "info SASL failure mechanism=SCRAM-SHA-256 condition=incorrect-encoding wrongCredentials=false",
        ],
      },
      {
        input: auth("PLAIN", btoa("\0nobody\0secret")),
        outputs: [saslFailure("not-authorized")],
        phase: "negotiating",
      },
      {
        input: auth("PLAIN", PLAIN_BAD),
        outputs: [saslFailure("not-authorized"), streamError("policy-violation"), "close"],
        effects: ["disconnect"],
        phase: "closed",
        log: [
          "info SASL failure mechanism=PLAIN condition=not-authorized wrongCredentials=true",
          "info Stream error sent condition=policy-violation",
        ],
      },
      { input: auth("PLAIN", PLAIN_OK), outputs: [], phase: "closed", log: [] },
    ],
  },
  {
    name: "negotiate() lets slixmpp try tls-unique and 'y' before PLAIN (issue #9)",
    info: TLS,
    exchanges: [
      {
        input: open(),
        outputs: [header("id-1"), `<features xmlns=STREAM>${SECURE_MECHS}${CB_FEATURE}</features>`],
        phase: "negotiating",
      },
      ...(["SCRAM-SHA-256-PLUS", "SCRAM-SHA-1-PLUS"].map((mechanism): Exchange => ({
        input: auth(mechanism, TLS_UNIQUE),
        outputs: [
          "<failure xmlns=SASL><malformed-request/><text xml:lang='en'>Unsupported channel binding type \"tls-unique\"</text></failure>",
        ],
        phase: "negotiating",
        log: [
          `info SASL failure mechanism=${mechanism} condition=malformed-request text=Unsupported channel binding type "tls-unique" wrongCredentials=false`,
        ],
      }))),
      ...([["SCRAM-SHA-256", DOWNGRADE], ["SCRAM-SHA-1", DOWNGRADE_SHA1]] as const).map((
        [mechanism, messages],
      ): Exchange => ({
        input: auth(mechanism, messages.first),
        outputs: [
          "<failure xmlns=SASL><not-authorized/><text xml:lang='en'>Channel binding is supported by the server</text></failure>",
        ],
        phase: "negotiating",
      })),
      {
        input: auth("PLAIN", PLAIN_OK),
        outputs: ["<success xmlns=SASL/>"],
        effects: ["authenticated alice@localhost PLAIN", "restart"],
        phase: "await-open",
      },
    ],
  },
  {
    name: "negotiate() bounds other SASL failures by maxAuthErrors (10 by default)",
    exchanges: [
      loggedIn[0],
      ...Array.from({ length: 9 }, (): Exchange => ({
        input: el(xml("abort", { xmlns: NS.SASL })),
        outputs: [saslFailure("aborted")],
        phase: "negotiating",
      })),
      {
        input: auth("SCRAM-SHA-1", "!!!"),
        outputs: [saslFailure("incorrect-encoding"), streamError("policy-violation"), "close"],
        effects: ["disconnect"],
        phase: "closed",
      },
    ],
  },
  {
    name: "negotiate() offers tls-exporter beside tls-server-end-point and accepts either",
    info: TLS13,
    exchanges: [
      {
        input: open(),
        outputs: [
          header("id-1"),
          `<features xmlns=STREAM>${SECURE_MECHS}${CB_FEATURE_BOTH}</features>`,
        ],
        phase: "negotiating",
      },
      {
        input: auth("SCRAM-SHA-1-PLUS", PLUS_EXPORTER_SHA1.first),
        outputs: [`<challenge xmlns=SASL>${PLUS_EXPORTER_SHA1.serverFirst}</challenge>`],
        phase: "negotiating",
      },
      {
        // The tls-server-end-point data where tls-exporter was named: a mismatch.
        input: response(PLUS_SHA1.final),
        outputs: [
          "<failure xmlns=SASL><not-authorized/><text xml:lang='en'>Channel binding mismatch</text></failure>",
        ],
        phase: "negotiating",
        log: [
          "info SASL failure mechanism=SCRAM-SHA-1-PLUS condition=not-authorized text=Channel binding mismatch wrongCredentials=false remoteAddress=192.0.2.7",
        ],
      },
      {
        input: auth("SCRAM-SHA-256-PLUS", PLUS.first),
        outputs: [`<challenge xmlns=SASL>${PLUS.serverFirst}</challenge>`],
        phase: "negotiating",
      },
      {
        input: auth("SCRAM-SHA-256-PLUS", PLUS_EXPORTER.first),
        outputs: [`<challenge xmlns=SASL>${PLUS_EXPORTER.serverFirst}</challenge>`],
        phase: "negotiating",
      },
      {
        input: response(PLUS_EXPORTER.final),
        outputs: [`<success xmlns=SASL>${PLUS_EXPORTER.serverFinal}</success>`],
        effects: ["authenticated alice@localhost SCRAM-SHA-256-PLUS", "restart"],
        phase: "await-open",
      },
    ],
  },
  {
    name: "negotiate() advertises only tls-exporter when the certificate is unknown",
    info: { kind: "tls", secure: true, tlsExporter: EXPORTER },
    exchanges: [
      {
        input: open(),
        outputs: [
          header("id-1"),
          `<features xmlns=STREAM>${SECURE_MECHS}<sasl-channel-binding xmlns=SASL_CB><channel-binding type='tls-exporter'/></sasl-channel-binding></features>`,
        ],
        phase: "negotiating",
      },
      {
        input: auth("SCRAM-SHA-256-PLUS", PLUS.first),
        outputs: [
          "<failure xmlns=SASL><malformed-request/><text xml:lang='en'>Unsupported channel binding type \"tls-server-end-point\"</text></failure>",
        ],
        phase: "negotiating",
      },
    ],
  },
  {
    name: "negotiate() consults the throttle before each credential check only",
    info: TLS13,
    env: { throttle: { refuse: ["bob@localhost"], delayMs: 250 } },
    exchanges: [
      {
        ...loggedIn[0],
        outputs: [
          header("id-1"),
          `<features xmlns=STREAM>${SECURE_MECHS}${CB_FEATURE_BOTH}</features>`,
        ],
      },
      {
        input: auth("PLAIN", btoa("\0bob\0secret")),
        outputs: [
          "<failure xmlns=SASL><temporary-auth-failure/><text xml:lang='en'>Too many failed authentication attempts; try again later</text></failure>",
        ],
        phase: "negotiating",
        throttled: ["admit 192.0.2.7 bob@localhost"],
      },
      {
        input: auth("PLAIN", PLAIN_BAD),
        outputs: [saslFailure("not-authorized")],
        phase: "negotiating",
        throttled: ["admit 192.0.2.7 alice@localhost", "settle false"],
      },
      {
        input: auth("SCRAM-SHA-256"),
        outputs: ["<challenge xmlns=SASL>=</challenge>"],
        phase: "negotiating",
        throttled: [],
      },
      {
        input: response(DOWNGRADE.first),
        outputs: [
          "<failure xmlns=SASL><not-authorized/><text xml:lang='en'>Channel binding is supported by the server</text></failure>",
        ],
        phase: "negotiating",
        throttled: [],
      },
      {
        input: auth("SCRAM-SHA-256-PLUS", PLUS.first),
        outputs: [`<challenge xmlns=SASL>${PLUS.serverFirst}</challenge>`],
        phase: "negotiating",
        throttled: [],
      },
      {
        input: response(PLUS.final),
        outputs: [`<success xmlns=SASL>${PLUS.serverFinal}</success>`],
        effects: ["authenticated alice@localhost SCRAM-SHA-256-PLUS", "restart"],
        phase: "await-open",
        throttled: ["admit 192.0.2.7 alice@localhost", "settle true"],
      },
    ],
  },
  {
    name: "negotiate() closes without an answer when the peer sends a stream error",
    info: TLS13,
    exchanges: [
      {
        ...loggedIn[0],
        outputs: [
          header("id-1"),
          `<features xmlns=STREAM>${SECURE_MECHS}${CB_FEATURE_BOTH}</features>`,
        ],
      },
      {
        input: el(
          xml(
            "error",
            { xmlns: NS.STREAM },
            xml("conflict", { xmlns: NS.STREAMS }),
            xml("text", { xmlns: NS.STREAMS }, "secret text"),
          ),
        ),
        outputs: ["close"],
        effects: ["disconnect"],
        phase: "closed",
        log: ["info Stream error received condition=conflict remoteAddress=192.0.2.7"],
      },
    ],
  },
  {
    name: "negotiate() aborts an exchange on <abort/> and reports unknown mechanisms",
    config: { maxAuthFailures: 5 },
    exchanges: [
      loggedIn[0],
      {
        input: auth("SCRAM-SHA-1", SHA1.first),
        outputs: [`<challenge xmlns=SASL>${SHA1.serverFirst}</challenge>`],
        phase: "negotiating",
      },
      {
        input: el(xml("abort", { xmlns: NS.SASL })),
        outputs: [saslFailure("aborted")],
        phase: "negotiating",
      },
      {
        input: response(SHA1.final),
        outputs: [
          "<failure xmlns=SASL><malformed-request/><text xml:lang='en'>No exchange in progress</text></failure>",
        ],
        phase: "negotiating",
      },
      {
        input: auth("DIGEST-MD5", "="),
        outputs: [saslFailure("invalid-mechanism")],
        phase: "negotiating",
      },
      {
        input: auth("SCRAM-SHA-1-PLUS", "="),
        outputs: [saslFailure("invalid-mechanism")],
        phase: "negotiating",
      },
    ],
  },
  {
    name: "negotiate() rejects a 'y' downgrade and reports storage failures",
    info: TLS,
    env: { failStorage: true },
    exchanges: [
      {
        input: open(),
        outputs: [header("id-1"), `<features xmlns=STREAM>${SECURE_MECHS}${CB_FEATURE}</features>`],
        phase: "negotiating",
      },
      {
        input: auth("SCRAM-SHA-256", DOWNGRADE.first),
        outputs: [
          "<failure xmlns=SASL><not-authorized/><text xml:lang='en'>Channel binding is supported by the server</text></failure>",
        ],
        phase: "negotiating",
      },
      {
        input: auth("SCRAM-SHA-256-PLUS", PLUS.first),
        outputs: [saslFailure("temporary-auth-failure")],
        phase: "negotiating",
        errors: 1,
      },
    ],
  },
  {
    name: "negotiate() ends the stream with <not-authorized/> for a message before authentication",
    exchanges: [loggedIn[0], {
      input: message,
      outputs: [streamError("not-authorized"), "close"],
      effects: ["disconnect"],
      phase: "closed",
    }],
  },
  {
    name:
      "negotiate() ends the stream with <unsupported-stanza-type/> for a server-only SASL element",
    exchanges: [
      loggedIn[0],
      {
        input: el(xml("success", { xmlns: NS.SASL })),
        outputs: [streamError("unsupported-stanza-type"), "close"],
        effects: ["disconnect"],
        phase: "closed",
      },
    ],
  },
  {
    name: "negotiate() answers <starttls/> with <failure/> when TLS is already on",
    exchanges: [loggedIn[0], {
      input: starttls,
      outputs: ["<failure xmlns=TLS/>", "close"],
      effects: ["disconnect"],
      phase: "closed",
    }],
  },
  {
    name: "negotiate() refuses a stream that requires TLS it cannot start",
    config: { requireTls: true, canStartTls: false },
    info: TCP,
    exchanges: [{
      input: open(),
      outputs: [
        header("id-1"),
        "<error xmlns=STREAM><policy-violation xmlns=STREAMS/><text xmlns=STREAMS xml:lang='en'>TLS is required but not available on this connection</text></error>",
        "close",
      ],
      effects: ["disconnect"],
      phase: "closed",
    }],
  },
  {
    name: "negotiate() reports a bind conflict, then binds another resource",
    env: { taken: ["alice@localhost/phone"] },
    exchanges: [
      ...loggedIn,
      {
        input: bindIq("phone"),
        outputs: [
          "<iq xmlns=CLIENT type='error' id='b1'><error type='cancel'><conflict xmlns=STANZAS/><text xmlns=STANZAS xml:lang='en'>Resource \"phone\" is in use</text></error></iq>",
        ],
        phase: "negotiating",
      },
      {
        input: bindIq("a\u0001b", "b2"),
        outputs: [
          "<iq xmlns=CLIENT type='error' id='b2'><error type='modify'><bad-request xmlns=STANZAS/></error></iq>",
        ],
        phase: "negotiating",
      },
      {
        input: bindIq("x", "b3", "get"),
        outputs: [
          "<iq xmlns=CLIENT type='error' id='b3'><error type='modify'><bad-request xmlns=STANZAS/></error></iq>",
        ],
        phase: "negotiating",
      },
      {
        input: bindIq("laptop", "b4"),
        outputs: [
          "<iq xmlns=CLIENT type='result' id='b4'><bind xmlns=BIND><jid>alice@localhost/laptop</jid></bind></iq>",
        ],
        effects: ["bound alice@localhost/laptop"],
        phase: "bound",
      },
    ],
  },
  {
    name: "negotiate() turns an unexpected bind failure into internal-server-error",
    env: { bindThrows: new Error("directory down") },
    exchanges: [
      ...loggedIn,
      {
        input: bindIq("phone"),
        outputs: [
          "<iq xmlns=CLIENT type='error' id='b1'><error type='cancel'><internal-server-error xmlns=STANZAS/></error></iq>",
        ],
        phase: "negotiating",
        errors: 1,
      },
    ],
  },
  {
    name: "negotiate() delegates post-auth features and refuses stanzas before bind",
    config: { postAuthFeatures: [xml("sm", { xmlns: "urn:xmpp:sm:3" })] },
    exchanges: [
      loggedIn[0],
      loggedIn[1],
      {
        input: open(),
        outputs: [
          header("id-2"),
          "<features xmlns=STREAM><bind xmlns=BIND/><session xmlns=SESSION><optional/></session><sm xmlns=SM/></features>",
        ],
        phase: "negotiating",
      },
      {
        input: el(xml("resume", { xmlns: "urn:xmpp:sm:3", previd: "x", h: "0" })),
        outputs: [],
        effects: ["delegate <resume xmlns=SM previd='x' h='0'/>"],
        phase: "negotiating",
      },
      {
        input: message,
        outputs: [streamError("not-authorized"), "close"],
        effects: ["disconnect"],
        phase: "closed",
      },
    ],
  },
  {
    name: "negotiate() keeps the authenticated domain across the restart",
    config: { domains: ["localhost", "example.org"] },
    exchanges: [
      ...loggedIn.slice(0, 2),
      {
        input: open({ to: "example.org" }),
        outputs: [
          "open from=localhost id=id-2 version=1.0 xml:lang=en",
          "<error xmlns=STREAM><host-unknown xmlns=STREAMS/><text xmlns=STREAMS xml:lang='en'>The stream was authenticated for another domain</text></error>",
          "close",
        ],
        effects: ["disconnect"],
        phase: "closed",
      },
    ],
  },
  {
    name: "negotiate() answers the peer's </stream:stream> with its own",
    exchanges: [loggedIn[0], {
      input: { kind: "close" },
      outputs: ["close"],
      effects: ["disconnect"],
      phase: "closed",
    }],
  },
];

const BASE: NegotiationConfig = {
  domains: ["localhost"],
  requireTls: true,
  canStartTls: false,
  maxAuthFailures: 3,
};

for (const c of conversations) {
  Deno.test(c.name, async () => {
    const env = fakeEnv(c.env);
    let state = initialState({ ...BASE, ...c.config }, c.info ?? TLS_NO_CB);
    for (const [i, x] of c.exchanges.entries()) {
      throttled = [];
      const result: NegotiationStep = await negotiate(state, x.input, env);
      const log = (result.log ?? []).filter((l) => l.level !== "debug").map(showLog);
      deepEqual(
        {
          outputs: result.outputs.map(showOutput),
          effects: result.effects.map(showEffect),
          phase: result.state.phase,
          errors: result.errors?.length,
          log: x.log === undefined ? undefined : log,
          throttled: x.throttled === undefined ? undefined : throttled,
        },
        {
          outputs: x.outputs,
          effects: x.effects ?? [],
          phase: x.phase,
          errors: x.errors,
          log: x.log,
          throttled: x.throttled,
        },
        `exchange ${i}`,
      );
      state = result.state;
    }
  });
}

Deno.test("negotiate() traces each step at debug by name and namespace, never a payload", async () => {
  const env = fakeEnv();
  let state = initialState(BASE, TLS13);
  const lines: NegotiationLog[] = [];
  for (const input of [open(), auth("PLAIN", PLAIN_BAD), auth("PLAIN", PLAIN_OK)]) {
    const result = await negotiate(state, input, env);
    lines.push(...result.log ?? []);
    state = result.state;
  }
  deepEqual(lines.filter((l) => l.level === "debug").map((l) => l.fields), [
    {
      input: "open",
      element: undefined,
      xmlns: undefined,
      mechanism: undefined,
      from: "await-open",
      phase: "negotiating",
      outputs: "open features",
      effects: undefined,
      remoteAddress: "192.0.2.7",
    },
    {
      input: "element",
      element: "auth",
      xmlns: NS.SASL,
      mechanism: "PLAIN",
      from: "negotiating",
      phase: "negotiating",
      outputs: "failure",
      effects: undefined,
      remoteAddress: "192.0.2.7",
    },
    {
      input: "element",
      element: "auth",
      xmlns: NS.SASL,
      mechanism: "PLAIN",
      from: "negotiating",
      phase: "await-open",
      outputs: "success",
      effects: "authenticated restart",
      remoteAddress: "192.0.2.7",
    },
  ]);
  const all = JSON.stringify(lines);
  for (const secret of [PLAIN_OK, PLAIN_BAD, "secret"]) {
    equal(all.includes(secret), false, `the log holds "${secret}"`);
  }
});

Deno.test("negotiate() logs a mechanism name the peer made up as (invalid)", async () => {
  const env = fakeEnv();
  const state = (await negotiate(initialState(BASE, TLS13), open(), env)).state;
  const result = await negotiate(state, auth("X\n2026-01-01 WARN forged line", "="), env);
  deepEqual(
    (result.log ?? []).map((l) => l.fields.mechanism),
    ["(invalid)", "(invalid)"],
  );
});

import { deepEqual, equal, rejects } from "node:assert/strict";
import type { BareJid } from "../../src/jid/jid.ts";
import type { SaslContext, SaslResult } from "../../src/sasl/context.ts";
import { deriveCredentials } from "../../src/sasl/credentials.ts";
import { saslContinue, saslStart, type SaslState } from "../../src/sasl/mechanism.ts";
import { decodeSaslPayload } from "../../src/sasl/payload.ts";
import { SaslError } from "../../src/sasl/sasl_error.ts";
import {
  scramNonce,
  scramServerFinal,
  scramServerFirst,
  type ScramState,
} from "../../src/sasl/scram.ts";
import type { Credentials } from "../../src/storage/account_store.ts";
import { clientFinal, unb64 } from "./_scram_client.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();

// printable (RFC 5802 §7) without ",", '"' and "\\", in order: the alphabet scramNonce()
// documents.
const ALPHABET = Array.from({ length: 94 }, (_, i) => String.fromCharCode(0x21 + i))
  .filter((c) => c !== "," && c !== '"' && c !== "\\").join("");

/** The bytes that make scramNonce() produce exactly `nonce`. */
function nonceBytes(nonce: string): Uint8Array {
  return Uint8Array.from(nonce, (c) => ALPHABET.indexOf(c));
}

const RFC5802 = {
  clientFirst: "n,,n=user,r=fyko+d2lbbFgONRv9qkxdawL",
  serverNonce: "3rfcNHYJY1ZVvWVs7j",
  serverFirst: "r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,s=QSXCR+Q6sek8bf92,i=4096",
  clientFinal: "c=biws,r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,p=v0X8v3Bz2T0CJGbJQyF0X+HI4Ts=",
  serverFinal: "v=rmF9pqV8S7suAoZWja4dJRkFsKQ=",
};
const RFC7677 = {
  clientFirst: "n,,n=user,r=rOprNGfwEbeRWgbNEkqO",
  serverNonce: "%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0",
  serverFirst:
    "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096",
  clientFinal:
    "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=",
  serverFinal: "v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=",
};

const PENCIL: Credentials = await deriveCredentials("pencil", {
  salt1: unb64("QSXCR+Q6sek8bf92"),
  salt2: unb64("W22ZaJ0SNY7soEsUEjb6gQ=="),
});
const CB = enc.encode("certificate hash, 32 bytes long.");
const EXPORTER = enc.encode("exported keying material, 32 b..");

interface Options {
  readonly nonce?: string;
  readonly channelBinding?: Uint8Array;
  readonly exporter?: Uint8Array;
  readonly accounts?: Record<string, Credentials>;
  readonly fakeSaltKey?: Uint8Array;
  readonly fail?: boolean;
}

function context(options: Options = {}): SaslContext {
  const accounts = options.accounts ?? { "user@localhost": PENCIL };
  let counter = 0;
  return {
    domain: "localhost",
    channelBindings: {
      "tls-server-end-point": options.channelBinding,
      "tls-exporter": options.exporter,
    },
    fakeSaltKey: options.fakeSaltKey,
    nonceLength: options.nonce?.length,
    getCredentials(jid: BareJid) {
      if (options.fail) return Promise.reject(new Error("storage down"));
      return Promise.resolve(accounts[jid]);
    },
    randomBytes(n: number) {
      if (options.nonce !== undefined && n === options.nonce.length) {
        return nonceBytes(options.nonce);
      }
      return new Uint8Array(n).fill(++counter);
    },
  };
}

function challengeOf(step: SaslResult<SaslState>): { text: string; state: SaslState } {
  if (step.kind !== "challenge") throw new Error(`expected a challenge, got ${step.kind}`);
  return { text: dec.decode(step.data), state: step.state };
}

async function failure(promise: Promise<unknown>): Promise<string> {
  const e = await promise.then(() => undefined, (e) => e);
  if (!(e instanceof SaslError)) throw new Error(`expected a SaslError, got ${e}`);
  return e.condition;
}

Deno.test("scramNonce() maps each byte into the printable alphabet", () => {
  equal(scramNonce(nonceBytes(RFC7677.serverNonce)), RFC7677.serverNonce);
  equal(scramNonce(Uint8Array.from([0, 90, 91, 255])), "!~!m");
  // No quote or backslash ever: real client parsers break on them.
  const all = scramNonce(Uint8Array.from({ length: 256 }, (_, i) => i));
  equal(/[",\\]/.test(all), false);
});

for (
  const [mechanism, vector] of [
    ["SCRAM-SHA-1", RFC5802],
    ["SCRAM-SHA-256", RFC7677],
  ] as const
) {
  Deno.test(`saslStart() runs the ${mechanism} test vector end to end`, async () => {
    const ctx = context({ nonce: vector.serverNonce });
    const first = challengeOf(await saslStart(mechanism, enc.encode(vector.clientFirst), ctx));
    equal(first.text, vector.serverFirst);
    const final = await saslContinue(first.state, enc.encode(vector.clientFinal), ctx);
    deepEqual(final, {
      kind: "success",
      jid: "user@localhost",
      data: enc.encode(vector.serverFinal),
    });
  });
}

Deno.test("saslStart() answers an empty challenge without an initial response", async () => {
  const ctx = context({ nonce: RFC5802.serverNonce });
  const empty = await saslStart("SCRAM-SHA-1", undefined, ctx);
  deepEqual(empty, {
    kind: "challenge",
    data: new Uint8Array(0),
    state: { mechanism: "SCRAM-SHA-1", step: "initial" },
  });
  const first = challengeOf(
    await saslContinue(challengeOf(empty).state, enc.encode(RFC5802.clientFirst), ctx),
  );
  equal(first.text, RFC5802.serverFirst);
});

for (const mechanism of ["SCRAM-SHA-1-PLUS", "SCRAM-SHA-256-PLUS"] as const) {
  const hash = mechanism.startsWith("SCRAM-SHA-256") ? "SHA-256" : "SHA-1";
  const gs2Header = "p=tls-server-end-point,,";
  const bare = "n=user,r=clientnonce";

  Deno.test(`scramServerFinal() accepts ${mechanism} with matching channel binding`, async () => {
    const ctx = context({ channelBinding: CB });
    const first = challengeOf(await scramServerFirst(mechanism, enc.encode(gs2Header + bare), ctx));
    const client = await clientFinal({
      hash,
      password: "pencil",
      gs2Header,
      cbData: CB,
      clientFirstBare: bare,
      serverFirst: first.text,
    });
    const final = await scramServerFinal(first.state as ScramState, enc.encode(client.message));
    deepEqual(final, {
      kind: "success",
      jid: "user@localhost",
      data: enc.encode(client.serverSignature),
    });
  });

  Deno.test(`scramServerFinal() rejects ${mechanism} with other channel binding data`, async () => {
    const ctx = context({ channelBinding: CB });
    const first = challengeOf(await scramServerFirst(mechanism, enc.encode(gs2Header + bare), ctx));
    const client = await clientFinal({
      hash,
      password: "pencil",
      gs2Header,
      cbData: enc.encode("a certificate hash the MITM has"),
      clientFirstBare: bare,
      serverFirst: first.text,
    });
    equal(
      await failure(scramServerFinal(first.state as ScramState, enc.encode(client.message))),
      "not-authorized",
    );
  });
}

Deno.test("scramServerFirst() checks the gs2 header against the mechanism and connection", async () => {
  const cases: [string, string, Uint8Array | undefined, string][] = [
    // RFC 5802 §6: "y" while the server advertised -PLUS is a downgrade.
    ["SCRAM-SHA-256", "y,,n=user,r=abc", CB, "not-authorized"],
    ["SCRAM-SHA-1", "y,,n=user,r=abc", CB, "not-authorized"],
    ["SCRAM-SHA-256", "p=tls-server-end-point,,n=user,r=abc", CB, "malformed-request"],
    ["SCRAM-SHA-256-PLUS", "n,,n=user,r=abc", CB, "malformed-request"],
    ["SCRAM-SHA-256-PLUS", "y,,n=user,r=abc", CB, "malformed-request"],
    // RFC 5802 §6: an unsupported type fails; tls-unique is undefined for TLS 1.3 (RFC 9266).
    ["SCRAM-SHA-256-PLUS", "p=tls-unique,,n=user,r=abc", CB, "malformed-request"],
    ["SCRAM-SHA-256-PLUS", "p=tls-exporter,,n=user,r=abc", CB, "malformed-request"],
    ["SCRAM-SHA-256-PLUS", "p=tls-server-end-point,,n=user,r=abc", undefined, "invalid-mechanism"],
    ["SCRAM-SHA-256", "n,a=other@localhost,n=user,r=abc", undefined, "invalid-authzid"],
    ["SCRAM-SHA-256", "n,a=user@elsewhere,n=user,r=abc", undefined, "invalid-authzid"],
    ["SCRAM-SHA-256", "n,a=user@localhost/res,n=user,r=abc", undefined, "invalid-authzid"],
    ["SCRAM-SHA-256", "n,a=nobody@localhost,n=user,r=abc", undefined, "invalid-authzid"],
    ["SCRAM-SHA-256", "n,,n=us=41er,r=abc", undefined, "malformed-request"],
    ["SCRAM-SHA-256", "n,,n=user=,r=abc", undefined, "malformed-request"],
    ["SCRAM-SHA-256", "n,,m=ext,n=user,r=abc", undefined, "malformed-request"],
    ["SCRAM-SHA-256", "x,,n=user,r=abc", undefined, "malformed-request"],
    ["SCRAM-SHA-256", "n,,r=abc,n=user", undefined, "malformed-request"],
    ["SCRAM-SHA-256", "n,,n=user,r=", undefined, "malformed-request"],
    ["SCRAM-SHA-256", "n,,n=user", undefined, "malformed-request"],
    ["SCRAM-SHA-256", "n,n=user,r=abc", undefined, "malformed-request"],
  ];
  for (const [mechanism, message, channelBinding, condition] of cases) {
    const ctx = context({ channelBinding });
    equal(
      await failure(scramServerFirst(mechanism as "SCRAM-SHA-1", enc.encode(message), ctx)),
      condition,
      message,
    );
  }
});

Deno.test("scramServerFirst() accepts 'y' without channel binding and a matching authzid", async () => {
  for (const message of ["y,,n=user,r=abc", "n,a=User@LocalHost,n=user,r=abc"]) {
    const step = await scramServerFirst("SCRAM-SHA-256", enc.encode(message), context());
    equal(step.kind, "challenge", message);
  }
});

Deno.test("scramServerFirst() unescapes =2C and =3D in the username", async () => {
  const ctx = context({ accounts: { "a=b@localhost": PENCIL } });
  const first = challengeOf(
    await scramServerFirst("SCRAM-SHA-256", enc.encode("n,,n=a=3Db,r=abc"), ctx),
  );
  equal((first.state as ScramState).jid, "a=b@localhost");
});

Deno.test("scramServerFinal() rejects bad base64, a foreign nonce and a wrong password", async () => {
  const bare = "n=user,r=abc";
  const ctx = context();
  const first = challengeOf(await scramServerFirst("SCRAM-SHA-256", enc.encode(`n,,${bare}`), ctx));
  const state = first.state as ScramState;
  const good = await clientFinal({
    hash: "SHA-256",
    password: "pencil",
    gs2Header: "n,,",
    clientFirstBare: bare,
    serverFirst: first.text,
  });
  const wrong = await clientFinal({
    hash: "SHA-256",
    password: "pen",
    gs2Header: "n,,",
    clientFirstBare: bare,
    serverFirst: first.text,
  });
  const cases: [string, string][] = [
    [good.message.replace(/p=.*/, "p=!!!!"), "malformed-request"],
    [good.message.replace(/p=.*/, "p=AAAA"), "malformed-request"],
    [good.message.replace("c=biws", "c=b*ws"), "malformed-request"],
    [good.message.replace(`r=${state.nonce}`, "r=abcdef"), "malformed-request"],
    [good.message.replace("c=biws", `c=${btoa("y,,")}`), "not-authorized"],
    ["c=biws,p=AAAA", "malformed-request"],
    [wrong.message, "not-authorized"],
  ];
  for (const [message, condition] of cases) {
    equal(await failure(scramServerFinal(state, enc.encode(message))), condition, message);
  }
  equal(await failure(scramServerFinal(state, Uint8Array.from([0xff, 0xfe]))), "malformed-request");
});

Deno.test("decodeSaslPayload() reports incorrect-encoding for bad base64", () => {
  for (const text of ["!!!!", "abc", "YQ", "Y Q==", "YQ==YQ=="]) {
    let condition = "";
    try {
      decodeSaslPayload(text);
    } catch (e) {
      condition = (e as SaslError).condition;
    }
    equal(condition, "incorrect-encoding", text);
  }
});

Deno.test("scramServerFirst() answers an unknown user plausibly and fails at the end", async () => {
  const key = enc.encode("server secret");
  const ctx = context({ fakeSaltKey: key });
  const bare = "n=nobody,r=abc";
  const first = challengeOf(await scramServerFirst("SCRAM-SHA-1", enc.encode(`n,,${bare}`), ctx));
  const again = challengeOf(await scramServerFirst("SCRAM-SHA-1", enc.encode(`n,,${bare}`), ctx));
  const salt = /,s=([^,]+),i=4096$/.exec(first.text)?.[1];
  equal(unb64(salt ?? "").length, 16);
  equal(/,s=([^,]+),/.exec(again.text)?.[1], salt, "the fake salt is stable");
  const client = await clientFinal({
    hash: "SHA-1",
    password: "pencil",
    gs2Header: "n,,",
    clientFirstBare: bare,
    serverFirst: first.text,
  });
  equal(
    await failure(scramServerFinal(first.state as ScramState, enc.encode(client.message))),
    "not-authorized",
  );
});

Deno.test("scramServerFirst() reports temporary-auth-failure when storage throws", async () => {
  const e = await scramServerFirst(
    "SCRAM-SHA-256",
    enc.encode("n,,n=user,r=abc"),
    context({ fail: true }),
  ).catch((e) => e);
  deepEqual([e.condition, e.cause.message], ["temporary-auth-failure", "storage down"]);
});

Deno.test("saslContinue() rejects a malformed first message after an empty challenge", async () => {
  await rejects(
    saslContinue({ mechanism: "SCRAM-SHA-1", step: "initial" }, enc.encode("n,,"), context()),
    (e: SaslError) => e.condition === "malformed-request",
  );
});

for (
  const [name, bindings, gs2Header, cbData] of [
    ["tls-exporter", { exporter: EXPORTER }, "p=tls-exporter,,", EXPORTER],
    [
      "tls-exporter beside tls-server-end-point",
      {
        exporter: EXPORTER,
        channelBinding: CB,
      },
      "p=tls-exporter,,",
      EXPORTER,
    ],
    [
      "tls-server-end-point beside tls-exporter",
      {
        exporter: EXPORTER,
        channelBinding: CB,
      },
      "p=tls-server-end-point,,",
      CB,
    ],
  ] as const
) {
  Deno.test(`scramServerFinal() accepts SCRAM-SHA-256-PLUS with ${name}`, async () => {
    const bare = "n=user,r=clientnonce";
    const ctx = context(bindings);
    const first = challengeOf(
      await scramServerFirst("SCRAM-SHA-256-PLUS", enc.encode(gs2Header + bare), ctx),
    );
    const client = await clientFinal({
      hash: "SHA-256",
      password: "pencil",
      gs2Header,
      cbData,
      clientFirstBare: bare,
      serverFirst: first.text,
    });
    const final = await scramServerFinal(first.state as ScramState, enc.encode(client.message));
    deepEqual(final, {
      kind: "success",
      jid: "user@localhost",
      data: enc.encode(client.serverSignature),
    });
  });
}

Deno.test("scramServerFirst() treats 'y' as a downgrade when only tls-exporter is offered", async () => {
  const ctx = context({ exporter: EXPORTER });
  equal(
    await failure(scramServerFirst("SCRAM-SHA-256", enc.encode("y,,n=user,r=abc"), ctx)),
    "not-authorized",
  );
});

Deno.test("SaslError.wrongCredentials marks only a wrong proof or an unknown user", async () => {
  const flag = async (promise: Promise<unknown>) => {
    const e = await promise.then(() => undefined, (e) => e);
    return [(e as SaslError).condition, (e as SaslError).wrongCredentials];
  };
  const ctx = context({ channelBinding: CB });
  // Channel binding problems and a downgrade are not wrong credentials.
  deepEqual(
    await flag(scramServerFirst("SCRAM-SHA-256-PLUS", enc.encode("p=tls-unique,,n=u,r=a"), ctx)),
    ["malformed-request", false],
  );
  deepEqual(
    await flag(scramServerFirst("SCRAM-SHA-256", enc.encode("y,,n=user,r=abc"), ctx)),
    ["not-authorized", false],
  );
  for (const [user, password] of [["user", "pen"], ["nobody", "pencil"]]) {
    const bare = `n=${user},r=abc`;
    const first = challengeOf(
      await scramServerFirst("SCRAM-SHA-1", enc.encode(`n,,${bare}`), context()),
    );
    const state = first.state as ScramState;
    equal(state.account, `${user}@localhost`);
    const client = await clientFinal({
      hash: "SHA-1",
      password,
      gs2Header: "n,,",
      clientFirstBare: bare,
      serverFirst: first.text,
    });
    deepEqual(
      await flag(scramServerFinal(state, enc.encode(client.message))),
      ["not-authorized", true],
      user,
    );
    // A channel binding mismatch fails before the proof is looked at: not a credential.
    const forged = client.message.replace("c=biws", `c=${btoa("p=tls-exporter,,")}`);
    deepEqual(await flag(scramServerFinal(state, enc.encode(forged))), ["not-authorized", false]);
  }
});

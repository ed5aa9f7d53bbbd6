import { deepEqual, equal } from "node:assert/strict";
import type { BareJid } from "../../src/jid/jid.ts";
import type { SaslContext } from "../../src/sasl/context.ts";
import { deriveCredentials } from "../../src/sasl/credentials.ts";
import { plainAccount, plainAuthenticate } from "../../src/sasl/plain.ts";
import { SaslError } from "../../src/sasl/sasl_error.ts";

const enc = new TextEncoder();
const credentials = await deriveCredentials("pencil");

function context(fail = false): SaslContext {
  return {
    domain: "localhost",
    getCredentials: (jid: BareJid) =>
      fail
        ? Promise.reject(new Error("storage down"))
        : Promise.resolve(jid === "alice@localhost" ? credentials : undefined),
    randomBytes: (n) => new Uint8Array(n),
  };
}

async function outcome(message: string, fail = false): Promise<string> {
  try {
    const step = await plainAuthenticate(enc.encode(message), context(fail));
    return step.kind === "success" ? `success ${step.jid}` : step.kind;
  } catch (e) {
    if (e instanceof SaslError) return e.wrongCredentials ? `${e.condition} (wrong)` : e.condition;
    throw e;
  }
}

Deno.test("plainAuthenticate() follows RFC 4616", async () => {
  const cases: [string, string][] = [
    ["\0alice\0pencil", "success alice@localhost"],
    ["\0Alice\0pencil", "success alice@localhost"],
    ["alice@localhost\0alice\0pencil", "success alice@localhost"],
    ["bob@localhost\0alice\0pencil", "invalid-authzid"],
    ["alice@localhost/phone\0alice\0pencil", "invalid-authzid"],
    ["\0alice\0pen", "not-authorized (wrong)"],
    ["\0bob\0pencil", "not-authorized (wrong)"],
    ["\0a@b\0pencil", "not-authorized (wrong)"],
    ["\0alice\0", "malformed-request"],
    ["\0\0pencil", "malformed-request"],
    ["alice\0pencil", "malformed-request"],
    ["\0alice\0pen\0cil", "malformed-request"],
    ["\0alice\0pencil", "success alice@localhost"],
  ];
  for (const [message, expected] of cases) {
    equal(await outcome(message), expected, JSON.stringify(message));
  }
  equal(await outcome("\0alice\0pencil", true), "temporary-auth-failure");
});

Deno.test("plainAuthenticate() rejects invalid UTF-8", async () => {
  const e = await plainAuthenticate(Uint8Array.from([0, 0x61, 0, 0xff]), context()).catch((e) => e);
  deepEqual([e instanceof SaslError, e.condition], [true, "malformed-request"]);
});

Deno.test("plainAccount() names the account a message is for, without checking it", () => {
  const cases: [string, string | undefined][] = [
    ["\0Alice\0pencil", "alice@localhost"],
    ["bob@localhost\0alice\0wrong", "alice@localhost"],
    ["\0a@b\0pencil", "a@b"],
    ["\0alice\0", undefined],
    ["alice\0pencil", undefined],
  ];
  for (const [message, expected] of cases) {
    equal(plainAccount(enc.encode(message), "localhost"), expected, JSON.stringify(message));
  }
});

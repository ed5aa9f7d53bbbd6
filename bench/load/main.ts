/**
 * The load generator, as its own process: drives an XMPP server over loopback and prints
 * one JSON result on stdout.
 *
 * ```sh
 * deno run -A bench/load/main.ts --scenario login --port 5222 --users 100 --duration 10
 * deno run -A bench/load/main.ts --tls starttls --ca-file data/localhost.crt --port 5222
 * deno run -A bench/load/main.ts --scenario fanout --port 5222 --users 200 --contacts 20
 * ```
 *
 * @module
 */
import { parseArgs } from "node:util";
import {
  fanoutScenario,
  idleScenario,
  type LoadOptions,
  type LoadResult,
  loginScenario,
  messagesScenario,
} from "./scenarios.ts";
import type { TlsMode } from "./xmpp_conn.ts";

/**
 * Runs one scenario.
 *
 * @param scenario login, messages, idle or fanout.
 * @param options The options.
 * @returns The result.
 */
export function runScenario(scenario: string, options: LoadOptions): Promise<LoadResult> {
  switch (scenario) {
    case "login":
      return loginScenario(options);
    case "messages":
      return messagesScenario(options);
    case "idle":
      return idleScenario(options);
    case "fanout":
      return fanoutScenario(options);
    default:
      throw new TypeError(
        `Cannot run scenario "${scenario}": expected login, messages, idle or fanout`,
      );
  }
}

if (import.meta.main) {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      scenario: { type: "string", default: "login" },
      port: { type: "string", default: "5222" },
      domain: { type: "string", default: "localhost" },
      mechanism: { type: "string", default: "SCRAM-SHA-1" },
      tls: { type: "string", default: "none" },
      "ca-file": { type: "string" },
      users: { type: "string", default: "100" },
      duration: { type: "string", default: "10" },
      concurrency: { type: "string", default: "20" },
      pairs: { type: "string", default: "20" },
      window: { type: "string", default: "10" },
      connections: { type: "string", default: "1000" },
      contacts: { type: "string", default: "20" },
      "close-wait": { type: "string", default: "0" },
      "server-pid": { type: "string" },
      "resource-prefix": { type: "string", default: "" },
    },
  });
  const mechanism = values.mechanism === "PLAIN" ? "PLAIN" : "SCRAM-SHA-1";
  const tls = values.tls as TlsMode;
  if (!["none", "starttls", "direct"].includes(tls)) {
    throw new TypeError(`Cannot use --tls "${tls}": expected none, starttls or direct`);
  }
  const durationMs = Number(values.duration) * 1000;
  const options: LoadOptions = {
    target: {
      port: Number(values.port),
      domain: values.domain!,
      mechanism,
      tls,
      caCerts: values["ca-file"] ? [await Deno.readTextFile(values["ca-file"])] : undefined,
    },
    users: Number(values.users),
    durationMs,
    concurrency: Number(values.concurrency),
    pairs: Number(values.pairs),
    window: Number(values.window),
    connections: Number(values.connections),
    closeWaitMs: Number(values["close-wait"]),
    serverPid: values["server-pid"] ? Number(values["server-pid"]) : undefined,
    contacts: Number(values.contacts),
    resourcePrefix: values["resource-prefix"],
  };
  // Whatever happens, the process ends: a hard stop well after the configured duration.
  const hardStop = setTimeout(() => {
    console.log(
      JSON.stringify({ scenario: values.scenario, errors: 1, errorSamples: ["hard stop"] }),
    );
    Deno.exit(2);
  }, durationMs + 120_000);
  const result = await runScenario(values.scenario!, options);
  clearTimeout(hardStop);
  console.log(JSON.stringify(result));
  Deno.exit(0);
}

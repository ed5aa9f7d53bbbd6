/**
 * Parley as the benchmark runs it: TCP on loopback with STARTTLS offered (not required, as for
 * the peers) and, with `--tls-port`, direct TLS (XEP-0368) beside it; a self-signed ECDSA P-256
 * certificate for `localhost` in a temp dir; PLAIN allowed without TLS, accounts `user1` … `userN` with password `pw`, and session limits
 * lifted as for the peers. With `--contacts K`, the rosters of the fanout scenario are seeded
 * through the storage API (user i and the K/2 users on each side of it in a ring of the
 * first `--roster-users` accounts are mutual contacts, subscription both).
 *
 * ```sh
 * deno run -A bench/parley_server.ts --port 15222 --users 100 [--tls-port 15223]
 * deno run -A bench/parley_server.ts --port 15222 --users 200 --roster-users 200 --contacts 20
 * # Message archive (on by default) on PGlite or PostgreSQL instead of memory:
 * deno run -A bench/parley_server.ts --port 15222 --users 40 --storage pglite
 * DATABASE_URL=postgres://… deno run -A bench/parley_server.ts --users 40 --storage postgres
 * # The same without archiving, as a baseline:
 * deno run -A bench/parley_server.ts --port 15222 --users 40 --storage pglite --no-archive
 * ```
 *
 * @module
 */
import { parseArgs } from "node:util";
import { createServer, type XmppServer } from "../src/server/server.ts";
import { tcpTransport } from "../adapters/deno_tcp/transport.ts";
import {
  loadCertificate,
  loadOrCreateSelfSigned,
  type TlsCredentials,
} from "../adapters/deno_tcp/certificate.ts";
import { bareJid } from "../src/jid/jid.ts";
import { ringContacts, type RosterSeed } from "./load/scenarios.ts";
import type { Storage } from "../src/storage/storage.ts";

export type { RosterSeed };

/** TLS of the benchmark server. */
export interface BenchTlsOptions {
  /** A direct TLS port (0 picks one); none without. STARTTLS is always offered. */
  readonly tlsPort?: number;
  /** Certificate and key; a generated self-signed one for localhost without. */
  readonly credentials?: TlsCredentials;
}

/**
 * Starts the benchmark server.
 *
 * @param port The c2s port (0 picks one).
 * @param users How many accounts to create.
 * @param seed Fanout rosters to seed, if any.
 * @param storage The storage (default: memory).
 * @param tlsOptions A direct TLS port (0 picks one), if any, and the certificate and key (a
 * generated one without).
 * @returns The server, its ports and its certificate.
 */
export async function startBenchServer(
  port: number,
  users: number,
  seed?: RosterSeed,
  storage?: Storage,
  tlsOptions: BenchTlsOptions = {},
): Promise<{ server: XmppServer; port: number; tlsPort?: number; certPem: string }> {
  const { tlsPort, credentials } = tlsOptions;
  const server = await createServer({
    domain: "localhost",
    storage,
    requireTls: false,
    users: Array.from(
      { length: users },
      (_, i) => ({ jid: `user${i + 1}@localhost`, password: "pw" }),
    ),
    // Rate limits lifted, as for the peers (Prosody without mod_limits, ejabberd shapers none).
    limits: {
      maxSessionsPerAccount: 10_000,
      maxAuthFailures: 100,
      readBytesPerSecond: 0,
      maxConnectionsPerAddress: 1_000_000,
      authFailuresPerMinutePerAddress: 0,
      authFailuresPerMinutePerAccount: 0,
    },
  });
  if (seed) {
    for (let u = 1; u <= seed.users; u++) {
      const owner = bareJid(`user${u}`, "localhost");
      for (const c of ringContacts(u, seed.users, seed.contacts)) {
        await server.storage.roster.setItem(owner, {
          jid: bareJid(`user${c}`, "localhost"),
          groups: [],
          subscription: "both",
          ask: false,
          approved: false,
        });
      }
    }
  }
  const tls = credentials ?? await generatedCredentials();
  let bound = port;
  const transport = tcpTransport({
    hostname: "127.0.0.1",
    port,
    tls,
    onListen: (l) => bound = l.port,
  });
  const start = transport.start.bind(transport);
  await server.listen({
    // PLAIN over plain TCP, as Prosody's allow_unencrypted_plain_auth: for the PLAIN variant.
    start: (accept) => start((stream) => accept(stream, { allowPlainWithoutTls: true })),
  });
  let boundTls: number | undefined;
  if (tlsPort !== undefined) {
    await server.listen(tcpTransport({
      hostname: "127.0.0.1",
      port: tlsPort,
      tls,
      directTls: true,
      onListen: (l) => boundTls = l.port,
    }));
  }
  return { server, port: bound, tlsPort: boundTls, certPem: tls.certPem };
}

async function generatedCredentials(): Promise<TlsCredentials> {
  const certDir = await Deno.makeTempDir({ prefix: "parley-bench-cert-" });
  try {
    return await loadOrCreateSelfSigned(certDir, "localhost");
  } finally {
    await Deno.remove(certDir, { recursive: true });
  }
}

/** memory, pglite (in memory) or postgres (DATABASE_URL, a schema of its own, dropped at exit). */
async function openStorage(
  kind: string,
): Promise<{ storage?: Storage; cleanup(): Promise<void> }> {
  const none = () => Promise.resolve();
  if (kind === "memory") return { cleanup: none };
  if (kind === "pglite") {
    const { pgliteStorage } = await import("../adapters/postgres/pglite.ts");
    return { storage: await pgliteStorage(), cleanup: none };
  }
  if (kind !== "postgres") throw new TypeError(`Unknown storage "${kind}"`);
  const url = Deno.env.get("DATABASE_URL");
  if (!url) throw new TypeError("--storage postgres needs DATABASE_URL");
  const pg = await import("../adapters/postgres/postgres_js.ts");
  const schema = `bench_${Date.now()}`;
  return {
    storage: await pg.postgresStorage(url, { schema }),
    cleanup: () => pg.dropPostgresSchema(url, schema),
  };
}

if (import.meta.main) {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      port: { type: "string", default: "15222" },
      users: { type: "string", default: "100" },
      "roster-users": { type: "string" },
      contacts: { type: "string" },
      "tls-port": { type: "string" },
      cert: { type: "string" },
      key: { type: "string" },
      storage: { type: "string", default: "memory" },
      // Without the message archive module, for a baseline.
      "no-archive": { type: "boolean", default: false },
    },
  });
  const { storage, cleanup } = await openStorage(values.storage);
  const seed = values.contacts
    ? {
      users: Number(values["roster-users"] ?? values.users),
      contacts: Number(values.contacts),
    }
    : undefined;
  const { server, port, tlsPort } = await startBenchServer(
    Number(values.port),
    Number(values.users),
    seed,
    storage,
    {
      tlsPort: values["tls-port"] === undefined ? undefined : Number(values["tls-port"]),
      credentials: values.cert && values.key
        ? await loadCertificate(values.cert, values.key)
        : undefined,
    },
  );
  if (values["no-archive"]) await server.unload("mam");
  console.log(`listening ${port}${tlsPort === undefined ? "" : ` tls ${tlsPort}`}`);
  const stop = async () => {
    await server.close();
    await cleanup();
    Deno.exit(0);
  };
  Deno.addSignalListener("SIGINT", stop);
  Deno.addSignalListener("SIGTERM", stop);
}

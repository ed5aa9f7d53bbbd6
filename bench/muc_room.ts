/**
 * A group chat room under load (issue #13, "Speed"): N occupants join one room one after the
 * other, then the join time of occupant N+1 (presence sent → self-presence, and → subject:
 * the join is complete) and the time until every occupant got one groupchat message (median
 * of several), for Parley (`conference.localhost`, built in) and Prosody's `mod_muc` when
 * installed, on loopback with the load generator's raw connections. Not a timed test.
 *
 * ```sh
 * deno run -A bench/muc_room.ts --occupants 500 --messages 5 [--servers parley,prosody]
 * ```
 *
 * @module
 */
import { parseArgs } from "node:util";
import { attr, type Target, XmppConn } from "./load/xmpp_conn.ts";
import { parleyFactory } from "./peers/parley.ts";
import { installed, parallel, run, terminate, waitForPort } from "./peers/peer.ts";
import { prosodyConfig } from "./peers/prosody.ts";

const ROOM = "bench@conference.localhost";
const MUC = "http://jabber.org/protocol/muc";

interface Running {
  readonly name: string;
  readonly port: number;
  stop(): Promise<void>;
}

function freePort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = l.addr as Deno.NetAddr;
  l.close();
  return port;
}

async function startParley(users: number): Promise<Running> {
  const port = freePort();
  const s = await parleyFactory(port, users).start();
  return { name: `parley ${s.version}`, port, stop: () => s.stop() };
}

async function startProsody(users: number): Promise<Running | undefined> {
  if (!await installed("prosody") || !await installed("prosodyctl")) return undefined;
  const port = freePort();
  const dir = await Deno.makeTempDir({ prefix: "parley-bench-muc-prosody-" });
  await Deno.mkdir(`${dir}/data`);
  await Deno.mkdir(`${dir}/certs`);
  const cfg = `${dir}/prosody.cfg.lua`;
  await Deno.writeTextFile(
    cfg,
    prosodyConfig(dir, port) + `Component "conference.localhost" "muc"\n` +
      `restrict_room_creation = false\nmax_history_messages = 20\n`,
  );
  const version = (await run("prosodyctl", ["--config", cfg, "about"]).catch(() => ""))
    .match(/Prosody (\S+)/)?.[1] ?? "unknown";
  await parallel(
    Array.from({ length: users }, (_, i) => i + 1),
    8,
    (i) => run("prosodyctl", ["--config", cfg, "register", `user${i}`, "localhost", "pw"]),
  );
  const child = new Deno.Command("prosody", {
    args: ["--config", cfg, "-F"],
    stdout: "null",
    stderr: "null",
  }).spawn();
  await waitForPort(port);
  return {
    name: `prosody ${version}`,
    port,
    async stop() {
      await terminate(child.pid);
      await child.status;
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    },
  };
}

/** A logged-in connection whose elements go to a handler that can be swapped. */
class Occupant {
  handler: (el: string) => void = () => {};
  constructor(readonly conn: XmppConn, readonly nick: string) {
    conn.listen((el) => this.handler(el));
  }

  /** Resolves on the first element that matches. */
  until(match: (el: string) => boolean, ms = 60_000): Promise<void> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${this.nick}: timed out`)), ms);
      this.handler = (el) => {
        if (!match(el)) return;
        clearTimeout(timer);
        this.handler = () => {};
        resolve();
      };
    });
  }
}

async function login(target: Target, n: number): Promise<Occupant[]> {
  const out: Occupant[] = new Array(n);
  await parallel(Array.from({ length: n }, (_, i) => i), 20, async (i) => {
    const conn = await XmppConn.connect(target);
    await conn.login(target, `user${i + 1}`, "pw", "bench");
    conn.send("<presence/>");
    out[i] = new Occupant(conn, `user${i + 1}`);
  });
  return out;
}

const selfPresence = (nick: string) => (el: string) =>
  el.startsWith("<presence") && attr(el, "from") === `${ROOM}/${nick}` &&
  /code=['"]110['"]/.test(el);

/** Joins; resolves with [ms to self-presence, ms to the subject]. */
async function join(o: Occupant): Promise<[number, number]> {
  const t0 = performance.now();
  let self = 0;
  const done = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${o.nick}: join timed out`)), 60_000);
    o.handler = (el) => {
      if (!self && selfPresence(o.nick)(el)) self = performance.now() - t0;
      if (self && el.startsWith("<message") && el.includes("<subject")) {
        clearTimeout(timer);
        o.handler = () => {};
        resolve();
      }
    };
  });
  o.conn.send(
    `<presence to='${ROOM}/${o.nick}'><x xmlns='${MUC}'><history maxstanzas='0'/></x></presence>`,
  );
  await done;
  return [self, performance.now() - t0];
}

async function fanout(all: Occupant[], seq: number): Promise<number> {
  const body = `fanout ${seq}`;
  const t0 = performance.now();
  const received = Promise.all(
    all.map((o) => o.until((el) => el.includes(`<body>${body}</body>`))),
  );
  all[0].conn.send(`<message to='${ROOM}' type='groupchat'><body>${body}</body></message>`);
  await received;
  return performance.now() - t0;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

async function measure(server: Running, occupants: number, messages: number) {
  const target: Target = { port: server.port, domain: "localhost", mechanism: "PLAIN" };
  const all = await login(target, occupants + 1);
  try {
    const [owner, ...rest] = all;
    await join(owner);
    // XEP-0045 §10.1.2: an instant room.
    const configured = owner.until((el) => el.startsWith("<iq") && attr(el, "id") === "cfg");
    owner.conn.send(
      `<iq type='set' id='cfg' to='${ROOM}'><query xmlns='${MUC}#owner'>` +
        `<x xmlns='jabber:x:data' type='submit'/></query></iq>`,
    );
    await configured;
    const t0 = performance.now();
    for (const o of rest.slice(0, -1)) await join(o);
    const fill = performance.now() - t0;
    const [self, complete] = await join(rest[rest.length - 1]);
    const times: number[] = [];
    for (let i = 0; i < messages; i++) times.push(await fanout(all, i));
    return {
      server: server.name,
      occupants,
      fillMs: Math.round(fill),
      joinSelfPresenceMs: Math.round(self * 10) / 10,
      joinCompleteMs: Math.round(complete * 10) / 10,
      fanoutMedianMs: Math.round(median(times) * 10) / 10,
      fanoutMs: times.map((t) => Math.round(t * 10) / 10),
    };
  } finally {
    await parallel(all.filter(Boolean), 50, (o) => o.conn.close(500));
  }
}

if (import.meta.main) {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      occupants: { type: "string", default: "500" },
      messages: { type: "string", default: "5" },
      servers: { type: "string", default: "parley,prosody" },
    },
  });
  const occupants = Number(values.occupants);
  const servers = values.servers.split(",");
  for (const name of servers) {
    const server = name === "parley"
      ? await startParley(occupants + 1)
      : name === "prosody"
      ? await startProsody(occupants + 1)
      : undefined;
    if (!server) {
      console.log(JSON.stringify({ server: name, skipped: "not installed" }));
      continue;
    }
    try {
      console.log(JSON.stringify(await measure(server, occupants, Number(values.messages))));
    } finally {
      await server.stop();
    }
  }
}

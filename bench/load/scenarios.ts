/**
 * The load scenarios: login, messages, idle, fanout. Each ends by itself and closes its sockets.
 *
 * @module
 */
import { attr, ProtocolError, type Target, XmppConn } from "./xmpp_conn.ts";

/** Options shared by the scenarios. */
export interface LoadOptions {
  /** Server, domain and mechanism. */
  readonly target: Target;
  /** Accounts are `user1` … `userN` with password `pw`. */
  readonly users: number;
  /** Measuring time in ms (login, messages). */
  readonly durationMs: number;
  /** Concurrent workers (login), or login concurrency while setting up (messages, idle). */
  readonly concurrency: number;
  /** Sender/receiver pairs (messages). */
  readonly pairs: number;
  /** Messages in flight per sender (messages). */
  readonly window: number;
  /** Connections to hold (idle). */
  readonly connections: number;
  /** How long a login worker waits for the server's stream end after its own (login). */
  readonly closeWaitMs: number;
  /** The server's pid, to read VmRSS (idle); absent for in-process servers. */
  readonly serverPid?: number;
  /** Contacts per roster (fanout): even, below `users`; see {@link ringContacts}. */
  readonly contacts?: number;
  /**
   * Put before every resource (login, messages, idle), so that load generator processes
   * running side by side never bind the same full JID and replace each other's sessions.
   */
  readonly resourcePrefix?: string;
}

/** What a scenario measured. */
export interface LoadResult {
  scenario: string;
  /** Main rate: logins/s or delivered messages/s. */
  rate?: number;
  count: number;
  errors: number;
  errorSamples: string[];
  latencyMs?: { p50: number; p95: number; p99: number };
  elapsedMs: number;
  rssBeforeKiB?: number;
  rssAfterKiB?: number;
  rssPerConnectionKiB?: number;
  connections?: number;
  /** Fanout: users N and contacts per roster K. */
  users?: number;
  contacts?: number;
  /** Fanout: available presences expected (N × K) and still missing at the end. */
  expected?: number;
  missing?: number;
  /** Fanout: clients that got every contact's presence. */
  completeClients?: number;
  /**
   * Login and messages, with `serverPid`: the server process's CPU time (user + system, from
   * /proc) during the measured period divided by the logins or messages counted. Unlike the
   * rate, it carries to other hardware and is not skewed by the load generator's own CPU.
   */
  serverCpuMsPerOp?: number;
  /** How many load generator processes ran side by side (merged results). */
  processes?: number;
}

/** CPU time (user + system) of a process so far, in ms; undefined without /proc. */
export async function cpuMs(pid: number | undefined): Promise<number | undefined> {
  if (pid === undefined) return undefined;
  try {
    const stat = await Deno.readTextFile(`/proc/${pid}/stat`);
    // Fields after the command (which may hold spaces) start at state, field 3.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(fields[11]) + Number(fields[12])) * 10; // utime, stime: 100 ticks/s
  } catch {
    return undefined;
  }
}

function perOp(before: number | undefined, after: number | undefined, n: number) {
  return before === undefined || after === undefined || n === 0
    ? undefined
    : Math.round((after - before) / n * 1000) / 1000;
}

/** The longest the connections of `messages` and `idle` may take to log in. */
export const SETUP_BUDGET_MS = 90_000;

/** Password of every benchmark account. */
export const PASSWORD = "pw";

class Errors {
  count = 0;
  samples: string[] = [];
  add(e: unknown): void {
    this.count++;
    if (this.samples.length < 5) this.samples.push(e instanceof Error ? e.message : String(e));
  }
}

function percentiles(samples: number[]): { p50: number; p95: number; p99: number } {
  const s = Float64Array.from(samples).sort();
  const at = (q: number) => s.length ? s[Math.min(s.length - 1, Math.floor(q * s.length))] : 0;
  const r = (x: number) => Math.round(x * 1000) / 1000;
  return { p50: r(at(0.5)), p95: r(at(0.95)), p99: r(at(0.99)) };
}

const PING = (id: string, domain: string) =>
  `<iq type='get' id='${id}' to='${domain}'><ping xmlns='urn:xmpp:ping'/></iq>`;

/** Logs in, sends initial presence and waits for a ping answer (presence processed). */
async function loginFull(o: LoadOptions, user: number, resource: string): Promise<XmppConn> {
  const conn = await XmppConn.connect(o.target);
  try {
    await conn.login(o.target, `user${user}`, PASSWORD, resource);
    conn.send("<presence/>");
    conn.send(PING("p1", o.target.domain));
    while (true) {
      const el = await conn.next();
      if (el.startsWith("<stream:error")) throw new Error("Stream error after bind");
      if (el.startsWith("<iq") && attr(el, "id") === "p1") break;
    }
    return conn;
  } catch (e) {
    await conn.close(0);
    throw e;
  }
}

/**
 * `login`: C workers each repeatedly connect, open, authenticate, restart, bind, send
 * presence, wait for a ping result, and close.
 *
 * @param o Options.
 * @returns Logins/s and latency.
 */
export async function loginScenario(o: LoadOptions): Promise<LoadResult> {
  const errors = new Errors();
  const latencies: number[] = [];
  const start = performance.now();
  const deadline = start + o.durationMs;
  let seq = 0;
  const cpuBefore = await cpuMs(o.serverPid);
  const worker = async (w: number) => {
    while (performance.now() < deadline) {
      const t0 = performance.now();
      const user = (seq++ % o.users) + 1;
      try {
        const conn = await loginFull(o, user, `${o.resourcePrefix ?? ""}w${w}`);
        latencies.push(performance.now() - t0);
        await conn.close(o.closeWaitMs);
      } catch (e) {
        errors.add(e);
        await new Promise((r) => setTimeout(r, 10));
      }
    }
  };
  await Promise.all(Array.from({ length: o.concurrency }, (_, w) => worker(w)));
  const elapsedMs = performance.now() - start;
  const cpuAfter = await cpuMs(o.serverPid);
  return {
    scenario: "login",
    serverCpuMsPerOp: perOp(cpuBefore, cpuAfter, latencies.length),
    rate: latencies.length / (Math.min(elapsedMs, o.durationMs) / 1000),
    count: latencies.length,
    errors: errors.count,
    errorSamples: errors.samples,
    latencyMs: percentiles(latencies),
    elapsedMs,
  };
}

async function loginMany(o: LoadOptions, n: number, errors: Errors): Promise<XmppConn[]> {
  const conns: XmppConn[] = [];
  let next = 0;
  // Logging in must not outlast the load generator's hard stop: give up on the rest then.
  const deadline = performance.now() + SETUP_BUDGET_MS;
  const worker = async () => {
    while (next < n && performance.now() < deadline) {
      const i = next++;
      try {
        conns.push(await loginFull(o, (i % o.users) + 1, `${o.resourcePrefix ?? ""}c${i}`));
      } catch (e) {
        errors.add(e);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(o.concurrency, n) }, worker));
  return conns;
}

async function closeAll(conns: XmppConn[]): Promise<void> {
  for (let i = 0; i < conns.length; i += 200) {
    await Promise.all(conns.slice(i, i + 200).map((c) => c.close(2000)));
  }
}

const BODY = "The quick brown fox jumps over the lazy dog, a benchmark message of moderate size.";

/**
 * `messages`: P pairs; each sender keeps W messages in flight to its partner's full JID.
 *
 * @param o Options.
 * @returns Delivered messages/s and end-to-end latency.
 */
export async function messagesScenario(o: LoadOptions): Promise<LoadResult> {
  const errors = new Errors();
  const conns = await loginMany(o, o.pairs * 2, errors);
  const latencies: number[] = [];
  let delivered = 0;
  let measuring = false;
  let sending = true;
  let inFlight = 0;
  let drained: (() => void) | undefined;
  const pairs: [XmppConn, XmppConn][] = [];
  for (let i = 0; i + 1 < conns.length; i += 2) pairs.push([conns[i], conns[i + 1]]);
  const sendOne = (from: XmppConn, to: XmppConn) => {
    inFlight++;
    from.send(
      `<message to='${to.jid}' id='${performance.now()}' type='chat'><body>${BODY}</body></message>`,
    );
  };
  for (const [a, b] of pairs) {
    a.listen((el) => {
      if (el.startsWith("<stream:error") || attr(el, "type") === "error") {
        errors.add(el.slice(0, 200));
      }
    });
    b.listen((el) => {
      if (!el.startsWith("<message")) return;
      if (attr(el, "type") === "error") {
        errors.add(el.slice(0, 200));
        return;
      }
      inFlight--;
      const sent = Number(attr(el, "id"));
      if (measuring) {
        delivered++;
        latencies.push(performance.now() - sent);
      }
      if (sending) sendOne(a, b);
      else if (inFlight === 0) drained?.();
    });
    a.onEnd = b.onEnd = () => {
      if (sending) errors.add("Connection ended during the run");
    };
  }
  // A short warm-up, then the measured period.
  for (const [a, b] of pairs) for (let i = 0; i < o.window; i++) sendOne(a, b);
  await new Promise((r) => setTimeout(r, Math.min(1000, o.durationMs / 5)));
  const cpuBefore = await cpuMs(o.serverPid);
  measuring = true;
  const start = performance.now();
  await new Promise((r) => setTimeout(r, o.durationMs));
  const elapsedMs = performance.now() - start;
  measuring = false;
  const cpuAfter = await cpuMs(o.serverPid);
  sending = false;
  if (inFlight > 0) {
    await Promise.race([
      new Promise<void>((r) => drained = r),
      new Promise((r) => setTimeout(r, 3000)),
    ]);
  }
  if (inFlight > 0) errors.add(`${inFlight} messages not delivered`);
  if (conns.length < o.pairs * 2) {
    errors.add(`Only ${conns.length} of ${o.pairs * 2} clients logged in`);
  }
  await closeAll(conns);
  return {
    scenario: "messages",
    serverCpuMsPerOp: perOp(cpuBefore, cpuAfter, delivered),
    rate: delivered / (elapsedMs / 1000),
    count: delivered,
    errors: errors.count,
    errorSamples: errors.samples,
    latencyMs: percentiles(latencies),
    elapsedMs,
  };
}

async function rssKiB(pid: number | undefined): Promise<number | undefined> {
  if (pid === undefined) return undefined;
  const status = await Deno.readTextFile(`/proc/${pid}/status`);
  const m = status.match(/VmRSS:\s+(\d+)/);
  return m ? Number(m[1]) : undefined;
}

/**
 * `idle`: N logged-in connections holding presence; the server's RSS before and after.
 *
 * @param o Options.
 * @returns RSS per connection.
 */
export async function idleScenario(o: LoadOptions): Promise<LoadResult> {
  const errors = new Errors();
  const start = performance.now();
  const before = await rssKiB(o.serverPid);
  const conns = await loginMany(o, o.connections, errors);
  if (conns.length < o.connections) {
    errors.add(`Only ${conns.length} of ${o.connections} connections logged in`);
  }
  for (const c of conns) {
    c.listen(() => {});
    c.onEnd = () => errors.add("Idle connection ended");
  }
  // Let the server settle (GC) before reading its memory.
  await new Promise((r) => setTimeout(r, Math.min(3000, o.durationMs)));
  const after = await rssKiB(o.serverPid);
  for (const c of conns) c.onEnd = undefined;
  await closeAll(conns);
  return {
    scenario: "idle",
    count: conns.length,
    connections: conns.length,
    errors: errors.count,
    errorSamples: errors.samples,
    elapsedMs: performance.now() - start,
    rssBeforeKiB: before,
    rssAfterKiB: after,
    rssPerConnectionKiB: before !== undefined && after !== undefined && conns.length
      ? Math.round(((after - before) / conns.length) * 100) / 100
      : undefined,
  };
}

/** Rosters to seed for fanout: users 1 … `users` with `contacts` mutual contacts each. */
export interface RosterSeed {
  /** N: the first N accounts get rosters. */
  readonly users: number;
  /** K: contacts per roster (even, below N). */
  readonly contacts: number;
}

/**
 * The contacts of a user in the fanout rosters: a ring where each user is a mutual contact
 * (subscription both) of the K/2 users before and the K/2 users after it, so every roster
 * has exactly K items. Seeded the same way for every server.
 *
 * @param user The user's number, 1 … `users`.
 * @param users N.
 * @param contacts K: even, at least 2, below N.
 * @returns The contacts' numbers.
 */
export function ringContacts(user: number, users: number, contacts: number): number[] {
  if (contacts < 2 || contacts % 2 !== 0 || contacts >= users) {
    throw new RangeError(
      `Cannot build rosters of ${contacts} contacts among ${users} users: ` +
        "expected an even number from 2 to users - 1",
    );
  }
  const out: number[] = [];
  for (let d = 1; d <= contacts / 2; d++) {
    out.push(((user - 1 + d) % users) + 1, ((user - 1 - d + users) % users) + 1);
  }
  return out;
}

const ROSTER_GET = "<iq type='get' id='roster1'><query xmlns='jabber:iq:roster'/></iq>";

/** Answers a server's iq get/set (roster push, ping) with an empty result. */
function answerIq(conn: XmppConn, el: string): void {
  const type = attr(el, "type");
  if (type !== "get" && type !== "set") return;
  const from = attr(el, "from");
  conn.send(`<iq type='result' id='${attr(el, "id")}'${from ? ` to='${from}'` : ""}/>`);
}

/** Requests the roster and waits for it; returns how many items it has. */
async function getRoster(conn: XmppConn, other?: (el: string) => void): Promise<number> {
  conn.send(ROSTER_GET);
  while (true) {
    const el = await conn.next();
    if (el.startsWith("<stream:error")) throw new ProtocolError("Stream error after bind");
    if (!el.startsWith("<iq")) {
      other?.(el);
      continue;
    }
    if (attr(el, "id") !== "roster1") {
      answerIq(conn, el);
      continue;
    }
    if (attr(el, "type") !== "result") throw new ProtocolError("Roster get failed");
    return el.split("<item ").length - 1;
  }
}

/** Authenticates every user once, untimed, so the SCRAM SaltedPassword is cached. */
async function warmScram(o: LoadOptions, users: number, errors: Errors): Promise<void> {
  if (o.target.mechanism !== "SCRAM-SHA-1") return;
  let next = 1;
  const worker = async () => {
    while (next <= users) {
      const u = next++;
      try {
        const conn = await XmppConn.connect(o.target);
        try {
          await conn.login(o.target, `user${u}`, PASSWORD, "warm");
        } finally {
          await conn.close(0);
        }
      } catch (e) {
        errors.add(e);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(o.concurrency, users) }, worker));
}

/**
 * `fanout`: N users whose rosters hold K mutual contacts each ({@link ringContacts}, seeded
 * beforehand) all log in at once (C at a time), request the roster and send initial
 * presence. Measures the time from the first connect until every client has available
 * presence from each of its K contacts, and the per-client completion times (also from
 * the start). Stops at the duration, counting the presences still missing. With SCRAM,
 * every user authenticates once before the timed phase, so the client's PBKDF2 is cached.
 *
 * @param o Options (`users`, `contacts`, `concurrency`, `durationMs`).
 * @returns Total time (elapsedMs), completion percentiles, missing presences.
 */
export async function fanoutScenario(o: LoadOptions): Promise<LoadResult> {
  const errors = new Errors();
  const n = o.users;
  const k = o.contacts ?? 20;
  const domain = o.target.domain;
  const missing = new Map<number, Set<string>>();
  for (let u = 1; u <= n; u++) {
    missing.set(u, new Set(ringContacts(u, n, k).map((c) => `user${c}@${domain}`)));
  }
  await warmScram(o, n, errors);

  const completions: number[] = [];
  const conns: XmppConn[] = [];
  let finished = false;
  let lastDone = 0;
  let allDone!: () => void;
  const done = new Promise<void>((r) => allDone = r);
  const start = performance.now();
  const deadline = start + o.durationMs;
  const onPresence = (u: number, el: string) => {
    const type = attr(el, "type");
    if (type === "error") {
      errors.add(el.slice(0, 200));
      return;
    }
    if (type !== undefined || finished) return;
    const set = missing.get(u)!;
    const from = attr(el, "from") ?? "";
    const slash = from.indexOf("/");
    if (!set.delete(slash < 0 ? from : from.slice(0, slash)) || set.size > 0) return;
    lastDone = performance.now();
    completions.push(lastDone - start);
    if (completions.length === n) allDone();
  };
  let next = 1;
  const worker = async () => {
    while (next <= n && !finished && performance.now() < deadline) {
      const u = next++;
      let conn: XmppConn | undefined;
      try {
        conn = await XmppConn.connect(o.target);
        if (finished) {
          await conn.close(0);
          return;
        }
        conns.push(conn);
        await conn.login(o.target, `user${u}`, PASSWORD, "fanout");
        const items = await getRoster(conn, (el) => {
          if (el.startsWith("<presence")) onPresence(u, el);
        });
        if (items !== k) errors.add(`user${u}: roster has ${items} items, expected ${k}`);
        const c = conn;
        c.listen((el) => {
          if (el.startsWith("<presence")) onPresence(u, el);
          else if (el.startsWith("<iq")) answerIq(c, el);
          else if (el.startsWith("<stream:error")) errors.add(el.slice(0, 200));
        });
        c.onEnd = () => {
          if (!finished) errors.add(`user${u}: connection ended during the run`);
        };
        c.send("<presence/>");
      } catch (e) {
        if (!finished) errors.add(e);
      }
    }
  };
  const workers = Promise.all(Array.from({ length: Math.min(o.concurrency, n) }, worker));
  let timer: ReturnType<typeof setTimeout> | undefined;
  await Promise.race([done, new Promise<void>((r) => timer = setTimeout(r, o.durationMs))]);
  clearTimeout(timer);
  finished = true;
  const complete = completions.length === n;
  const elapsedMs = (complete ? lastDone : performance.now()) - start;
  let stillMissing = 0;
  for (const set of missing.values()) stillMissing += set.size;
  if (stillMissing > 0) {
    errors.add(`${stillMissing} of ${n * k} presences missing after ${o.durationMs} ms`);
  }
  for (const c of conns) c.onEnd = undefined;
  await closeAll(conns);
  await workers; // logins still under way fail at once on their closed sockets
  return {
    scenario: "fanout",
    rate: (n * k - stillMissing) / (elapsedMs / 1000),
    count: n * k - stillMissing,
    errors: errors.count,
    errorSamples: errors.samples,
    latencyMs: completions.length ? percentiles(completions) : undefined,
    elapsedMs,
    users: n,
    contacts: k,
    expected: n * k,
    missing: stillMissing,
    completeClients: completions.length,
  };
}

/**
 * Seeds the fanout rosters in band, for servers whose storage cannot be written directly
 * (ejabberd): every user logs in, requests the roster, sends initial presence and asks the
 * K/2 contacts after it for a subscription; a client approves every request it receives and
 * asks back, so each pair ends with subscription both. Done when every client has had a
 * roster push of subscription both for each of its K contacts.
 *
 * @param o Options (`target`, `users`, `contacts`, `concurrency`).
 * @param timeoutMs How long to try; throws when the rosters are not complete by then.
 */
export async function seedRostersInBand(
  o: LoadOptions,
  timeoutMs = Math.max(120_000, o.users * (o.contacts ?? 20) * 5),
): Promise<void> {
  const n = o.users;
  const k = o.contacts ?? 20;
  const domain = o.target.domain;
  const errors = new Errors();
  const pending = new Map<number, Set<string>>();
  for (let u = 1; u <= n; u++) {
    pending.set(u, new Set(ringContacts(u, n, k).map((c) => `user${c}@${domain}`)));
  }
  let left = n;
  let allDone!: () => void;
  const done = new Promise<void>((r) => allDone = r);
  const conns: XmppConn[] = [];
  const asking: [number, XmppConn, Set<string>][] = [];
  // Log everyone in first, so that no request goes to an offline user.
  let next = 1;
  const worker = async () => {
    while (next <= n) {
      const u = next++;
      try {
        const conn = await XmppConn.connect(o.target);
        conns.push(conn);
        await conn.login(o.target, `user${u}`, PASSWORD, "seed");
        await getRoster(conn);
        const set = pending.get(u)!;
        const asked = new Set<string>();
        conn.listen((el) => {
          if (el.startsWith("<iq")) {
            answerIq(conn, el);
            if (attr(el, "type") !== "set" || !el.includes("jabber:iq:roster")) return;
            for (const m of el.matchAll(/<item [^>]*>/g)) {
              if (attr(m[0], "subscription") !== "both") continue;
              const jid = attr(m[0], "jid")!;
              if (set.delete(jid) && set.size === 0 && --left === 0) allDone();
            }
          } else if (el.startsWith("<presence") && attr(el, "type") === "subscribe") {
            const from = attr(el, "from")!.split("/")[0];
            conn.send(`<presence to='${from}' type='subscribed'/>`);
            if (!asked.has(from)) {
              asked.add(from);
              conn.send(`<presence to='${from}' type='subscribe'/>`);
            }
          }
        });
        conn.send("<presence/>");
        asking.push([u, conn, asked]);
      } catch (e) {
        errors.add(e);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(o.concurrency, n) }, worker));
  if (errors.count) {
    await closeAll(conns);
    throw new Error(`Cannot seed rosters: ${errors.samples.join("; ")}`);
  }
  for (const [u, conn, asked] of asking) {
    for (let d = 1; d <= k / 2; d++) {
      const c = `user${((u - 1 + d) % n) + 1}@${domain}`;
      if (asked.has(c)) continue;
      asked.add(c);
      conn.send(`<presence to='${c}' type='subscribe'/>`);
    }
  }
  let timer: ReturnType<typeof setTimeout> | undefined;
  await Promise.race([done, new Promise<void>((r) => timer = setTimeout(r, timeoutMs))]);
  clearTimeout(timer);
  await closeAll(conns);
  if (left > 0) {
    let missing = 0;
    for (const s of pending.values()) missing += s.size;
    throw new Error(`Cannot seed rosters: ${missing} of ${n * k} items not "both" in time`);
  }
}

/**
 * The load scenarios: login, messages, idle. Each ends by itself and closes its sockets.
 *
 * @module
 */
import { attr, type Target, XmppConn } from "./xmpp_conn.ts";

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
  const conn = await XmppConn.connect(o.target.port);
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
  const worker = async (w: number) => {
    while (performance.now() < deadline) {
      const t0 = performance.now();
      const user = (seq++ % o.users) + 1;
      try {
        const conn = await loginFull(o, user, `w${w}`);
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
  return {
    scenario: "login",
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
        conns.push(await loginFull(o, (i % o.users) + 1, `c${i}`));
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
  measuring = true;
  const start = performance.now();
  await new Promise((r) => setTimeout(r, o.durationMs));
  const elapsedMs = performance.now() - start;
  measuring = false;
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

// Probe for issue #12 ("Speed and safety"): a resumption storm. N phones (200 here; set
// PARLEY_STORM_SESSIONS=1000 to run the figure by hand) enable XEP-0198, get five
// messages each and acknowledge two, lose their connections all at once, get more messages
// while their sessions wait, then all reconnect and resume at once. Every phone gets exactly
// the messages it had not acknowledged, in order, once; then one more message, once.
//
// The server runs as its own process (tests/probes/_storm_server.ts, memory storage, plain TCP
// with SCRAM) so that its heap can be read after a full garbage collection: the probe prints
// the heap per active and per hibernated session, and the storm's duration.
import assert from "node:assert/strict";
import type { Element } from "../../mod.ts";
import { withTimeout } from "../scenarios/_harness.ts";
import { RawSmClient } from "./_raw_sm_client.ts";

const N = Number(Deno.env.get("PARLEY_STORM_SESSIONS") ?? "200");
/** Messages before the loss (two acknowledged), and while the sessions wait. */
const BEFORE = 5, ACKED = 2;
/** Messages queued per waiting session (PARLEY_STORM_QUEUED, to measure a long queue). */
const DURING = Number(Deno.env.get("PARLEY_STORM_QUEUED") ?? "3");
const SERVER = new URL("./_storm_server.ts", import.meta.url).pathname;
const SM = "urn:xmpp:sm:3";
const MiB = 1024 * 1024;

interface Stats {
  active: number;
  hibernated: number;
  heapUsed: number;
  rss: number;
}

/** Runs `fn` over `items`, at most `limit` at a time. */
async function pool<T, R>(items: T[], limit: number, fn: (t: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(Array.from({ length: limit }, async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]);
    }
  }));
  return out;
}

const isMessage = (el: Element) => el.name === "message";

Deno.test({
  name: `probe: ${N} sessions dropped and resumed at once lose and duplicate nothing`,
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const child = new Deno.Command(Deno.execPath(), {
      args: ["run", "--v8-flags=--expose-gc", "-A", SERVER, String(N)],
      stdin: "piped",
      stdout: "piped",
      stderr: "inherit",
    }).spawn();
    const lines: string[] = [];
    const waiters: (() => void)[] = [];
    const reading = (async () => {
      let rest = "";
      for await (const chunk of child.stdout.pipeThrough(new TextDecoderStream())) {
        rest += chunk;
        const parts = rest.split("\n");
        rest = parts.pop()!;
        lines.push(...parts);
        for (const w of waiters.splice(0)) w();
      }
    })();
    const line = async (match: (l: string) => boolean, what: string, ms = 120_000) => {
      const deadline = Date.now() + ms;
      while (true) {
        const i = lines.findIndex(match);
        if (i !== -1) return lines.splice(i, 1)[0];
        if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
        await new Promise<void>((r) => {
          waiters.push(r);
          setTimeout(r, 200);
        });
      }
    };
    const stdin = child.stdin.getWriter();
    const stats = async (): Promise<Stats> => {
      await stdin.write(new TextEncoder().encode("stats\n"));
      return JSON.parse(await line((l) => l.startsWith("{"), "stats"));
    };
    const phones: RawSmClient[] = [];
    try {
      const port = Number(
        (await line((l) => l.startsWith("listening"), "the server")).split(" ")[1],
      );
      const idle = await stats();
      const sender = await RawSmClient.login(port, "sender", "pw");
      await sender.write(
        "<iq type='set' id='b'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'/></iq>",
      );
      await sender.next((el) => el.attrs.id === "b");
      const ids = await pool(Array.from({ length: N }, (_, i) => i), 32, async (i) => {
        const c = await RawSmClient.login(port, `u${i}`, "pw");
        phones[i] = c;
        await c.write(
          "<iq type='set' id='b'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'>" +
            "<resource>r</resource></bind></iq>",
        );
        await c.next((el) => el.attrs.id === "b");
        await c.write(`<enable xmlns='${SM}' resume='true'/>`);
        return (await c.next((el) => el.name === "enabled")).attrs.id;
      });
      const send = async (tag: string, count: number) => {
        let xmlText = "";
        for (let i = 0; i < N; i++) {
          for (let k = 0; k < count; k++) {
            xmlText += `<message to='u${i}@localhost/r' id='${tag}${k}' type='chat'>` +
              `<body>${tag}${k}</body></message>`;
          }
        }
        await sender.write(xmlText);
        // The sender's stanzas are routed in order: once its ping is answered, all are.
        await sender.write(`<iq type='get' id='p-${tag}'><ping xmlns='urn:xmpp:ping'/></iq>`);
        await sender.next((el) => el.attrs.id === `p-${tag}`, 120_000);
      };

      await send("a", BEFORE);
      await pool(phones, 64, async (c) => {
        for (let k = 0; k < BEFORE; k++) await c.next((el) => el.attrs.id === `a${k}`);
        await c.write(`<a xmlns='${SM}' h='${ACKED}'/>`);
      });
      const active = await stats();
      assert.equal(active.active, N);

      // The network goes away for everyone at once.
      for (const c of phones) c.drop();
      const deadline = Date.now() + 60_000;
      let waiting = await stats();
      while (waiting.hibernated < N) {
        assert.ok(Date.now() < deadline, `hibernated ${waiting.hibernated} of ${N}`);
        await new Promise((r) => setTimeout(r, 200));
        waiting = await stats();
      }
      await send("b", DURING);
      const hibernated = await stats();

      // Everyone comes back at once.
      const started = performance.now();
      const resumed = await withTimeout(
        Promise.all(ids.map(async (previd, i) => {
          const c = await RawSmClient.login(port, `u${i}`, "pw");
          await c.write(`<resume xmlns='${SM}' previd='${previd}' h='${ACKED}'/>`);
          const answer = await c.next((el) => el.name === "resumed" || el.name === "failed");
          assert.equal(answer.name, "resumed", `u${i}`);
          // The phone sent no stanza after <enable/> (an <a/> is no stanza).
          assert.equal(answer.attrs.h, "0");
          const expected = [
            ...Array.from({ length: BEFORE - ACKED }, (_, k) => `a${k + ACKED}`),
            ...Array.from({ length: DURING }, (_, k) => `b${k}`),
          ];
          for (const id of expected) await c.next((el) => el.attrs.id === id, 60_000);
          return c;
        })),
        "every phone to resume",
        180_000,
      );
      const stormMs = performance.now() - started;
      const after = await stats();
      assert.equal(after.active, N);

      // One more message each: it is the only message after the resent ones.
      await send("c", 1);
      await pool(resumed, 64, async (c) => {
        await c.next((el) => el.attrs.id === "c0");
        const extra = c.elements.filter(isMessage).map((el) => el.attrs.id);
        assert.deepEqual(extra, [], "nothing twice");
      });
      const perActive = (active.heapUsed - idle.heapUsed) / N;
      const perHibernated = (hibernated.heapUsed - idle.heapUsed) / N;
      console.log(
        `resumption storm: ${N} sessions resumed in ${Math.round(stormMs)} ms ` +
          `(${Math.round(N / (stormMs / 1000))}/s, login with SCRAM-SHA-1 included); ` +
          `heap per active SM session ${(perActive / 1024).toFixed(1)} KiB, ` +
          `per hibernated session with ${BEFORE - ACKED + DURING} unacked messages ` +
          `${(perHibernated / 1024).toFixed(1)} KiB; server RSS idle ${
            (idle.rss / MiB).toFixed(0)
          } ` +
          `MiB, ${N} hibernated ${(hibernated.rss / MiB).toFixed(0)} MiB`,
      );
      for (const c of resumed) c.drop();
      sender.drop();
    } finally {
      for (const c of phones) c.drop();
      try {
        child.kill("SIGKILL");
      } catch { /* exited */ }
      await child.status;
      await reading.catch(() => {});
    }
  },
});

// Probes of issue #10 item 6 against a real server over loopback: password guessing from one
// address is throttled (while the account's owner still logs in), and one address cannot hold
// more than maxConnectionsPerAddress connections. Bounded in time and memory (RSS).
import assert from "node:assert/strict";
import { connect, header, startServer, withTimeout } from "./_harness.ts";
import { RawClient } from "./_raw_client.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };
const SASL = "urn:ietf:params:xml:ns:xmpp-sasl";

/** The process's resident set (the server runs in this process); Deno reads it from /proc. */
function rssBytes(): number {
  return Deno.memoryUsage().rss;
}

Deno.test({
  name: "brute force: one address gets at most 10 password checks a second after the first " +
    "few, and the owner still logs in meanwhile",
  ...opts,
  async fn() {
    const t = await startServer();
    const baseRss = rssBytes();
    let peakRss = baseRss;
    const sampler = setInterval(() => peakRss = Math.max(peakRss, rssBytes()), 250);
    const checked: number[] = []; // when each wrong guess was answered <not-authorized/>
    let attempts = 0;
    let refused = 0;
    try {
      // The owner's usual address (127.0.0.1) is the one they logged in from before.
      const before = await connect(t.port, "alice", "alice-pw", { resource: "before" });
      await before.stop();

      const start = Date.now();
      const deadline = start + 6000;
      // At the deadline every guesser's connection is cut, answered or not.
      const open = new Set<RawClient>();
      const cut = setTimeout(() => open.forEach((c) => c.close()), deadline - start);
      // 20 parallel guessers from 127.0.0.2 over direct TLS, PLAIN, as fast as answers come.
      const guesser = async (n: number) => {
        let guess = 0;
        while (Date.now() < deadline) {
          const c = await RawClient.open(t.tlsPort, "127.0.0.2", true);
          open.add(c);
          try {
            c.write(header());
            if (!await c.until(/<\/stream:features>/)) continue;
            while (Date.now() < deadline) {
              attempts++;
              c.write(
                `<auth xmlns='${SASL}' mechanism='PLAIN'>${
                  btoa(`\0alice\0guess-${n}-${guess++}`)
                }</auth>`,
              );
              const answer = await c.until(/<failure xmlns=[^>]*><([a-z-]+)/);
              if (!answer) break; // the stream ended (a per-stream limit): reconnect
              if (answer[1] === "not-authorized") checked.push(Date.now());
              else if (answer[1] === "temporary-auth-failure") {
                refused++;
                await new Promise((r) => setTimeout(r, 50));
              } else throw new Error(`Unexpected SASL failure "${answer[1]}"`);
            }
          } finally {
            open.delete(c);
            c.close();
          }
        }
      };
      const guessing = Promise.all(Array.from({ length: 20 }, (_, n) => guesser(n)));

      // Halfway through, the owner logs in again from their address, within the usual timeout.
      await new Promise((r) => setTimeout(r, 3000));
      const ownerStart = Date.now();
      const owner = await connect(t.port, "alice", "alice-pw", { resource: "during" });
      const ownerMs = Date.now() - ownerStart;
      assert.equal(owner.xmpp.jid?.toString(), "alice@localhost/during");
      await owner.stop();

      await withTimeout(guessing, "the guessers to stop", 30_000);
      clearTimeout(cut);
      const end = Math.min(Date.now(), deadline);
      // After the burst (limits.authFailureBurst, 10), checks are spaced out: measured from the
      // end of the burst to the end of the attack.
      const burst = 10;
      const afterBurst = checked.slice(burst);
      const from = checked[burst - 1] ?? start;
      const rate = afterBurst.length / ((end - from) / 1000);
      console.log(
        `guesses sent ${attempts}, checked ${checked.length}, refused ${refused}, ` +
          `${rate.toFixed(2)} checks/s after the burst; owner logged in in ${ownerMs} ms; ` +
          `RSS +${((peakRss - baseRss) / 2 ** 20).toFixed(1)} MiB`,
      );
      // The attack itself went far faster than the limit, so the bound below means something.
      assert.ok(attempts / ((end - start) / 1000) > 20, `only ${attempts} guesses sent`);
      assert.ok(checked.length >= burst, `only ${checked.length} guesses checked`);
      assert.ok(rate <= 10, `${rate.toFixed(1)} password checks per second after the burst`);
      assert.ok(peakRss - baseRss <= 256 * 2 ** 20, "RSS grew by more than 256 MiB");
    } finally {
      clearInterval(sampler);
      await t.close();
    }
  },
});

Deno.test({
  name: "connection cap: one address gets <policy-violation/> past maxConnectionsPerAddress",
  ...opts,
  async fn() {
    const t = await startServer({ limits: { maxConnectionsPerAddress: 3 } });
    const held: RawClient[] = [];
    try {
      for (let i = 0; i < 3; i++) held.push(await RawClient.open(t.port, "127.0.0.3", false));
      // The server counts a connection once it has accepted it: the header is answered.
      for (const c of held) {
        c.write(header());
        assert.ok(await c.until(/<\/stream:features>/), "features for a held connection");
      }
      const extra = await RawClient.open(t.port, "127.0.0.3", false);
      const refusal = await withTimeout(
        extra.until(/<stream:error>([\s\S]*?)<\/stream:error>/),
        "the refusal",
      );
      assert.match(
        refusal?.[1] ?? "",
        /^<policy-violation xmlns=["']urn:ietf:params:xml:ns:xmpp-streams["']\/>/,
      );
      assert.ok(await extra.until(/<\/stream:stream>/), "the stream end after the error");
      await withTimeout(extra.until(/(?!)/), "the server to close the connection");
      assert.equal(extra.closed, true);

      // Other addresses are not affected.
      const other = await RawClient.open(t.port, "127.0.0.4", false);
      other.write(header());
      assert.ok(await other.until(/<\/stream:features>/), "features for another address");
      other.close();

      // Once one of the three closes, the address may connect again.
      held.shift()!.close();
      let again: RawClient | undefined;
      for (let i = 0; i < 50 && !again; i++) {
        const c = await RawClient.open(t.port, "127.0.0.3", false);
        c.write(header());
        const m = await c.until(/<\/stream:features>|<policy-violation/);
        if (m?.[0] === "</stream:features>") again = c;
        else {
          c.close();
          await new Promise((r) => setTimeout(r, 50));
        }
      }
      assert.ok(again, "a connection after one of the three closed");
      again.close();
    } finally {
      for (const c of held) c.close();
      await t.close();
    }
  },
});

// Helpers of the probes (issue #10): the server's RSS from /proc, percentiles, and two users
// chatting while a hostile client does its worst.
import assert from "node:assert/strict";
import { xml } from "@xmpp/client";
import type { LtxElement, TestClient } from "../scenarios/_harness.ts";

// Deno lets only --allow-all read /proc, and the test task does not grant it: /proc is read by
// a shell (--allow-run).

/** The output of `sh -c script`. */
export async function shell(script: string): Promise<string> {
  const out = await new Deno.Command("/bin/sh", { args: ["-c", script], stderr: "inherit" })
    .output();
  if (!out.success) throw new Error(`Failed: sh -c "${script}"`);
  return new TextDecoder().decode(out.stdout);
}

/** The largest a TCP send buffer and a receive buffer may grow to, together (Linux). */
export async function kernelBufferMax(): Promise<number> {
  const text = await shell("cat /proc/sys/net/ipv4/tcp_rmem /proc/sys/net/ipv4/tcp_wmem");
  const [rmem, wmem] = text.trim().split("\n").map((line) => Number(line.split(/\s+/)[2]));
  assert.ok(rmem > 0 && wmem > 0, text);
  return rmem + wmem;
}

/** The RSS of `pid`, in bytes. */
export async function rssOf(pid: number): Promise<number> {
  const rss = Number(/VmRSS:\s+(\d+) kB/.exec(await shell(`cat /proc/${pid}/status`))?.[1]);
  assert.ok(rss > 0, `No VmRSS for process ${pid}`);
  return rss * 1024;
}

/** Calls `onSample` with the RSS of `pid` every 50 ms until `stop()` or the process exits. */
export function sampleRss(
  pid: number,
  onSample: (bytes: number) => void,
): { stop(): Promise<void> } {
  const child = new Deno.Command("/bin/sh", {
    args: ["-c", `while grep VmRSS /proc/${pid}/status; do sleep 0.05; done`],
    stdout: "piped",
    stderr: "null",
  }).spawn();
  const reading = (async () => {
    let buffered = "";
    for await (const chunk of child.stdout.pipeThrough(new TextDecoderStream())) {
      buffered += chunk;
      const lines = buffered.split("\n");
      buffered = lines.pop()!;
      for (const line of lines) {
        const kb = /VmRSS:\s+(\d+) kB/.exec(line)?.[1];
        if (kb) onSample(Number(kb) * 1024);
      }
    }
  })();
  return {
    async stop() {
      try {
        child.kill();
      } catch { /* exited */ }
      await reading;
      await child.status;
    },
  };
}

export function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? 0;
}

/** Alice and Bob exchange a message every 50 ms until `stop`; returns each one's latency. */
export async function chat(
  alice: TestClient,
  bob: TestClient,
  stop: Promise<void>,
): Promise<number[]> {
  const sentAt = new Map<string, number>();
  const latencies: number[] = [];
  const onStanza = (s: LtxElement) => {
    const body = s.is("message") ? s.getChildText("body") : null;
    const at = body === null ? undefined : sentAt.get(body);
    if (at === undefined) return;
    sentAt.delete(body!);
    latencies.push(performance.now() - at);
  };
  alice.xmpp.on("stanza", onStanza);
  bob.xmpp.on("stanza", onStanza);
  let done = false;
  stop.then(() => done = true);
  for (let i = 0; !done; i++) {
    // The standalone server suffixes Bind 2 resources (XEP-0386): address the bound JIDs.
    const [from, to] = i % 2 === 0
      ? [alice, bob.xmpp.jid.toString()]
      : [bob, alice.xmpp.jid.toString()];
    const body = `ping ${i}`;
    sentAt.set(body, performance.now());
    await from.xmpp.send(xml("message", { to, type: "chat" }, xml("body", {}, body)));
    await new Promise((r) => setTimeout(r, 50));
  }
  // What is still on its way gets one more second; what never comes counts as that long.
  const deadline = performance.now() + 1000;
  while (sentAt.size > 0 && performance.now() < deadline) {
    await new Promise((r) => setTimeout(r, 20));
  }
  for (const at of sentAt.values()) latencies.push(performance.now() - at);
  alice.xmpp.off("stanza", onStanza);
  bob.xmpp.off("stanza", onStanza);
  return latencies;
}

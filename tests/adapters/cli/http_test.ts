// The standalone server serves the web endpoints on --http-port.
import assert from "node:assert/strict";
import { withTimeout } from "../../scenarios/_harness.ts";

const MAIN = new URL("../../../adapters/cli/main.ts", import.meta.url).pathname;

Deno.test({
  name: "deno task start serves host-meta and the WebSocket endpoint on --http-port",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const data = await Deno.makeTempDir({ prefix: "parley-cli-http-" });
    const child = new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "-A",
        MAIN,
        "--c2s-port",
        "0",
        "--tls-port",
        "0",
        "--http-port",
        "0",
        "--hostname",
        "127.0.0.1",
        "--data",
        data,
      ],
      stdout: "null",
      stderr: "piped",
    }).spawn();
    try {
      const port = Promise.withResolvers<number>();
      (async () => {
        let all = "";
        for await (const chunk of child.stderr.pipeThrough(new TextDecoderStream())) {
          all += chunk;
          const m = all.match(/Listening for web clients .* port=(\d+)/);
          if (m) port.resolve(Number(m[1]));
        }
        port.reject(new Error(`Server exited:\n${all}`));
      })();
      const p = await withTimeout(port.promise, "the HTTP port", 60_000);
      const json = await (await fetch(`http://127.0.0.1:${p}/.well-known/host-meta.json`)).json();
      assert.deepEqual(json.links.map((l: { href: string }) => l.href), [
        `ws://127.0.0.1:${p}/xmpp-websocket`,
        `http://127.0.0.1:${p}/http-bind`,
      ]);
      const ws = new WebSocket(`ws://127.0.0.1:${p}/xmpp-websocket`, ["xmpp"]);
      const first = Promise.withResolvers<string>();
      ws.onmessage = (e) => first.resolve(String(e.data));
      ws.onopen = () =>
        ws.send("<open xmlns='urn:ietf:params:xml:ns:xmpp-framing' to='localhost' version='1.0'/>");
      assert.match(await withTimeout(first.promise, "<open/>"), /^<open /);
      ws.close();
    } finally {
      child.kill("SIGTERM");
      await withTimeout(child.status, "the server to exit", 15_000);
      await Deno.remove(data, { recursive: true });
    }
  },
});

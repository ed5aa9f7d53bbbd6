// The standalone server serves the web endpoints on --http-port.
import assert from "node:assert/strict";
import { withTimeout } from "../../scenarios/_harness.ts";
import { startProcess } from "../_server_process.ts";

Deno.test({
  name: "deno task start serves host-meta and the WebSocket endpoint on --http-port",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const data = await Deno.makeTempDir({ prefix: "parley-cli-http-" });
    const server = await startProcess(["--data", data]);
    try {
      const p = server.ports.http;
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
      server.child.kill("SIGTERM");
      await withTimeout(server.child.status, "the server to exit", 15_000);
      await Deno.remove(data, { recursive: true });
    }
  },
});

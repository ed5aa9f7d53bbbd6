// A test server with TCP and the web endpoints on one Hono app, on loopback ephemeral ports.
import { Hono } from "hono";
import { type MountOptions, mountXmpp } from "../../../adapters/hono_websocket/mod.ts";
import type { ServerConfig } from "../../../mod.ts";
import { startServer, type TestServer } from "../../scenarios/_harness.ts";

export interface WebServer extends TestServer {
  httpPort: number;
  base: string;
}

export async function startWeb(
  options: MountOptions = {},
  config: ServerConfig = {},
): Promise<WebServer> {
  const tcp = await startServer(config);
  const app = new Hono();
  app.get("/", (c) => c.text("app"));
  mountXmpp(app, tcp.server, options);
  const http = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, app.fetch);
  const httpPort = http.addr.port;
  return {
    ...tcp,
    httpPort,
    base: `127.0.0.1:${httpPort}`,
    async close() {
      await tcp.close();
      await http.shutdown();
    },
  };
}

/** Opens a raw WebSocket, sends `frames` one per message, collects what comes until close. */
export async function wsExchange(
  url: string,
  frames: string[],
  protocols: string[] = ["xmpp"],
  ms = 5000,
): Promise<{ messages: string[]; protocol: string; closed: boolean }> {
  const ws = new WebSocket(url, protocols);
  const messages: string[] = [];
  const closed = Promise.withResolvers<boolean>();
  ws.onmessage = (e) => messages.push(String(e.data));
  ws.onclose = () => closed.resolve(true);
  ws.onerror = () => {};
  await new Promise<void>((resolve, reject) => {
    ws.onopen = () => resolve();
    ws.addEventListener("close", () => reject(new Error("WebSocket closed before it opened")));
  });
  for (const f of frames) {
    ws.send(f);
    await new Promise((r) => setTimeout(r, 50));
  }
  const timer = setTimeout(() => closed.resolve(false), ms);
  const wasClosed = await closed.promise;
  clearTimeout(timer);
  if (!wasClosed) ws.close();
  return { messages, protocol: ws.protocol, closed: wasClosed };
}

export const OPEN =
  "<open xmlns='urn:ietf:params:xml:ns:xmpp-framing' to='localhost' version='1.0'/>";

/** A test that may leave the servers' timers to their own shutdown. */
export function test(name: string, fn: () => Promise<void>): void {
  Deno.test({ name, sanitizeOps: false, sanitizeResources: false, fn });
}

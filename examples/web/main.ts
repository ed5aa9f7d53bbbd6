/**
 * `deno task example:web`: the example Hono app with chat on http://localhost:8080, a TCP
 * listener on 5222 for desktop clients, and two demo accounts (alice/alice-pw, bob/bob-pw).
 *
 * @module
 */
import { createServer } from "../../mod.ts";
import { loadOrCreateSelfSigned, tcpTransport } from "../../adapters/deno_tcp/mod.ts";
import { createApp } from "./app.ts";

const port = Number(Deno.env.get("PORT") ?? 8080);
const server = await createServer({
  domain: "localhost",
  users: [
    { jid: "alice@localhost", password: "alice-pw" },
    { jid: "bob@localhost", password: "bob-pw" },
  ],
});
const tls = await loadOrCreateSelfSigned("./data/certs", server.domain);
await server.listen(
  tcpTransport({ hostname: "127.0.0.1", port: Number(Deno.env.get("XMPP_PORT") ?? 5222), tls }),
);
const http = Deno.serve({ hostname: "127.0.0.1", port }, createApp(server).fetch);
console.log(`Open http://localhost:${port}/chat and log in as alice@localhost / alice-pw`);

const stop = async () => {
  await server.close();
  await http.shutdown();
  Deno.exit(0);
};
Deno.addSignalListener("SIGINT", stop);
Deno.addSignalListener("SIGTERM", stop);

/**
 * Embedding Parley in a Deno program: a server with one user, the built-in modules, a
 * third-party module, and the TCP transport with a self-signed development certificate.
 *
 * Run: deno run -A examples/embed.ts
 *
 * @module
 */
import { createServer } from "../mod.ts";
import { loadOrCreateSelfSigned, tcpTransport } from "../adapters/deno_tcp/mod.ts";
import { consoleLogger } from "../adapters/cli/console_logger.ts";
import { uptime } from "./uptime_module.ts";

const server = await createServer({
  domain: "localhost",
  users: [{ jid: "alice@localhost", password: "alice-pw" }],
  logger: consoleLogger("info"),
});
// The built-in last-activity module answers XEP-0012 for the server too: the example replaces it.
await server.unload("last-activity");
await server.use(uptime());
const tls = await loadOrCreateSelfSigned("./data", server.domain);
await server.listen(tcpTransport({ port: 5222, tls }));

Deno.addSignalListener("SIGINT", async () => {
  await server.close();
  Deno.exit(0);
});

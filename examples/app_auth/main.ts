/**
 * `deno run -A examples/app_auth/main.ts`: an app with its own users (dave/dave-pw,
 * erin/erin-pw) and login on http://localhost:8081; its chat page talks XMPP with no second
 * password.
 *
 * @module
 */
import { createServer } from "../../mod.ts";
import { AppUsers, createAuthApp } from "./app.ts";

const users = new AppUsers("localhost", { dave: "dave-pw", erin: "erin-pw" });
const server = await createServer({ domain: "localhost", auth: users.provider() });
const port = Number(Deno.env.get("PORT") ?? 8081);
const http = Deno.serve({ hostname: "127.0.0.1", port }, createAuthApp(server, users).fetch);
console.log(`Open http://localhost:${port}/ and log in as dave / dave-pw`);

const stop = async () => {
  await server.close();
  await http.shutdown();
  Deno.exit(0);
};
Deno.addSignalListener("SIGINT", stop);
Deno.addSignalListener("SIGTERM", stop);

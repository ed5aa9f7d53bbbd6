// The small services (#12 item 7) with a client written by others: Debian's slixmpp asks for
// the server's uptime and a contact's last activity (XEP-0012, its xep_0012 plugin) and reads
// the XEP-0157 contact addresses from the server's disco#info (xep_0030 with xep_0128).
import assert from "node:assert/strict";
import { xml } from "@xmpp/client";
import { connect, friends, startServer } from "./_harness.ts";

const PYTHON = "/usr/bin/python3"; // Debian's python, which has slixmpp; not pyenv's
const SCRIPT = new URL("./_slixmpp_services.py", import.meta.url).pathname;

async function slixmpp(port: number): Promise<{ code: number; lines: string[] }> {
  const child = new Deno.Command(PYTHON, {
    args: [SCRIPT, String(port), "alice@localhost", "alice-pw", "bob@localhost"],
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const timer = setTimeout(() => child.kill("SIGKILL"), 30_000);
  try {
    const { code, stdout, stderr } = await child.output();
    const lines = new TextDecoder().decode(stdout).trim().split("\n");
    if (code !== 0) lines.push(...new TextDecoder().decode(stderr).trim().split("\n").slice(-5));
    return { code, lines };
  } finally {
    clearTimeout(timer);
  }
}

Deno.test({
  name: "services: slixmpp reads the uptime, a contact's last activity and the contact addresses",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const t = await startServer({
      contactInfo: {
        abuse: ["mailto:abuse@localhost"],
        admin: ["xmpp:admin@localhost", "mailto:admin@localhost"],
      },
    });
    try {
      await friends(t);
      // Bob logs out with a status.
      const bob = await connect(t.port, "bob", "bob-pw", { resource: "desk" });
      await bob.xmpp.send(xml("presence"));
      await bob.xmpp.send(xml("presence", { type: "unavailable" }, xml("status", {}, "Away")));
      await bob.stop();
      const run = await slixmpp(t.port);
      assert.equal(run.code, 0, run.lines.join("\n"));
      const uptime = run.lines.find((l) => l.startsWith("uptime "));
      assert.match(uptime ?? "", /^uptime \d+$/);
      const last = run.lines.find((l) => l.startsWith("last "));
      assert.match(last ?? "", /^last \d+ Away$/);
      assert.deepEqual(run.lines.filter((l) => l.startsWith("serverinfo ")), [
        "serverinfo abuse-addresses mailto:abuse@localhost",
        "serverinfo admin-addresses xmpp:admin@localhost mailto:admin@localhost",
      ]);
    } finally {
      await t.close();
    }
  },
});

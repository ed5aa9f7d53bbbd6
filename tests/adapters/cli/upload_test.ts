// The standalone server serves XEP-0363 uploads on its HTTP port, files in <data>/uploads.
import assert from "node:assert/strict";
import { xml } from "@xmpp/client";
import { connect, withTimeout } from "../../scenarios/_harness.ts";
import { iq } from "../../scenarios/_iq.ts";
import { startProcess } from "../_server_process.ts";

Deno.test({
  name: "deno task start hands out upload slots served on --http-port",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const data = await Deno.makeTempDir({ prefix: "parley-cli-upload-" });
    const server = await startProcess(["--data", data, "--user", "alice@localhost:alice-pw"]);
    try {
      const alice = await connect(server.ports.c2s, "alice", "alice-pw");
      try {
        const reply = await iq(
          alice,
          "get",
          xml("request", {
            xmlns: "urn:xmpp:http:upload:0",
            filename: "hello.txt",
            size: "5",
            "content-type": "text/plain",
          }),
          "upload.localhost",
        );
        const slot = reply.getChild("slot", "urn:xmpp:http:upload:0")!;
        const put = slot.getChild("put")!;
        assert.match(
          put.attrs.url,
          new RegExp(`^http://localhost:${server.ports.http}/upload/[0-9a-f]+/hello\\.txt$`),
        );
        const auth = put.getChild("header")!.text();
        const res = await fetch(put.attrs.url, {
          method: "PUT",
          headers: { Authorization: auth, "Content-Type": "text/plain" },
          body: "hello",
        });
        assert.equal(res.status, 201);
        await res.body?.cancel();
        const get = await fetch(slot.getChild("get")!.attrs.url);
        assert.equal(await get.text(), "hello");
        assert.equal(get.headers.get("Content-Type"), "text/plain");
        const dir = new URL(put.attrs.url).pathname.split("/")[2];
        assert.equal(await Deno.readTextFile(`${data}/uploads/${dir}/hello.txt`), "hello");
        // The per-deployment secret stays in the data directory, readable by its owner only.
        assert.equal((await Deno.stat(`${data}/upload.secret`)).mode! & 0o777, 0o600);
      } finally {
        await alice.stop();
      }
    } finally {
      server.child.kill("SIGTERM");
      await withTimeout(server.child.status, "the server to exit", 15_000);
      await Deno.remove(data, { recursive: true });
    }
  },
});

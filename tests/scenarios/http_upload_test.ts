// XEP-0363 over real sockets: xmpp.js asks for a slot over TCP (STARTTLS), fetch PUTs the file
// to the server's HTTP port and GETs it back.
import assert from "node:assert/strict";
import { xml } from "@xmpp/client";
import { httpTransport } from "../../adapters/hono_websocket/transport.ts";
import { fsFileStore } from "../../adapters/hono_websocket/fs_file_store.ts";
import { connect, type LtxElement, startServer, type TestClient } from "./_harness.ts";
import { condition, iq } from "./_iq.ts";

const NS_UPLOAD = "urn:xmpp:http:upload:0";
const SECRET = "scenario secret, long enough";

async function uploadServer() {
  const data = await Deno.makeTempDir({ prefix: "parley-upload-scenario-" });
  let httpPort = 0;
  let skewMs = 0;
  const t = await startServer({
    upload: { url: () => `http://127.0.0.1:${httpPort}/upload`, secret: SECRET, maxFileSize: 4096 },
  });
  await t.server.listen(httpTransport(t.server, {
    hostname: "127.0.0.1",
    port: 0,
    upload: {
      secret: SECRET,
      store: fsFileStore(`${data}/uploads`),
      now: () => new Date(Date.now() + skewMs),
    },
    onListen: (a) => httpPort = a.port,
  }));
  const alice = await connect(t.port, "alice", "alice-pw");
  return {
    alice,
    data,
    port: t.port,
    skew: (ms: number) => skewMs = ms,
    async close() {
      await alice.stop();
      await t.close();
      await Deno.remove(data, { recursive: true });
    },
  };
}

interface Slot {
  put: string;
  get: string;
  headers: Record<string, string>;
}

function requestSlot(c: TestClient, attrs: Record<string, string>): Promise<LtxElement> {
  return iq(c, "get", xml("request", { xmlns: NS_UPLOAD, ...attrs }), "upload.localhost");
}

async function slot(c: TestClient, attrs: Record<string, string>): Promise<Slot> {
  const reply = await requestSlot(c, attrs);
  assert.equal(reply.attrs.type, "result", reply.toString());
  const s = reply.getChild("slot", NS_UPLOAD)!;
  const put = s.getChild("put")!;
  const headers = Object.fromEntries(
    put.getChildren("header").map((h) => [h.attrs.name, h.text()]),
  );
  return { put: put.attrs.url, get: s.getChild("get")!.attrs.url, headers };
}

Deno.test({
  name: "xmpp.js requests a slot, fetch uploads the file and gets it back",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const s = await uploadServer();
    try {
      // The service is found the way clients find it: disco#items of the domain, then info.
      const items = await iq(
        s.alice,
        "get",
        xml("query", { xmlns: "http://jabber.org/protocol/disco#items" }),
        "localhost",
      );
      const jids = items.getChild("query")!.getChildren("item").map((i) => i.attrs.jid);
      assert.ok(jids.includes("upload.localhost"));
      const info = await iq(
        s.alice,
        "get",
        xml("query", { xmlns: "http://jabber.org/protocol/disco#info" }),
        "upload.localhost",
      );
      const features = info.getChild("query")!.getChildren("feature").map((f) => f.attrs.var);
      assert.ok(features.includes(NS_UPLOAD));

      const bytes = crypto.getRandomValues(new Uint8Array(3000));
      const { put, get, headers } = await slot(s.alice, {
        filename: "holiday photo.png",
        size: String(bytes.length),
        "content-type": "image/png",
      });
      const res = await fetch(put, {
        method: "PUT",
        headers: { ...headers, "Content-Type": "image/png" },
        body: bytes,
      });
      assert.equal(res.status, 201);
      await res.body?.cancel();
      const back = await fetch(get);
      assert.equal(back.status, 200);
      assert.deepEqual(new Uint8Array(await back.arrayBuffer()), bytes);
      assert.equal(back.headers.get("Content-Type"), "image/png");
      assert.match(
        back.headers.get("Content-Disposition")!,
        /^inline; filename="holiday photo\.png"/,
      );
      assert.equal(back.headers.get("X-Content-Type-Options"), "nosniff");
      assert.equal(back.headers.get("Access-Control-Allow-Origin"), "*");
      // The file is where the data directory keeps uploads.
      const [dir] = new URL(get).pathname.split("/").slice(2);
      assert.deepEqual(await Deno.readFile(`${s.data}/uploads/${dir}/holiday photo.png`), bytes);

      const doc = new TextEncoder().encode("%PDF-1.4 …");
      const pdf = await slot(s.alice, { filename: "notes.pdf", size: String(doc.length) });
      const up = await fetch(pdf.put, { method: "PUT", headers: pdf.headers, body: doc });
      assert.equal(up.status, 201);
      await up.body?.cancel();
      const got = await fetch(pdf.get);
      assert.match(got.headers.get("Content-Disposition")!, /^attachment; filename="notes\.pdf"/);
      assert.equal(got.headers.get("Content-Type"), "application/octet-stream");
      await got.body?.cancel();
    } finally {
      await s.close();
    }
  },
});

Deno.test({
  name: "upload refuses oversize slots and PUTs, bad and expired tokens, and ../ filenames",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const s = await uploadServer();
    try {
      const tooBig = await requestSlot(s.alice, { filename: "big.bin", size: "4097" });
      assert.equal(tooBig.attrs.type, "error");
      assert.equal(condition(tooBig), "not-acceptable");
      const app = tooBig.getChild("error")!.getChild("file-too-large", NS_UPLOAD)!;
      assert.equal(app.getChildText("max-file-size"), "4096");

      const traversal = await requestSlot(s.alice, { filename: "../../etc/passwd", size: "10" });
      assert.equal(traversal.attrs.type, "error");
      assert.equal(condition(traversal), "bad-request");
      assert.equal(traversal.getChild("error")!.attrs.type, "modify");

      const small = await slot(s.alice, { filename: "a.txt", size: "5" });
      const putWith = async (headers: Record<string, string>, body: string) => {
        const res = await fetch(small.put, { method: "PUT", headers, body });
        await res.body?.cancel();
        return res.status;
      };
      assert.equal(await putWith(small.headers, "123456"), 413);
      const forged = small.headers.Authorization.replace(/.$/, (c) => c === "0" ? "1" : "0");
      assert.equal(await putWith({ Authorization: forged }, "12345"), 403);
      assert.equal(await putWith({}, "12345"), 401);
      s.skew(301_000);
      assert.equal(await putWith(small.headers, "12345"), 403);
      s.skew(0);
      assert.equal(await putWith(small.headers, "12345"), 201);
      assert.equal(await (await fetch(small.get)).text(), "12345");
    } finally {
      await s.close();
    }
  },
});

const PYTHON = "/usr/bin/python3"; // Debian's python, which has slixmpp; not pyenv's
const SLIXMPP = new URL("./_slixmpp_upload.py", import.meta.url).pathname;

Deno.test({
  name: "slixmpp's XEP-0363 plugin finds the service, reads max-file-size and uploads",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const s = await uploadServer();
    try {
      const child = new Deno.Command(PYTHON, {
        args: [SLIXMPP, String(s.port), "bob@localhost", "bob-pw", "3000"],
        stdout: "piped",
        stderr: "piped",
      }).spawn();
      const timer = setTimeout(() => child.kill("SIGKILL"), 30_000);
      const { code, stdout, stderr } = await child.output().finally(() => clearTimeout(timer));
      const lines = new TextDecoder().decode(stdout).trim().split("\n");
      assert.equal(code, 0, [...lines, new TextDecoder().decode(stderr).slice(-2000)].join("\n"));
      assert.equal(lines[0], "session_start");
      // The limit came from the XEP-0128 form of the service's disco#info.
      assert.equal(lines[1], "max_file_size 4096");
      const url = lines[2].replace(/^uploaded /, "");
      // Refused by the plugin itself, from the advertised limit.
      assert.equal(lines[3], "too_big");
      const got = await fetch(url);
      assert.equal(got.status, 200);
      assert.equal(got.headers.get("Content-Type"), "text/plain");
      const bytes = new Uint8Array(await got.arrayBuffer());
      assert.deepEqual(bytes, Uint8Array.from({ length: 3000 }, (_, i) => i % 251));
    } finally {
      await s.close();
    }
  },
});

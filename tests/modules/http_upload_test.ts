// XEP-0363 HTTP File Upload: slot requests, limits, quota and discovery, with the testing kit.
import assert from "node:assert/strict";
import { child, type Element, elements, NS, text, xml } from "../../mod.ts";
import { httpUpload } from "../../src/modules/http_upload.ts";
import { verifyUploadToken } from "../../src/modules/upload_token.ts";
import { testServer } from "../../src/testing/mod.ts";

const SECRET = "test secret of sixteen+ characters";
const URL_BASE = "http://localhost:5280/upload";

function request(attrs: Record<string, string>, id = "s1"): Element {
  return xml(
    "iq",
    { type: "get", to: "upload.localhost", id },
    xml("request", { xmlns: NS.HTTP_UPLOAD, ...attrs }),
  );
}

async function setup(options: { maxFileSize?: number; quotaBytes?: number } = {}) {
  const t = await testServer({
    users: ["alice@localhost", "bob@localhost"],
    upload: { url: URL_BASE, secret: SECRET, ...options },
  });
  const alice = await t.connect("alice@localhost/phone");
  return { t, alice };
}

/** The error of an iq answered with type error: its condition, type and app-specific child. */
async function errorOf(
  alice: { send(e: Element): Promise<void>; next(m: (e: Element) => boolean): Promise<Element> },
  iq: Element,
) {
  await alice.send(iq);
  const reply = await alice.next((e) => e.attrs.id === iq.attrs.id);
  assert.equal(reply.attrs.type, "error");
  assert.equal(reply.attrs.from, "upload.localhost");
  const error = child(reply, "error")!;
  const [condition, ...rest] = elements(error);
  assert.equal(condition.xmlns, NS.STANZAS);
  return { type: error.attrs.type, condition: condition.name, rest };
}

Deno.test("httpUpload() hands out a slot with a signed PUT header and a GET URL", async () => {
  const { t, alice } = await setup();
  try {
    const result = await alice.iq(
      request({ filename: "très joli.jpg", size: "23456", "content-type": "image/JPEG" }),
    );
    assert.equal(result.attrs.from, "upload.localhost");
    const slot = child(result, "slot", NS.HTTP_UPLOAD)!;
    const put = child(slot, "put")!;
    const get = child(slot, "get")!;
    assert.equal(put.attrs.url, get.attrs.url);
    const m = new RegExp(`^${URL_BASE}/([0-9a-f]{24})/tr%C3%A8s%20joli\\.jpg$`).exec(put.attrs.url);
    assert.ok(m, put.attrs.url);
    const headers = elements(put);
    assert.deepEqual(headers.map((h) => [h.name, h.attrs.name]), [["header", "Authorization"]]);
    const token = text(headers[0]).replace(/^Bearer /, "");
    const check = await verifyUploadToken(SECRET, token, {
      path: `${m[1]}/très joli.jpg`,
      contentType: "image/jpeg",
      now: new Date(),
    });
    assert.ok(check.ok);
    assert.equal(check.grant.size, 23456);
    // Valid for five minutes by default.
    assert.ok(Math.abs(check.grant.expires * 1000 - Date.now() - 300_000) < 5000);
    const other = await verifyUploadToken(SECRET, token, {
      path: `${m[1]}/très joli.jpg`,
      contentType: "image/png",
      now: new Date(),
    });
    assert.deepEqual(other, { ok: false, reason: "invalid" });
  } finally {
    await t.close();
  }
});

Deno.test("httpUpload() refuses a file over max-file-size with file-too-large", async () => {
  const { t, alice } = await setup({ maxFileSize: 1000 });
  try {
    const e = await errorOf(alice, request({ filename: "big.bin", size: "1001" }));
    assert.equal(e.condition, "not-acceptable");
    assert.equal(e.type, "modify");
    const app = e.rest.find((x) => x.name === "file-too-large")!;
    assert.equal(app.xmlns, NS.HTTP_UPLOAD);
    assert.equal(text(child(app, "max-file-size")), "1000");
    await alice.iq(request({ filename: "ok.bin", size: "1000" }, "s2"));
  } finally {
    await t.close();
  }
});

Deno.test("httpUpload() refuses bad filenames, sizes and types with bad-request", async () => {
  const { t, alice } = await setup();
  try {
    const bad = [
      { filename: "../etc/passwd", size: "3" },
      { filename: "..", size: "3" },
      { filename: "a/b.txt", size: "3" },
      { filename: "a\\b.txt", size: "3" },
      { filename: "", size: "3" },
      { filename: "x".repeat(256), size: "3" },
      { filename: "line\nbreak", size: "3" },
      { size: "3" },
      { filename: "a.txt", size: "-1" },
      { filename: "a.txt", size: "ten" },
      { filename: "a.txt" },
      { filename: "a.txt", size: "3", "content-type": "text plain" },
    ];
    for (const [i, attrs] of bad.entries()) {
      const e = await errorOf(alice, request(attrs as Record<string, string>, `b${i}`));
      assert.deepEqual([e.condition, e.type], ["bad-request", "modify"], JSON.stringify(attrs));
    }
  } finally {
    await t.close();
  }
});

Deno.test("httpUpload() enforces the per-account quota with resource-constraint", async () => {
  const { t, alice } = await setup({ maxFileSize: 600, quotaBytes: 1000 });
  try {
    // Earlier slots (the record the module keeps): one 8 days old, out of the 7-day window.
    const day = 86_400_000;
    const first = Math.floor(Date.now() / 1000) * 1000 - 6 * day;
    await t.server.storage.documents.put("http-upload:usage", "alice@localhost", {
      slots: [{ size: 600, at: Date.now() - 8 * day }, { size: 600, at: first }],
    });
    await alice.iq(request({ filename: "b.bin", size: "300" }, "q2"));
    const e = await errorOf(alice, request({ filename: "c.bin", size: "101" }, "q3"));
    assert.deepEqual([e.condition, e.type], ["resource-constraint", "wait"]);
    // XEP-0363 §5: <retry/> says when the 6-day-old slot leaves the window.
    const retry = e.rest.find((x) => x.name === "retry")!;
    assert.equal(retry.xmlns, NS.HTTP_UPLOAD);
    assert.equal(retry.attrs.stamp, new Date(first + 7 * day).toISOString().replace(".000", ""));
    await alice.iq(request({ filename: "d.bin", size: "100" }, "q4"));
    // The quota is per account: Bob's is untouched.
    const bob = await t.connect("bob@localhost/desk");
    await bob.iq(request({ filename: "f.bin", size: "600" }, "q6"));
  } finally {
    await t.close();
  }
});

Deno.test("httpUpload() is discoverable: domain items, identity store/file, max-file-size form", async () => {
  const { t, alice } = await setup({ maxFileSize: 5_242_880 });
  try {
    const items = await alice.iq(
      xml("iq", { type: "get", to: "localhost", id: "i" }, xml("query", { xmlns: NS.DISCO_ITEMS })),
    );
    const jids = elements(child(items, "query", NS.DISCO_ITEMS)!).map((i) => i.attrs.jid);
    assert.ok(jids.includes("upload.localhost"), jids.join());
    const info = await alice.iq(
      xml(
        "iq",
        { type: "get", to: "upload.localhost", id: "d" },
        xml("query", { xmlns: NS.DISCO_INFO }),
      ),
    );
    const query = child(info, "query", NS.DISCO_INFO)!;
    const identity = child(query, "identity")!;
    assert.deepEqual([identity.attrs.category, identity.attrs.type], ["store", "file"]);
    const features = elements(query).filter((e) => e.name === "feature").map((f) => f.attrs.var);
    assert.ok(features.includes(NS.HTTP_UPLOAD));
    const form = child(query, "x", NS.DATA_FORMS)!;
    assert.equal(form.attrs.type, "result");
    const fields = Object.fromEntries(
      elements(form).map((f) => [f.attrs.var, text(child(f, "value"))]),
    );
    assert.deepEqual(fields, { FORM_TYPE: NS.HTTP_UPLOAD, "max-file-size": "5242880" });
  } finally {
    await t.close();
  }
});

Deno.test("createServer() refuses an upload config without url or secret", async () => {
  const { createServer } = await import("../../mod.ts");
  await assert.rejects(createServer({ upload: { secret: SECRET } }), TypeError);
  await assert.rejects(createServer({ upload: { url: URL_BASE } }), TypeError);
  await assert.rejects(createServer({ upload: { url: URL_BASE, secret: "short" } }), RangeError);
  const off = await createServer({ upload: false });
  await off.close();
});

Deno.test("httpUpload() rejects a short secret and a URL that is not http(s)", () => {
  assert.throws(() => httpUpload({ url: URL_BASE, secret: "short" }), RangeError);
  assert.throws(() => httpUpload({ url: "ftp://x/upload", secret: SECRET }), TypeError);
  assert.throws(
    () => httpUpload({ url: URL_BASE, secret: SECRET, maxFileSize: 0 }),
    RangeError,
  );
});

Deno.test("httpUpload() answers other requests to the service with service-unavailable", async () => {
  const { t, alice } = await setup();
  try {
    const e = await errorOf(
      alice,
      xml(
        "iq",
        { type: "set", to: "upload.localhost", id: "x" },
        xml("request", {
          xmlns: NS.HTTP_UPLOAD,
          filename: "a",
          size: "1",
        }),
      ),
    );
    assert.equal(e.condition, "service-unavailable");
  } finally {
    await t.close();
  }
});

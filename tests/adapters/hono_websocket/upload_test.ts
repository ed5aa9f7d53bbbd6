// The HTTP side of XEP-0363: PUT with a signed token, GET with safe headers, CORS, expiry.
import assert from "node:assert/strict";
import { Hono } from "hono";
import { fsFileStore, mountUpload, uploadExpiry } from "../../../adapters/hono_websocket/mod.ts";
import { signUploadToken } from "../../../mod.ts";

const SECRET = "test secret of sixteen+ characters";
const SLOT = "0123456789abcdef01234567";

async function setup(now = () => new Date()) {
  const dir = await Deno.makeTempDir({ prefix: "parley-upload-" });
  const store = fsFileStore(`${dir}/uploads`);
  const app = mountUpload(new Hono(), { secret: SECRET, store, now });
  return {
    dir,
    store,
    fetch: (path: string, init?: RequestInit) =>
      app.fetch(new Request(`http://localhost${path}`, init)),
    close: () => Deno.remove(dir, { recursive: true }),
  };
}

async function token(
  filename: string,
  size: number,
  contentType = "",
  expires = Math.floor(Date.now() / 1000) + 300,
  slot = SLOT,
): Promise<string> {
  return `Bearer ${await signUploadToken(SECRET, {
    path: `${slot}/${filename}`,
    size,
    contentType,
    expires,
  })}`;
}

const BYTES = new TextEncoder().encode("GIF89a fake image bytes");

Deno.test("mountUpload() stores a PUT with a valid token and serves it with safe headers", async () => {
  const t = await setup();
  try {
    const put = await t.fetch(`/upload/${SLOT}/chat%20pic.gif`, {
      method: "PUT",
      headers: {
        Authorization: await token("chat pic.gif", BYTES.length, "image/gif"),
        "Content-Type": "image/gif",
        "Content-Length": String(BYTES.length),
      },
      body: BYTES,
    });
    assert.equal(put.status, 201);
    assert.equal(put.headers.get("Access-Control-Allow-Origin"), "*");
    const bytes = await Deno.readFile(`${t.dir}/uploads/${SLOT}/chat pic.gif`);
    assert.deepEqual(bytes, BYTES);
    const get = await t.fetch(`/upload/${SLOT}/chat%20pic.gif`);
    assert.equal(get.status, 200);
    assert.deepEqual(new Uint8Array(await get.arrayBuffer()), BYTES);
    assert.equal(get.headers.get("Content-Type"), "image/gif");
    assert.equal(
      get.headers.get("Content-Disposition"),
      `inline; filename="chat pic.gif"; filename*=UTF-8''chat%20pic.gif`,
    );
    assert.equal(get.headers.get("X-Content-Type-Options"), "nosniff");
    assert.equal(get.headers.get("Access-Control-Allow-Origin"), "*");
    // The slot is used once.
    const again = await t.fetch(`/upload/${SLOT}/chat%20pic.gif`, {
      method: "PUT",
      headers: {
        Authorization: await token("chat pic.gif", BYTES.length, "image/gif"),
        "Content-Type": "image/gif",
        "Content-Length": String(BYTES.length),
      },
      body: BYTES,
    });
    assert.equal(again.status, 409);
    await again.body?.cancel();
  } finally {
    await t.close();
  }
});

Deno.test("mountUpload() serves other types as attachments, with a UTF-8 filename", async () => {
  const t = await setup();
  try {
    const name = "résumé.html";
    const body = new TextEncoder().encode("<script>alert(1)</script>");
    const put = await t.fetch(`/upload/${SLOT}/${encodeURIComponent(name)}`, {
      method: "PUT",
      headers: {
        Authorization: await token(name, body.length),
        "Content-Type": "text/html",
        "Content-Length": String(body.length),
      },
      body,
    });
    assert.equal(put.status, 201);
    const get = await t.fetch(`/upload/${SLOT}/${encodeURIComponent(name)}`);
    assert.equal(get.headers.get("Content-Type"), "text/html");
    assert.equal(
      get.headers.get("Content-Disposition"),
      `attachment; filename="r_sum_.html"; filename*=UTF-8''r%C3%A9sum%C3%A9.html`,
    );
    assert.match(get.headers.get("Content-Security-Policy") ?? "", /default-src 'none'/);
    assert.equal(await get.text(), "<script>alert(1)</script>");
  } finally {
    await t.close();
  }
});

Deno.test("mountUpload() answers a CORS preflight", async () => {
  const t = await setup();
  try {
    const res = await t.fetch(`/upload/${SLOT}/a.txt`, {
      method: "OPTIONS",
      headers: {
        Origin: "https://web.example",
        "Access-Control-Request-Method": "PUT",
        "Access-Control-Request-Headers": "authorization, content-type",
      },
    });
    assert.equal(res.status, 204);
    assert.equal(res.headers.get("Access-Control-Allow-Origin"), "*");
    assert.equal(res.headers.get("Access-Control-Allow-Methods"), "GET, HEAD, PUT, OPTIONS");
    assert.equal(
      res.headers.get("Access-Control-Allow-Headers"),
      "Authorization, Content-Type, Range",
    );
  } finally {
    await t.close();
  }
});

Deno.test("mountUpload() refuses bad, missing and expired tokens, and wrong types", async () => {
  const t = await setup();
  try {
    const put = async (authorization: string | undefined, type = "text/plain") => {
      const headers: Record<string, string> = { "Content-Type": type, "Content-Length": "3" };
      if (authorization) headers.Authorization = authorization;
      const res = await t.fetch(`/upload/${SLOT}/a.txt`, { method: "PUT", headers, body: "abc" });
      await res.body?.cancel();
      return res.status;
    };
    const good = await token("a.txt", 3, "text/plain");
    assert.equal(await put(undefined), 401);
    assert.equal(await put(good.slice(0, -2) + (good.endsWith("00") ? "11" : "00")), 403);
    assert.equal(await put(await token("b.txt", 3, "text/plain")), 403); // another file's
    assert.equal(await put(await token("a.txt", 3, "text/plain", 1_000_000)), 403); // expired
    assert.equal(await put(good, "text/html"), 403); // the slot named another type
    assert.equal(await put("Bearer not-a-token"), 403);
    const other = `Bearer ${await signUploadToken("another deployment's secret", {
      path: `${SLOT}/a.txt`,
      size: 3,
      contentType: "text/plain",
      expires: Math.floor(Date.now() / 1000) + 300,
    })}`;
    assert.equal(await put(other), 403);
    assert.equal(await put(good), 201);
  } finally {
    await t.close();
  }
});

Deno.test("mountUpload() refuses an oversize PUT with 413 and a short one with 400", async () => {
  const t = await setup();
  try {
    const auth = await token("a.bin", 3);
    const big = await t.fetch(`/upload/${SLOT}/a.bin`, {
      method: "PUT",
      headers: { Authorization: auth, "Content-Length": "4" },
      body: "abcd",
    });
    assert.equal(big.status, 413);
    await big.body?.cancel();
    const short = await t.fetch(`/upload/${SLOT}/a.bin`, {
      method: "PUT",
      headers: { Authorization: auth, "Content-Length": "2" },
      body: "ab",
    });
    assert.equal(short.status, 400);
    await short.body?.cancel();
    assert.equal((await t.fetch(`/upload/${SLOT}/a.bin`)).status, 404);
    // A body longer than declared (a lying Content-Length) is cut off and nothing is kept.
    const info = { contentType: "text/plain", size: 3, created: new Date() };
    await assert.rejects(
      t.store.put(`${SLOT}/a.bin`, ReadableStream.from([BYTES]), info),
      RangeError,
    );
    assert.deepEqual(await Array.fromAsync(Deno.readDir(`${t.dir}/uploads`)), []);
  } finally {
    await t.close();
  }
});

Deno.test("mountUpload() refuses path traversal in the URL", async () => {
  const t = await setup();
  try {
    for (const path of [`/upload/${SLOT}/..%2F..%2Fetc%2Fpasswd`, `/upload/${SLOT}/..`]) {
      const res = await t.fetch(path, { method: "GET" });
      assert.ok(res.status === 400 || res.status === 404, `${path}: ${res.status}`);
      await res.body?.cancel();
    }
    const res = await t.fetch(`/upload/${SLOT}/..%2Fx.txt`, {
      method: "PUT",
      headers: { Authorization: await token("../x.txt", 1), "Content-Length": "1" },
      body: "x",
    });
    assert.equal(res.status, 400);
    await res.body?.cancel();
    assert.equal((await t.fetch("/upload/..%2F..%2F/x.txt")).status, 404);
  } finally {
    await t.close();
  }
});

Deno.test("uploadExpiry() deletes files older than expiryDays", async () => {
  let now = new Date("2026-01-01T00:00:00Z");
  const t = await setup(() => now);
  try {
    const expires = Math.floor(now.getTime() / 1000) + 300;
    const res = await t.fetch(`/upload/${SLOT}/old.txt`, {
      method: "PUT",
      headers: {
        Authorization: await token("old.txt", 3, "", expires),
        "Content-Length": "3",
      },
      body: "old",
    });
    assert.equal(res.status, 201);
    const expiry = uploadExpiry(t.store, { expiryDays: 2, now: () => now });
    try {
      now = new Date("2026-01-02T23:00:00Z");
      assert.equal(await expiry.sweep(), 0);
      assert.equal((await t.fetch(`/upload/${SLOT}/old.txt`)).status, 200);
      now = new Date("2026-01-03T00:00:01Z");
      assert.equal(await expiry.sweep(), 1);
      assert.equal((await t.fetch(`/upload/${SLOT}/old.txt`)).status, 404);
      assert.deepEqual(await Array.fromAsync(Deno.readDir(`${t.dir}/uploads`)), []);
    } finally {
      expiry.stop();
    }
  } finally {
    await t.close();
  }
});

Deno.test("mountUpload() serves byte ranges and HEAD", async () => {
  const t = await setup();
  try {
    const body = new TextEncoder().encode("0123456789");
    const put = await t.fetch(`/upload/${SLOT}/clip.mp4`, {
      method: "PUT",
      headers: {
        Authorization: await token("clip.mp4", 10, "video/mp4"),
        "Content-Type": "video/mp4",
        "Content-Length": "10",
      },
      body,
    });
    assert.equal(put.status, 201);
    const get = (range?: string, method = "GET") =>
      t.fetch(`/upload/${SLOT}/clip.mp4`, { method, headers: range ? { Range: range } : {} });
    const cases: [string, number, string | null, string][] = [
      ["bytes=2-5", 206, "bytes 2-5/10", "2345"],
      ["bytes=7-", 206, "bytes 7-9/10", "789"],
      ["bytes=-3", 206, "bytes 7-9/10", "789"],
      ["bytes=8-100", 206, "bytes 8-9/10", "89"],
      ["bytes=0-1,4-5", 200, null, "0123456789"], // several ranges: the whole file
      ["items=0-1", 200, null, "0123456789"],
    ];
    for (const [range, status, contentRange, text] of cases) {
      const res = await get(range);
      assert.equal(res.status, status, range);
      assert.equal(res.headers.get("Content-Range"), contentRange, range);
      assert.equal(res.headers.get("Content-Length"), String(text.length), range);
      assert.equal(await res.text(), text, range);
    }
    const beyond = await get("bytes=10-");
    assert.equal(beyond.status, 416);
    assert.equal(beyond.headers.get("Content-Range"), "bytes */10");
    await beyond.body?.cancel();
    const head = await get(undefined, "HEAD");
    assert.equal(head.status, 200);
    assert.equal(head.headers.get("Content-Length"), "10");
    assert.equal(head.headers.get("Accept-Ranges"), "bytes");
    assert.match(head.headers.get("Content-Disposition")!, /^inline;/);
    assert.equal(head.body, null);
  } finally {
    await t.close();
  }
});

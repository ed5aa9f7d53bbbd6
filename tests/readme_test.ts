// The README's table of specifications stays in step with what the built-in modules implement
// and with what a server actually advertises (disco#info, identities, stream features).
import assert from "node:assert/strict";
import { builtinModules, child, type Element, elements, NS, xml, type XmppServer } from "../mod.ts";
import { CLIENT_HEADER, memoryPair, testServer } from "../src/testing/mod.ts";
import type { ByteStream } from "../mod.ts";

const README = new URL("../README.md", import.meta.url);
const UPLOAD = { url: "http://localhost:5280/upload", secret: "readme test secret, long" };
/** The services that are off unless configured (#12 items 5, 7). */
const OPTIONAL_SERVICES = {
  push: { relay: { endpoint: "https://push.localhost/notify" } },
  contactInfo: { abuse: ["mailto:abuse@localhost"] },
  externalServices: [{ type: "stun", host: "stun.localhost", port: 3478 }],
};

function tableRows(markdown: string): string[] {
  const start = markdown.indexOf("## Supported specifications");
  assert.notEqual(start, -1, "README has a 'Supported specifications' section");
  const section = markdown.slice(start).split("\n## ")[0];
  return section.split("\n").filter((l) => l.startsWith("| ") && !l.startsWith("| ---"));
}

/** The backticked tokens of the "advertised as" column (the second), row by row. */
async function advertised(): Promise<{ spec: string; tokens: string[] }[]> {
  const [header, ...rows] = tableRows(await Deno.readTextFile(README));
  assert.deepEqual(
    header.split("|").map((c) => c.trim()).filter(Boolean),
    ["specification", "advertised as", "status"],
  );
  return rows.map((row) => {
    const [spec, column] = row.split("|").slice(1, 3).map((c) => c.trim());
    return { spec, tokens: [...column.matchAll(/`([^`]+)`/g)].map((m) => m[1]) };
  });
}

const isNamespace = (token: string) => token.includes(":");
const isIdentity = (token: string) => /^[a-z]+\/[a-z-]+$/.test(token);

/** Every namespace of a features element and its descendants. */
function namespaces(el: Element, out = new Set<string>()): Set<string> {
  if (el.xmlns) out.add(el.xmlns);
  for (const c of elements(el)) namespaces(c, out);
  return out;
}

/** The stream features a client sees before authentication on a transport. */
async function preAuthFeatures(server: XmppServer, stream: ByteStream, peer: {
  write(t: string): Promise<void>;
  readonly elements: readonly Element[];
}): Promise<Element> {
  const done = server.handle(stream);
  await peer.write(CLIENT_HEADER);
  const deadline = Date.now() + 5000;
  while (!peer.elements.some((e) => e.name === "features")) {
    if (Date.now() > deadline) throw new Error("Timed out waiting for stream features");
    await new Promise((r) => setTimeout(r, 5));
  }
  await peer.write("</stream:stream>");
  await done;
  return peer.elements.find((e) => e.name === "features")!;
}

interface Served {
  /** disco#info features of the server, an account and the components. */
  readonly features: Set<string>;
  /** disco#info identities as category/type. */
  readonly identities: Set<string>;
  /** Namespaces in stream features, on every kind of transport. */
  readonly streamFeatures: Set<string>;
}

async function infoOf(client: { iq(e: Element): Promise<Element> }, to: string) {
  const reply = await client.iq(
    xml("iq", { type: "get", to }, xml("query", { xmlns: NS.DISCO_INFO })),
  );
  return elements(child(reply, "query", NS.DISCO_INFO)!);
}

/** What a server with every built-in module (upload, registration and invitations on) advertises. */
async function served(): Promise<Served> {
  const t = await testServer({
    users: ["alice@localhost"],
    upload: UPLOAD,
    registration: { enabled: true, invites: true },
    ...OPTIONAL_SERVICES,
  });
  try {
    const features = new Set<string>();
    const identities = new Set<string>();
    const streamFeatures = new Set<string>();
    const alice = await t.connect("alice@localhost/r", { presence: false });
    const items = await alice.iq(
      xml("iq", { type: "get", to: "localhost" }, xml("query", { xmlns: NS.DISCO_ITEMS })),
    );
    const components = elements(child(items, "query", NS.DISCO_ITEMS)!).map((i) => i.attrs.jid);
    for (const to of ["localhost", "alice@localhost", ...components]) {
      for (const el of await infoOf(alice, to)) {
        if (el.name === "feature") features.add(el.attrs.var);
        if (el.name === "identity") identities.add(`${el.attrs.category}/${el.attrs.type}`);
      }
    }
    // After authentication: the features next to <bind/>.
    // (the kit's login took the parsed features: read them from the text it received).
    for (const block of alice.peer.output().match(/<stream:features>.*?<\/stream:features>/gs)!) {
      for (const m of block.matchAll(/xmlns=["']([^"']+)["']/g)) streamFeatures.add(m[1]);
    }
    await alice.close();
    // Before authentication: plain TCP (STARTTLS), and TLS with channel binding data.
    const plain = memoryPair({ secure: false });
    const tcp = { ...plain.stream, startTls: () => Promise.reject(new Error("not in a test")) };
    namespaces(await preAuthFeatures(t.server, tcp, plain.peer), streamFeatures);
    const secure = memoryPair();
    const tls = {
      ...secure.stream,
      info: { ...secure.stream.info, kind: "tls", tlsServerEndPoint: new Uint8Array(32) },
    };
    namespaces(await preAuthFeatures(t.server, tls, secure.peer), streamFeatures);
    streamFeatures.delete(NS.STREAM);
    streamFeatures.delete(NS.CLIENT);
    return { features, identities, streamFeatures };
  } finally {
    await t.close();
  }
}

Deno.test("README lists every specification a built-in module implements", async () => {
  const rows = tableRows(await Deno.readTextFile(README));
  const missing = builtinModules({ upload: UPLOAD, ...OPTIONAL_SERVICES })
    .flatMap((m) => m.specs ?? [])
    .filter((spec) => !rows.some((row) => row.includes(spec)));
  assert.deepEqual(missing, []);
});

Deno.test("README's 'advertised as' column names only what a server serves", async () => {
  const rows = await advertised();
  const s = await served();
  const servedToken = (token: string) =>
    token.endsWith("#*")
      ? [...s.features].some((f) => f.startsWith(token.slice(0, -1)))
      : isIdentity(token)
      ? s.identities.has(token)
      : s.features.has(token) || s.streamFeatures.has(token);
  const unserved = rows.flatMap(({ spec, tokens }) =>
    tokens.filter((t) => (isNamespace(t) || isIdentity(t)) && !servedToken(t))
      .map((t) => `${spec}: ${t}`)
  );
  assert.deepEqual(unserved, []);
});

Deno.test("README's 'advertised as' column lists every feature a server serves", async () => {
  const tokens = (await advertised()).flatMap((r) => r.tokens);
  const listed = (feature: string) =>
    tokens.includes(feature) ||
    tokens.some((t) => t.endsWith("#*") && feature.startsWith(t.slice(0, -1)));
  const s = await served();
  const unlisted = [...s.features, ...s.streamFeatures].filter((f) => !listed(f));
  assert.deepEqual(unlisted, [], `served but not in the README: ${unlisted.join(", ")}`);
  // The check sees what it should: features of the server, an account, a component, streams.
  for (const f of [NS.PING, NS.PUBSUB, NS.HTTP_UPLOAD, NS.SM, NS.TLS, NS.SASL_CB]) {
    assert.ok(s.features.has(f) || s.streamFeatures.has(f), `${f} is seen by the check`);
  }
});

Deno.test("README has exactly the two set-up commands", async () => {
  const text = await Deno.readTextFile(README);
  const setup = text.slice(
    text.indexOf("## Set-up"),
    text.indexOf("\n## ", text.indexOf("## Set-up") + 1),
  );
  const commands = [...setup.matchAll(/```sh\n([^`]+)```/g)].map((m) =>
    m[1].trim().split(" ").slice(0, 4).join(" ")
  );
  // Both work on a fresh machine with Node.js but no Deno yet.
  assert.deepEqual(commands, ["npx deno@2.9.6 task start", "npx deno@2.9.6 task test"]);
});

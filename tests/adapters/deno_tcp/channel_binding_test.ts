// Channel binding over real TLS connections (#9 item 3): the server advertises in XEP-0440
// exactly the types it can bind to on this runtime, over STARTTLS and direct TLS, and
// SCRAM-SHA-256-PLUS binds with tls-exporter where the runtime exports keying material.
import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import * as tls from "node:tls";
import { parse } from "txml";
import { header, startServer, testCertificate, type TestServer } from "../../scenarios/_harness.ts";
import { RawClient } from "../../scenarios/_raw_client.ts";
import { clientFinal } from "../../sasl/_scram_client.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };
const SASL = "urn:ietf:params:xml:ns:xmpp-sasl";

interface TNode {
  tagName: string;
  attributes: Record<string, string | null>;
  children: (TNode | string)[];
}

/** The types listed in <sasl-channel-binding xmlns='urn:xmpp:sasl-cb:0'/>, in order. */
function advertised(features: string): string[] {
  const [node] = parse(features) as TNode[];
  const cb = node.children.find((c): c is TNode =>
    typeof c !== "string" && c.tagName === "sasl-channel-binding" &&
    c.attributes.xmlns === "urn:xmpp:sasl-cb:0"
  );
  return (cb?.children ?? []).filter((c): c is TNode => typeof c !== "string")
    .map((c) => c.attributes.type ?? "");
}

/** Direct TLS, or STARTTLS then TLS; resolves with the client and the features over TLS. */
async function secureFeatures(
  t: TestServer,
  direct: boolean,
): Promise<{ client: RawClient; features: string }> {
  let client: RawClient;
  if (direct) client = await RawClient.open(t.tlsPort, "127.0.0.1", true);
  else {
    const plain = await RawClient.open(t.port, "127.0.0.1", false);
    plain.write(header());
    assert.ok(await plain.until(/<\/stream:features>/));
    plain.write("<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>");
    assert.ok(await plain.until(/<proceed [^>]*\/>/));
    const socket = tls.connect({
      socket: plain.socket,
      rejectUnauthorized: false,
      servername: "localhost",
    });
    await new Promise((resolve, reject) => {
      socket.once("secureConnect", resolve);
      socket.once("error", reject);
    });
    client = new RawClient(socket);
  }
  client.write(header());
  const m = await client.until(/<stream:features[\s\S]*?<\/stream:features>/);
  assert.ok(m, "features over TLS");
  return { client, features: m[0].replace("<stream:features", "<features") };
}

const exporterOnThisRuntime =
  typeof (tls.TLSSocket.prototype as { exportKeyingMaterial?: unknown }).exportKeyingMaterial ===
    "function";

Deno.test({
  name: "channel binding: XEP-0440 lists exactly what this runtime can bind to",
  ...opts,
  async fn() {
    const t = await startServer();
    try {
      for (const direct of [false, true]) {
        const { client, features } = await secureFeatures(t, direct);
        client.close();
        // Deno 2.9.6's node:tls has no exportKeyingMaterial: tls-server-end-point only.
        assert.deepEqual(
          advertised(features),
          exporterOnThisRuntime ? ["tls-exporter", "tls-server-end-point"] : [
            "tls-server-end-point",
          ],
          direct ? "direct TLS" : "STARTTLS",
        );
        assert.match(features, /<mechanism>SCRAM-SHA-256-PLUS<\/mechanism>/);
      }
    } finally {
      await t.close();
    }
  },
});

Deno.test({
  name: "channel binding: SCRAM-SHA-256-PLUS binds with tls-exporter where the runtime exports it",
  ...opts,
  async fn() {
    // Stand in for a runtime with Node's TLSSocket.exportKeyingMaterial (same for both ends
    // here, so the test client knows the value).
    const proto = tls.TLSSocket.prototype as { exportKeyingMaterial?: unknown };
    const original = proto.exportKeyingMaterial;
    const calls: string[] = [];
    const ekm = Buffer.from("keying material for this test..!");
    proto.exportKeyingMaterial = (length: number, label: string, context?: Uint8Array) => {
      calls.push(`${length} ${label} ${context?.length}`);
      return ekm;
    };
    const t = await startServer();
    // tls-server-end-point data of the test certificate (RFC 5929 §4.1).
    const endPoint = (await testCertificate()).tlsServerEndPoint!;
    const bindings: [string, Uint8Array][] = [
      ["tls-exporter", new Uint8Array(ekm)],
      ["tls-server-end-point", endPoint],
    ];
    try {
      for (const direct of [false, true]) {
        for (const [type, cbData] of bindings) {
          const { client, features } = await secureFeatures(t, direct);
          try {
            assert.deepEqual(advertised(features), ["tls-exporter", "tls-server-end-point"]);
            const gs2Header = `p=${type},,`;
            const bare = "n=alice,r=clientnonce";
            client.write(
              `<auth xmlns='${SASL}' mechanism='SCRAM-SHA-256-PLUS'>${
                btoa(gs2Header + bare)
              }</auth>`,
            );
            const challenge = await client.until(/<challenge [^>]*>([^<]*)<\/challenge>/);
            assert.ok(challenge, `${type}: a challenge`);
            const final = await clientFinal({
              hash: "SHA-256",
              password: "alice-pw",
              gs2Header,
              cbData,
              clientFirstBare: bare,
              serverFirst: atob(challenge[1]),
            });
            client.write(`<response xmlns='${SASL}'>${btoa(final.message)}</response>`);
            const success = await client.until(/<success [^>]*>([^<]*)<\/success>|<failure/);
            assert.equal(success?.[1] && atob(success[1]), final.serverSignature, type);
          } finally {
            client.close();
          }
        }
      }
      assert.ok(calls.length >= 4);
      assert.deepEqual(new Set(calls), new Set(["32 EXPORTER-Channel-Binding 0"]));
    } finally {
      if (original === undefined) delete proto.exportKeyingMaterial;
      else proto.exportKeyingMaterial = original;
      await t.close();
    }
  },
});

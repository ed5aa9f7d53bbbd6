// A hostile client, run as its own process by read_flood_test.ts: it opens one connection,
// optionally logs in, then sends as fast as the server takes it for a bounded time and prints
// what it managed to send as one JSON line.
//
//   deno run --allow-net --allow-read _flooder.ts '{"mode":"tls","port":5223,"seconds":3,…}'
//
// Modes: "tcp" (whitespace after the stream header, before STARTTLS), "starttls" (whitespace
// after STARTTLS and the new header), "tls" (direct TLS, XEP-0368), "tls-auth" (direct TLS,
// logged in and bound, then whitespace), "ws" (WebSocket, RFC 7395: whitespace messages after
// <open/>), "ws-auth" (logged in with SCRAM-SHA-1 and bound first), "bosh-auth" (BOSH,
// XEP-0206: logged in with SCRAM-SHA-1 and bound, then bodies full of stanzas, two requests in
// flight as XEP-0124 allows).

/** What the probe asks for. */
export interface FloodPlan {
  readonly mode: "tcp" | "starttls" | "tls" | "tls-auth" | "ws" | "ws-auth" | "bosh-auth";
  /** c2s (STARTTLS), direct TLS or HTTP port, by mode. */
  readonly port: number;
  /** How long to flood. */
  readonly seconds: number;
  /** PEM of the server's certificate, to verify TLS against. */
  readonly caPath?: string;
  /** Account for the modes that log in. */
  readonly user?: string;
  readonly password?: string;
  /**
   * For "tls-auth": what to send over and over once bound (default whitespace), e.g.
   * `<presence/>` or messages to an offline user (the backlog probe).
   */
  readonly payload?: string;
}

/** What the flooder reports. */
export interface FloodResult {
  /** Bytes the server took from us (written to the socket, or answered over BOSH). */
  readonly sent: number;
  /** Whether the server closed the connection (or the BOSH session) before the time was up. */
  readonly closedByServer: boolean;
  /** The last characters the server sent, to see its stream error. */
  readonly tail: string;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const CHUNK = new Uint8Array(65536).fill(0x20);
const HEADER = "<?xml version='1.0'?><stream:stream to='localhost' xmlns='jabber:client' " +
  "xmlns:stream='http://etherx.jabber.org/streams' version='1.0'>";
const OPEN = "<open xmlns='urn:ietf:params:xml:ns:xmpp-framing' to='localhost' version='1.0'/>";
const BIND = "<iq type='set' id='bind1' xmlns='jabber:client'><bind " +
  "xmlns='urn:ietf:params:xml:ns:xmpp-bind'><resource>flood</resource></bind></iq>";

/** A byte connection with the server's text collected as it arrives. */
class Link {
  text = "";
  closed = false;
  #waiters: (() => void)[] = [];
  #reading: Promise<void>;
  constructor(readonly conn: Deno.Conn) {
    this.#reading = this.#read();
  }
  async #read(): Promise<void> {
    const buf = new Uint8Array(65536);
    try {
      for (;;) {
        const n = await this.conn.read(buf);
        if (n === null) break;
        this.text = (this.text + decoder.decode(buf.subarray(0, n), { stream: true })).slice(
          -65536,
        );
        for (const w of this.#waiters.splice(0)) w();
      }
    } catch { /* reset */ }
    this.closed = true;
    for (const w of this.#waiters.splice(0)) w();
  }
  /** Waits until the server has sent `marker` (then forgets the text so far). */
  async until(marker: string | RegExp): Promise<string> {
    const deadline = Date.now() + 10_000;
    for (;;) {
      const hit = typeof marker === "string" ? this.text.includes(marker) : marker.test(this.text);
      if (hit) {
        const seen = this.text;
        this.text = "";
        return seen;
      }
      if (this.closed || Date.now() > deadline) {
        throw new Error(`No "${marker}" from the server, got "${this.text.slice(-300)}"`);
      }
      await new Promise<void>((r) => {
        this.#waiters.push(r);
        setTimeout(r, 200);
      });
    }
  }
  write(text: string): Promise<number> {
    return this.conn.write(encoder.encode(text));
  }
  /** Stops reading; waits for the reader to finish. */
  async close(): Promise<void> {
    try {
      this.conn.close();
    } catch { /* closed */ }
    await this.#reading;
  }
}

/** Reads from `conn` until the text so far contains `marker`. */
async function readUntil(conn: Deno.Conn, marker: string): Promise<void> {
  const buf = new Uint8Array(4096);
  let text = "";
  while (!text.includes(marker)) {
    const n = await conn.read(buf);
    if (n === null) throw new Error(`No "${marker}" from the server, got "${text}"`);
    text += decoder.decode(buf.subarray(0, n), { stream: true });
  }
}

async function tlsOver(conn: Deno.TcpConn, plan: FloodPlan): Promise<Deno.TlsConn> {
  const caCerts = plan.caPath ? [await Deno.readTextFile(plan.caPath)] : undefined;
  const tls = await Deno.startTls(conn, { hostname: "localhost", caCerts });
  await tls.handshake();
  return tls;
}

/** Opens the stream the mode asks for and returns the link to flood. */
async function openStream(plan: FloodPlan): Promise<Link> {
  const tcp = await Deno.connect({ hostname: "127.0.0.1", port: plan.port });
  if (plan.mode === "tcp") {
    const link = new Link(tcp);
    await link.write(HEADER);
    await link.until("</stream:features>");
    return link;
  }
  if (plan.mode === "starttls") {
    // No background reader here: Deno.startTls needs the connection to itself.
    await tcp.write(encoder.encode(HEADER));
    await readUntil(tcp, "</stream:features>");
    await tcp.write(encoder.encode("<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>"));
    await readUntil(tcp, "<proceed");
    const link = new Link(await tlsOver(tcp, plan));
    await link.write(HEADER);
    await link.until("</stream:features>");
    return link;
  }
  const link = new Link(await tlsOver(tcp, plan));
  await link.write(HEADER);
  await link.until("</stream:features>");
  if (plan.mode === "tls-auth") {
    const auth = btoa(`\0${plan.user}\0${plan.password}`);
    await link.write(
      `<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>${auth}</auth>`,
    );
    await link.until("<success");
    await link.write(HEADER);
    await link.until("</stream:features>");
    await link.write(BIND);
    await link.until("</iq>");
  }
  return link;
}

/** Writes whitespace until the time is up; a write still blocked then is abandoned. */
async function floodStream(plan: FloodPlan): Promise<FloodResult> {
  const link = await openStream(plan);
  const chunk = plan.payload
    ? encoder.encode(plan.payload.repeat(Math.max(1, Math.floor(65536 / plan.payload.length))))
    : CHUNK;
  let sent = 0;
  const deadline = Date.now() + plan.seconds * 1000;
  const stop = setTimeout(() => link.close(), plan.seconds * 1000);
  try {
    while (Date.now() < deadline && !link.closed) sent += await link.conn.write(chunk);
  } catch { /* closed by the deadline or by the server */ }
  clearTimeout(stop);
  const closedByServer = link.closed && Date.now() < deadline;
  const tail = link.text.slice(-500);
  await link.close();
  return { sent, closedByServer, tail };
}

// SCRAM-SHA-1 (RFC 5802) client, for the web modes (PLAIN is not offered over plain HTTP).
type Bytes = Uint8Array<ArrayBuffer>;
async function hmac(key: Bytes, data: Bytes): Promise<Bytes> {
  const k = await crypto.subtle.importKey("raw", key, { name: "HMAC", hash: "SHA-1" }, false, [
    "sign",
  ]);
  return new Uint8Array(await crypto.subtle.sign("HMAC", k, data));
}
function b64(bytes: Bytes): string {
  return btoa(String.fromCharCode(...bytes));
}
function unb64(text: string): Bytes {
  return Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
}
/** Runs SCRAM-SHA-1 over `exchange` (which sends one SASL element and returns the answer). */
async function scram(
  user: string,
  password: string,
  exchange: (element: string) => Promise<string>,
): Promise<void> {
  const nonce = b64(crypto.getRandomValues(new Uint8Array(18)));
  const first = `n=${user},r=${nonce}`;
  const challenge = await exchange(
    `<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='SCRAM-SHA-1'>${
      btoa(`n,,${first}`)
    }</auth>`,
  );
  const serverFirst = atob(/<challenge[^>]*>([^<]*)</.exec(challenge)![1]);
  const attrs = Object.fromEntries(serverFirst.split(",").map((p) => [p[0], p.slice(2)]));
  const base = await crypto.subtle.importKey("raw", encoder.encode(password), "PBKDF2", false, [
    "deriveBits",
  ]);
  const salted = new Uint8Array(
    await crypto.subtle.deriveBits(
      { name: "PBKDF2", hash: "SHA-1", salt: unb64(attrs.s), iterations: Number(attrs.i) },
      base,
      160,
    ),
  );
  const clientKey = await hmac(salted, encoder.encode("Client Key"));
  const storedKey = new Uint8Array(await crypto.subtle.digest("SHA-1", clientKey));
  const withoutProof = `c=biws,r=${attrs.r}`;
  const message = encoder.encode(`${first},${serverFirst},${withoutProof}`);
  const signature = await hmac(storedKey, message);
  const proof = clientKey.map((b, i) => b ^ signature[i]);
  const success = await exchange(
    `<response xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>${
      btoa(`${withoutProof},p=${b64(proof)}`)
    }</response>`,
  );
  if (!success.includes("<success")) throw new Error(`SCRAM failed: ${success.slice(0, 300)}`);
}

/** WebSocket: whitespace messages of 64 KiB while the socket takes them. */
async function floodWebSocket(plan: FloodPlan): Promise<FloodResult> {
  const ws = new WebSocket(`ws://127.0.0.1:${plan.port}/xmpp-websocket`, ["xmpp"]);
  let text = "";
  let closed = false;
  const waiters: (() => void)[] = [];
  ws.onmessage = (e) => {
    text = (text + String(e.data)).slice(-65536);
    for (const w of waiters.splice(0)) w();
  };
  ws.onclose = () => {
    closed = true;
    for (const w of waiters.splice(0)) w();
  };
  ws.onerror = () => {};
  await new Promise<void>((resolve, reject) => {
    ws.onopen = () => resolve();
    ws.addEventListener("close", () => reject(new Error("WebSocket closed before it opened")));
  });
  const until = async (marker: string): Promise<string> => {
    const deadline = Date.now() + 10_000;
    while (!text.includes(marker)) {
      if (closed || Date.now() > deadline) throw new Error(`No "${marker}", got "${text}"`);
      await new Promise<void>((r) => {
        waiters.push(r);
        setTimeout(r, 200);
      });
    }
    const seen = text;
    text = "";
    return seen;
  };
  ws.send(OPEN);
  await until("</stream:features>");
  if (plan.mode === "ws-auth") {
    await scram(plan.user!, plan.password!, async (el) => {
      ws.send(el);
      return await until("</");
    });
    ws.send(OPEN);
    await until("</stream:features>");
    ws.send(BIND);
    await until("</iq>");
  }
  const message = decoder.decode(CHUNK);
  let queued = 0;
  const deadline = Date.now() + plan.seconds * 1000;
  while (Date.now() < deadline && !closed) {
    // Keep at most 1 MiB in our own send buffer: what leaves it, the server has read.
    if (ws.bufferedAmount < 1 << 20) {
      ws.send(message);
      queued += message.length;
    } else {
      await new Promise((r) => setTimeout(r, 1));
    }
  }
  const sent = queued - ws.bufferedAmount;
  const closedByServer = closed;
  if (!closed) {
    const gone = new Promise<void>((r) => ws.addEventListener("close", () => r()));
    ws.close();
    await Promise.race([gone, new Promise((r) => setTimeout(r, 2000))]);
  }
  return { sent, closedByServer, tail: text.slice(-500) };
}

/** BOSH: bodies of 64 KiB of stanzas, two requests in flight, after logging in. */
async function floodBosh(plan: FloodPlan): Promise<FloodResult> {
  const url = `http://127.0.0.1:${plan.port}/http-bind`;
  let rid = 1_000_000 + Math.floor(Math.random() * 1_000_000);
  let sid = "";
  let tail = "";
  const post = async (attrs: Record<string, string>, content: string): Promise<string> => {
    const a = Object.entries({ rid: String(rid++), ...(sid ? { sid } : {}), ...attrs })
      .map(([k, v]) => ` ${k}='${v}'`).join("");
    const res = await fetch(url, {
      method: "POST",
      headers: { "content-type": "text/xml; charset=utf-8" },
      body: `<body xmlns='http://jabber.org/protocol/httpbind' xmlns:xmpp='urn:xmpp:xbosh'${a}>` +
        `${content}</body>`,
    });
    const text = await res.text();
    tail = text.slice(-500);
    return text;
  };
  const created = await post({
    to: "localhost",
    wait: "10",
    hold: "1",
    "xmpp:version": "1.0",
    ver: "1.11",
  }, "");
  sid = /sid='([^']+)'/.exec(created)![1];
  await scram(plan.user!, plan.password!, (el) => post({}, el));
  await post({ "xmpp:restart": "true", to: "localhost" }, "");
  await post({}, BIND);
  // An iq result addressed to the server: read, parsed and dropped, nothing is answered.
  const stanza = `<iq xmlns='jabber:client' type='result' id='x' pad='${"p".repeat(4000)}'/>`;
  const content = stanza.repeat(16);
  let sent = 0;
  let ended = false;
  const deadline = Date.now() + plan.seconds * 1000;
  const worker = async () => {
    while (Date.now() < deadline && !ended) {
      const controller = new AbortController();
      const timer = setTimeout(() => controller.abort(), Math.max(1, deadline - Date.now()));
      try {
        const a = ` rid='${rid++}' sid='${sid}'`;
        const res = await fetch(url, {
          method: "POST",
          headers: { "content-type": "text/xml; charset=utf-8" },
          body: `<body xmlns='http://jabber.org/protocol/httpbind'${a}>${content}</body>`,
          signal: controller.signal,
        });
        const text = await res.text();
        tail = text.slice(-500);
        if (text.includes("type='terminate'")) ended = true;
        else sent += content.length;
      } catch { /* the deadline */ }
      clearTimeout(timer);
    }
  };
  await Promise.all([worker(), worker()]);
  return { sent, closedByServer: ended, tail };
}

if (import.meta.main) {
  const plan = JSON.parse(Deno.args[0]) as FloodPlan;
  const result = plan.mode.startsWith("ws")
    ? await floodWebSocket(plan)
    : plan.mode === "bosh-auth"
    ? await floodBosh(plan)
    : await floodStream(plan);
  console.log(JSON.stringify(result));
  Deno.exit(0);
}

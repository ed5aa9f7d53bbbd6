// #9 item 5, "say what failed": what a real server logs for SASL failures, stream errors sent
// and received, closed connections and a flood from one address; never a password or payload.
import assert from "node:assert/strict";
import type { LogFields, Logger } from "../../mod.ts";
import { header, startServer, waitFor } from "./_harness.ts";
import { RawClient } from "./_raw_client.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };
const SASL = "urn:ietf:params:xml:ns:xmpp-sasl";

interface Line {
  level: string;
  message: string;
  fields: LogFields;
}

function recorder(): { logger: Logger; lines: Line[] } {
  const lines: Line[] = [];
  const at = (level: string) => (message: string, fields: LogFields = {}) =>
    void lines.push({ level, message, fields });
  return {
    lines,
    logger: { debug: at("debug"), info: at("info"), warn: at("warn"), error: at("error") },
  };
}

/** A line without the fields that change from run to run (session id). */
function show(l: Line, ...keys: string[]): string {
  return `${l.level} ${l.message} ${keys.map((k) => `${k}=${l.fields[k]}`).join(" ")}`;
}

Deno.test({
  name: "logging: a wrong password, a stream error each way and the close are logged",
  ...opts,
  async fn() {
    const { logger, lines } = recorder();
    const t = await startServer({ logger });
    try {
      const c = await RawClient.open(t.tlsPort, "127.0.0.5", true);
      c.write(header());
      assert.ok(await c.until(/<\/stream:features>/));
      const payload = btoa("\0alice\0hunter2");
      c.write(`<auth xmlns='${SASL}' mechanism='PLAIN'>${payload}</auth>`);
      assert.ok(await c.until(/<not-authorized\/>/));
      c.write(
        "<stream:error><conflict xmlns='urn:ietf:params:xml:ns:xmpp-streams'/>" +
          "<text xmlns='urn:ietf:params:xml:ns:xmpp-streams'>private words</text></stream:error>",
      );
      assert.ok(await c.until(/<\/stream:stream>/), "our stream end, without an error");
      await waitFor(() => lines.some((l) => l.message === "Connection closed"), "the close");

      const mine = lines.filter((l) => l.fields.remoteAddress === "127.0.0.5");
      assert.deepEqual(
        mine.filter((l) => l.level !== "debug").map((l) =>
          show(l, "mechanism", "condition", "wrongCredentials")
        ),
        [
          "info SASL failure mechanism=PLAIN condition=not-authorized wrongCredentials=true",
          "info Stream error received mechanism=undefined condition=conflict wrongCredentials=undefined",
          "info Connection closed mechanism=undefined condition=undefined wrongCredentials=undefined",
        ],
      );
      // Every line of the connection names it; the trace is at debug.
      assert.equal(new Set(mine.map((l) => l.fields.connection)).size, 1);
      assert.deepEqual(
        mine.filter((l) => l.level === "debug").map((l) => show(l, "element", "xmlns", "phase")),
        [
          "debug Negotiation step element=undefined xmlns=undefined phase=negotiating",
          `debug Negotiation step element=auth xmlns=${SASL} phase=negotiating`,
          "debug Negotiation step element=error xmlns=http://etherx.jabber.org/streams phase=closed",
        ],
      );
      const all = JSON.stringify(lines);
      for (const secret of ["hunter2", payload, "private words"]) {
        assert.equal(all.includes(secret), false, `the log holds "${secret}"`);
      }

      // A stream error the shell sends (bad XML) is logged with its condition.
      const bad = await RawClient.open(t.port, "127.0.0.5", false);
      bad.write(header() + "<a b='1' b='2'/>");
      assert.ok(await bad.until(/<\/stream:stream>/));
      await waitFor(
        () => lines.filter((l) => l.message === "Connection closed").length === 2,
        "the second close",
      );
      assert.deepEqual(
        lines.filter((l) => l.message === "Stream error sent").map((l) =>
          show(l, "condition", "remoteAddress")
        ),
        ["info Stream error sent condition=not-well-formed remoteAddress=127.0.0.5"],
      );
    } finally {
      await t.close();
    }
  },
});

Deno.test({
  name: "logging: a flood of SASL failures from one address warns once, then goes to debug",
  ...opts,
  async fn() {
    const { logger, lines } = recorder();
    const t = await startServer({ logger });
    try {
      // 25 unsupported mechanisms from one address, over three streams (10 per stream).
      let sent = 0;
      while (sent < 25) {
        const c = await RawClient.open(t.tlsPort, "127.0.0.6", true);
        c.write(header());
        assert.ok(await c.until(/<\/stream:features>/));
        for (let i = 0; i < 10 && sent < 25; i++, sent++) {
          c.write(`<auth xmlns='${SASL}' mechanism='X-GUESS'/>`);
          assert.ok(await c.until(/<invalid-mechanism\/>/));
        }
        c.close();
      }
      const failures = lines.filter((l) =>
        l.fields.remoteAddress === "127.0.0.6" && l.fields.condition === "invalid-mechanism"
      );
      assert.deepEqual(failures.map((l) => l.level), [
        ...Array(20).fill("info"),
        "warn",
        ...Array(4).fill("debug"),
      ]);
      assert.match(failures[20].message, /flood/);
    } finally {
      await t.close();
    }
  },
});

Deno.test({
  name: "logging: a bound client's stream error ends its stream unanswered and is logged",
  ...opts,
  async fn() {
    const { logger, lines } = recorder();
    const t = await startServer({ logger });
    try {
      const c = await RawClient.open(t.tlsPort, "127.0.0.7", true);
      c.write(header());
      assert.ok(await c.until(/<\/stream:features>/));
      c.write(`<auth xmlns='${SASL}' mechanism='PLAIN'>${btoa("\0alice\0alice-pw")}</auth>`);
      assert.ok(await c.until(/<success /));
      c.write(header());
      assert.ok(await c.until(/<\/stream:features>/));
      c.write(
        "<iq type='set' id='b1'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'/></iq>",
      );
      assert.ok(await c.until(/<\/iq>/));
      c.write(
        "<stream:error><host-gone xmlns='urn:ietf:params:xml:ns:xmpp-streams'/></stream:error>",
      );
      const rest = await c.until(/[\s\S]*<\/stream:stream>/);
      assert.ok(rest, "our stream end");
      // RFC 6120 §4.9.1: no stream error in answer to one.
      assert.equal(rest[0].includes("<stream:error"), false, rest[0]);
      await waitFor(() => lines.some((l) => l.message === "Connection closed"), "the close");
      assert.deepEqual(
        lines.filter((l) => l.fields.remoteAddress === "127.0.0.7" && l.level !== "debug")
          .map((l) => show(l, "condition", "bound", "clean")),
        [
          "info Stream error received condition=host-gone bound=undefined clean=undefined",
          "info Connection closed condition=undefined bound=true clean=false",
        ],
      );
    } finally {
      await t.close();
    }
  },
});

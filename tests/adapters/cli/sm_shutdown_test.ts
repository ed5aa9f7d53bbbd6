// The standalone server stopped by SIGTERM while a phone's session waits for XEP-0198
// resumption: what the phone never acknowledged is in offline storage (PGlite) after the
// restart, once each.
import assert from "node:assert/strict";
import { xml } from "@xmpp/client";
import {
  connect,
  type LtxElement,
  type TestClient,
  waitFor,
  withTimeout,
} from "../../scenarios/_harness.ts";
import { CutProxy } from "../../scenarios/_cut_proxy.ts";
import { chat, type Mobile, mobile } from "../../scenarios/_mobile.ts";
import { type ServerProcess, startProcess } from "../_server_process.ts";

const SM = "urn:xmpp:sm:3";

Deno.test({
  name: "deno task start: SIGTERM hands a hibernated session's unacked messages to offline storage",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const data = await Deno.makeTempDir({ prefix: "parley-sm-" });
    const args = [
      "--data",
      data,
      "--user",
      "alice@localhost:alice-pw",
      "--user",
      "bob@localhost:bob-pw",
    ];
    let run: ServerProcess | undefined;
    let proxy: CutProxy | undefined;
    let alice: Mobile | undefined, bob: TestClient | undefined, back: TestClient | undefined;
    try {
      run = await startProcess(args);
      proxy = CutProxy.start(run.ports.c2s);
      alice = await mobile(`xmpp://127.0.0.1:${proxy.port}`, "alice");
      alice.xmpp.reconnect.stop();
      bob = await connect(run.ports.c2s, "bob", "bob-pw", { resource: "desk" });
      // XEP-0386: the standalone server suffixes a Bind 2 client's tag ("phone" → "phone.…").
      const phone = alice.xmpp.jid.toString();
      await bob.xmpp.send(chat(phone, "m0"));
      await waitFor(() => alice!.messages.length === 1, "m0");
      // Alice acknowledges m0: her <r/> is answered only after her <a/> was processed.
      const acks = () => alice!.nonzas.filter((el) => el.name === "a").length;
      const before = acks();
      await alice.xmpp.send(
        xml("a", { xmlns: SM, h: String(alice.xmpp.streamManagement.inbound) }),
      );
      await alice.xmpp.send(xml("r", { xmlns: SM }));
      await waitFor(() => acks() > before, "the server's <a/>");

      // The network goes silent (m1 is written, never arrives), then cuts; m2 comes while
      // the session waits for resumption.
      proxy.blackhole = "both";
      await bob.xmpp.send(chat(phone, "m1"));
      await bob.xmpp.send(
        xml(
          "iq",
          { type: "get", to: "localhost", id: "p1" },
          xml("ping", { xmlns: "urn:xmpp:ping" }),
        ),
      );
      await bob.next((s: LtxElement) => s.attrs.id === "p1", "bob's ping answered");
      proxy.cut();
      await waitFor(
        () => run!.log.some((l) => l.includes("Session hibernated")),
        "alice's session to hibernate",
      );
      await bob.xmpp.send(chat(phone, "m2"));
      await bob.xmpp.send(
        xml(
          "iq",
          { type: "get", to: "localhost", id: "p2" },
          xml("ping", { xmlns: "urn:xmpp:ping" }),
        ),
      );
      await bob.next((s: LtxElement) => s.attrs.id === "p2", "bob's second ping answered");
      await bob.stop();

      run.child.kill("SIGTERM");
      const status = await withTimeout(run.child.status, "the server to exit", 30_000);
      assert.equal(status.code, 0);

      run = await startProcess(args);
      back = await connect(run.ports.c2s, "alice", "alice-pw", { resource: "laptop" });
      const got: string[] = [];
      back.xmpp.on("stanza", (s: LtxElement) => {
        if (s.is("message")) got.push(s.attrs.id);
      });
      await back.xmpp.send(xml("presence"));
      await waitFor(() => got.includes("m2"), "the offline messages", 10_000);
      // A marker after them: nothing else is on its way.
      await back.xmpp.send(chat(back.xmpp.jid.toString(), "end"));
      await waitFor(() => got.includes("end"), "the marker");
      assert.deepEqual(got, ["m1", "m2", "end"], "m0 was acknowledged; m1 and m2 once each");
    } finally {
      await alice?.stop();
      await bob?.stop();
      await back?.stop();
      await proxy?.close();
      try {
        run?.child.kill("SIGKILL");
      } catch { /* exited */ }
      await run?.child.status;
      await Deno.remove(data, { recursive: true });
    }
  },
});

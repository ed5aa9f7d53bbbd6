"""A slixmpp client as a second device: stream management (XEP-0198) and carbons (XEP-0280)
on, with Debian's slixmpp plugins. Driven by carbons_test.ts.

Usage: /usr/bin/python3 _slixmpp_mobile.py PORT JID PASSWORD

Prints one line per event to stdout ("sm_enabled RESUME", "carbons_enabled", "carbon_received
FROM BODY", "carbon_sent TO BODY", "message FROM BODY", "acked N", "stream_error CONDITION")
and exits 0 once a message with the body "quit" arrives, 1 when the connection failed, 2 on its
own timeout.
"""
import asyncio
import ssl
import sys

import slixmpp

port, jid, password = int(sys.argv[1]), sys.argv[2], sys.argv[3]


def say(*words):
    print(*words, flush=True)


class Mobile(slixmpp.ClientXMPP):
    def __init__(self):
        super().__init__(jid, password)
        # The test server's certificate is self-signed.
        self.ssl_context.check_hostname = False
        self.ssl_context.verify_mode = ssl.CERT_NONE
        self.register_plugin("xep_0030")
        self.register_plugin("xep_0198")
        self.register_plugin("xep_0280")
        self.acked = 0
        self.result = asyncio.get_event_loop().create_future()
        self.add_event_handler("session_start", self.on_session_start)
        self.add_event_handler("sm_enabled", lambda s: say("sm_enabled", s["resume"]))
        self.add_event_handler("stanza_acked", self.on_acked)
        self.add_event_handler("carbon_received", self.on_carbon_received)
        self.add_event_handler("carbon_sent", self.on_carbon_sent)
        self.add_event_handler("message", self.on_message)
        self.add_event_handler("stream_error", lambda e: say("stream_error", e["condition"]))
        self.add_event_handler("disconnected", lambda _: self.finish(1, "disconnected"))
        self.add_event_handler("connection_failed", lambda _: self.finish(1, "connection_failed"))

    def finish(self, code, what):
        if not self.result.done():
            say(what)
            self.result.set_result(code)

    def on_acked(self, _stanza):
        self.acked += 1
        say("acked", self.acked)

    async def on_session_start(self, _event):
        self.send_presence()
        await self["xep_0280"].enable()
        say("carbons_enabled")

    def on_carbon_received(self, msg):
        inner = msg["carbon_received"]
        say("carbon_received", inner["from"], inner["body"])

    def on_carbon_sent(self, msg):
        inner = msg["carbon_sent"]
        say("carbon_sent", inner["to"], inner["body"])

    def on_message(self, msg):
        # Carbon copies come from the account's own bare JID (handled above).
        if msg["from"] == self.boundjid.bare:
            return
        say("message", msg["from"], msg["body"])
        if msg["body"] == "quit":
            # Something for the server to acknowledge, then a request for its count.
            self.send_message(mto=msg["from"], mbody="bye", mtype="chat")
            self["xep_0198"].request_ack()
            asyncio.get_event_loop().call_later(1, lambda: self.finish(0, "done"))


async def main():
    xmpp = Mobile()
    xmpp.connect(("127.0.0.1", port))
    try:
        code = await asyncio.wait_for(xmpp.result, 25)
    except asyncio.TimeoutError:
        say("timeout")
        code = 2
    xmpp.disconnect(wait=1)
    await asyncio.sleep(0.2)
    return code


sys.exit(asyncio.get_event_loop().run_until_complete(main()))

"""Logs in with Debian's slixmpp (default settings: STARTTLS, its own SASL choice), sends a
message to a peer and waits for the peer's answer. Driven by slixmpp_test.ts.

Usage: /usr/bin/python3 _slixmpp_echo.py PORT JID PASSWORD PEER_JID

Prints one line per event to stdout ("failed_auth CONDITION", "auth MECHANISM",
"session_start", "message FROM BODY") and exits 0 once the peer's answer arrived, 1 when
authentication or the connection failed, 2 on its own timeout.
"""
import asyncio
import ssl
import sys

import slixmpp

port, jid, password, peer = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]


def say(*words):
    print(*words, flush=True)


class Echo(slixmpp.ClientXMPP):
    def __init__(self):
        super().__init__(jid, password)
        # The test server's certificate is self-signed: do not verify it (the only change to
        # slixmpp's defaults).
        self.ssl_context.check_hostname = False
        self.ssl_context.verify_mode = ssl.CERT_NONE
        self.result = asyncio.get_event_loop().create_future()
        self.add_event_handler("failed_auth", self.on_failed_auth)
        self.add_event_handler("failed_all_auth", lambda _: self.finish(1, "failed_all_auth"))
        self.add_event_handler("auth_success", self.on_auth_success)
        self.add_event_handler("session_start", self.on_session_start)
        self.add_event_handler("message", self.on_message)
        self.add_event_handler("stream_error", lambda e: say("stream_error", e["condition"]))
        self.add_event_handler("disconnected", lambda _: self.finish(1, "disconnected"))
        self.add_event_handler("connection_failed", lambda _: self.finish(1, "connection_failed"))

    def finish(self, code, what):
        if not self.result.done():
            say(what)
            self.result.set_result(code)

    def on_failed_auth(self, stanza):
        say("failed_auth", self["feature_mechanisms"].mech.name, stanza["condition"])

    def on_auth_success(self, _stanza):
        say("auth", self["feature_mechanisms"].mech.name)

    def on_session_start(self, _event):
        say("session_start")
        self.send_presence()
        self.send_message(mto=peer, mbody="ping from slixmpp", mtype="chat")

    def on_message(self, msg):
        say("message", msg["from"].bare, msg["body"])
        if msg["from"].bare == peer:
            self.finish(0, "done")


async def main():
    xmpp = Echo()
    xmpp.connect(("127.0.0.1", port))
    try:
        code = await asyncio.wait_for(xmpp.result, 20)
    except asyncio.TimeoutError:
        say("timeout")
        code = 2
    xmpp.disconnect(wait=1)
    await asyncio.sleep(0.2)
    return code


sys.exit(asyncio.get_event_loop().run_until_complete(main()))

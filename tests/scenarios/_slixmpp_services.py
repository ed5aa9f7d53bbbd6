"""Asks the small services with Debian's slixmpp plugins: XEP-0012 last activity (xep_0012)
of the server and of a contact, and the XEP-0157 contact addresses of the server's disco#info
(xep_0030 with xep_0128 extended forms). Driven by services_test.ts.

Usage: /usr/bin/python3 _slixmpp_services.py PORT JID PASSWORD CONTACT_JID

Prints "uptime SECONDS", "last SECONDS STATUS", "serverinfo VAR VALUE…" (one line per field)
and exits 0; 1 when a query or the connection failed, 2 on its own timeout.
"""
import asyncio
import ssl
import sys

import slixmpp

port, jid, password, contact = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
SERVERINFO = "http://jabber.org/network/serverinfo"


def say(*words):
    print(*words, flush=True)


class Services(slixmpp.ClientXMPP):
    def __init__(self):
        super().__init__(jid, password)
        self.ssl_context.check_hostname = False
        self.ssl_context.verify_mode = ssl.CERT_NONE
        self.register_plugin("xep_0030")
        self.register_plugin("xep_0012")
        self.register_plugin("xep_0128")
        self.result = asyncio.get_event_loop().create_future()
        self.add_event_handler("session_start", self.on_session_start)
        self.add_event_handler("failed_all_auth", lambda _: self.finish(1, "failed_all_auth"))
        self.add_event_handler("disconnected", lambda _: self.finish(1, "disconnected"))

    def finish(self, code, what):
        if not self.result.done():
            say(what)
            self.result.set_result(code)

    async def on_session_start(self, _event):
        try:
            up = await self.plugin["xep_0012"].get_last_activity(self.boundjid.domain)
            say("uptime", up["last_activity"]["seconds"])
            last = await self.plugin["xep_0012"].get_last_activity(contact)
            say("last", last["last_activity"]["seconds"], last["last_activity"]["status"])
            info = await self.plugin["xep_0030"].get_info(jid=self.boundjid.domain)
            for form in info["disco_info"].xml.findall("{jabber:x:data}x"):
                fields = {}
                for field in form.findall("{jabber:x:data}field"):
                    values = [v.text or "" for v in field.findall("{jabber:x:data}value")]
                    fields[field.get("var")] = values
                if fields.get("FORM_TYPE") == [SERVERINFO]:
                    for var, values in sorted(fields.items()):
                        if var != "FORM_TYPE":
                            say("serverinfo", var, *values)
            self.finish(0, "done")
        except Exception as e:  # noqa: BLE001 (reported to the test)
            say("error", type(e).__name__, e)
            self.finish(1, "failed")


async def main():
    xmpp = Services()
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

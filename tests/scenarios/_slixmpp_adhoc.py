"""Runs XEP-0050 commands with Debian's slixmpp plugins xep_0050 and xep_0133 as an admin:
lists the server's commands, runs ping, adds a user through the add-user form, and is refused
nothing. Driven by adhoc_test.ts.

Usage: /usr/bin/python3 _slixmpp_adhoc.py PORT JID PASSWORD NEW_JID NEW_PASSWORD

Prints one line per step ("commands NODE...", "ping STATUS", "form FIELD...",
"add-user STATUS", "error CONDITION") and exits 0 when done, 1 on failure, 2 on timeout.
"""
import asyncio
import ssl
import sys

import slixmpp

port, jid, password, new_jid, new_password = sys.argv[1:6]


def say(*words):
    print(*words, flush=True)


class Admin(slixmpp.ClientXMPP):
    def __init__(self):
        super().__init__(jid, password)
        self.ssl_context.check_hostname = False
        self.ssl_context.verify_mode = ssl.CERT_NONE
        self.register_plugin("xep_0030")
        self.register_plugin("xep_0004")
        self.register_plugin("xep_0050")
        self.register_plugin("xep_0133")
        self.result = asyncio.get_event_loop().create_future()
        self.add_event_handler("session_start", self.on_session_start)
        self.add_event_handler("disconnected", lambda _: self.finish(1, "disconnected"))

    def finish(self, code, what):
        if not self.result.done():
            say(what)
            self.result.set_result(code)

    async def on_session_start(self, _event):
        try:
            items = await self["xep_0133"].get_commands()
            say("commands", *sorted(i[1] for i in items["disco_items"]["items"]))
            pong = await self["xep_0050"].send_command(self.boundjid.server, "ping")
            say("ping", pong["command"]["status"])
        except slixmpp.exceptions.IqError as e:
            say("error", e.iq["error"]["condition"])
            self.finish(1, "failed")
            return
        self["xep_0133"].add_user(session={"next": self.fill, "error": self.error})

    def fill(self, iq, session):
        form = iq["command"]["form"]
        say("form", *sorted(form.get_fields().keys()))
        answer = self["xep_0004"].make_form(ftype="submit")
        answer.add_field(var="FORM_TYPE", ftype="hidden",
                         value="http://jabber.org/protocol/admin")
        answer.add_field(var="accountjid", value=new_jid)
        answer.add_field(var="password", value=new_password)
        answer.add_field(var="password-verify", value=new_password)
        session["payload"] = answer
        session["next"] = self.done
        self["xep_0050"].complete_command(session)

    def done(self, iq, _session):
        say("add-user", iq["command"]["status"])
        self.finish(0, "done")

    def error(self, iq, _session):
        say("error", iq["error"]["condition"])
        self.finish(1, "failed")


async def main():
    xmpp = Admin()
    xmpp.connect(("127.0.0.1", int(port)))
    try:
        code = await asyncio.wait_for(xmpp.result, 20)
    except asyncio.TimeoutError:
        say("timeout")
        code = 2
    xmpp.disconnect(wait=1)
    await asyncio.sleep(0.2)
    return code


sys.exit(asyncio.get_event_loop().run_until_complete(main()))

"""Drives the XEP-0060 service with Debian's slixmpp xep_0060 plugin: creates a configured
node, reads its configuration, subscribes, publishes (hearing the notifications), reads items,
tries a failing publish-options precondition, retracts, purges and deletes. Driven by
pubsub_test.ts.

Usage: /usr/bin/python3 _slixmpp_pubsub.py PORT JID PASSWORD SERVICE

Prints one line per step and exits 0 when done, 1 on an unexpected error, 2 on timeout.
"""
import asyncio
import ssl
import sys

import slixmpp
from slixmpp.exceptions import IqError
from slixmpp.xmlstream import ET

port, jid, password, service = sys.argv[1:5]
NODE = "slixmpp-news"


def say(*words):
    print(*words, flush=True)


class Client(slixmpp.ClientXMPP):
    def __init__(self):
        super().__init__(jid, password)
        self.ssl_context.check_hostname = False
        self.ssl_context.verify_mode = ssl.CERT_NONE
        for plugin in ("xep_0004", "xep_0030", "xep_0060"):
            self.register_plugin(plugin)
        self.result = asyncio.get_event_loop().create_future()
        self.events = asyncio.Queue()
        self.add_event_handler("session_start", self.on_session_start)
        for kind in ("publish", "retract", "purge", "delete"):
            self.add_event_handler("pubsub_" + kind, self.on_event(kind))

    def on_event(self, kind):
        def handler(msg):
            self.events.put_nowait((kind, msg))
        return handler

    async def next_event(self):
        kind, msg = await asyncio.wait_for(self.events.get(), 5)
        if kind in ("publish", "retract"):
            item = msg["pubsub_event"]["items"].iterables[0]
            return f"{kind} {msg['pubsub_event']['items']['node']} {item['id']}"
        return f"{kind} {msg['pubsub_event'][kind]['node']}"

    def finish(self, code, what):
        if not self.result.done():
            say(what)
            self.result.set_result(code)

    def form(self, ftype, form_type, fields):
        form = self["xep_0004"].make_form(ftype=ftype)
        form.add_field(var="FORM_TYPE", ftype="hidden", value=form_type)
        for var, value in fields.items():
            form.add_field(var=var, value=value)
        return form

    def entry(self, text):
        el = ET.Element("{urn:example:news}entry")
        el.text = text
        return el

    async def on_session_start(self, _event):
        # Available: notifications to the bare JID reach available resources (RFC 6121 §8.5.2).
        self.send_presence()
        try:
            await self.run()
            self.finish(0, "done")
        except IqError as e:
            say("error", e.iq["error"]["condition"])
            self.finish(1, "failed")
        except Exception as e:  # noqa: BLE001 - reported to the test
            say("exception", repr(e))
            self.finish(1, "failed")

    async def run(self):
        ps = self["xep_0060"]
        config = self.form("submit", "http://jabber.org/protocol/pubsub#node_config", {
            "pubsub#title": "News", "pubsub#max_items": "3",
            "pubsub#send_last_published_item": "on_sub"})
        await ps.create_node(service, NODE, config=config)
        say("created")
        got = await ps.get_node_config(service, NODE)
        values = got["pubsub_owner"]["configure"]["form"].get_values()
        say("config", values["pubsub#title"], values["pubsub#max_items"])
        await ps.publish(service, NODE, id="first", payload=self.entry("one"))
        sub = await ps.subscribe(service, NODE)
        say("subscription", sub["pubsub"]["subscription"]["subscription"])
        say("event", await self.next_event())  # the last item, on subscription
        for i in ("a", "b", "c", "d"):
            await ps.publish(service, NODE, id=i, payload=self.entry(i))
            say("event", await self.next_event())
        items = await ps.get_items(service, NODE)
        say("items", *[i["id"] for i in items["pubsub"]["items"]])
        newest = await ps.get_items(service, NODE, max_items=1)
        say("newest", *[i["id"] for i in newest["pubsub"]["items"]])
        options = self.form("submit", "http://jabber.org/protocol/pubsub#publish-options",
                            {"pubsub#access_model": "whitelist"})
        try:
            await ps.publish(service, NODE, id="x", payload=self.entry("x"), options=options)
            say("precondition", "accepted")
        except IqError as e:
            say("precondition", e.iq["error"]["condition"])
        await ps.retract(service, NODE, "d", notify=True)
        say("event", await self.next_event())
        await ps.purge(service, NODE)
        say("event", await self.next_event())
        await ps.delete_node(service, NODE)
        say("event", await self.next_event())


async def main():
    xmpp = Client()
    xmpp.connect(("127.0.0.1", int(port)))
    try:
        code = await asyncio.wait_for(xmpp.result, 25)
    except asyncio.TimeoutError:
        say("timeout")
        code = 2
    xmpp.disconnect(wait=1)
    await asyncio.sleep(0.2)
    return code


sys.exit(asyncio.get_event_loop().run_until_complete(main()))

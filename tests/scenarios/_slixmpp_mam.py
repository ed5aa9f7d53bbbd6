"""A slixmpp client that pages its message archive (XEP-0313) with Debian's xep_0313 plugin.
Driven by mam_test.ts.

Usage: /usr/bin/python3 _slixmpp_mam.py PORT JID PASSWORD PEER

Prints one line per step to stdout: "fields NAMES…", "metadata start end", "page N INDEX COUNT"
for each page of the forward RSM iterator (messages with PEER), "forward BODIES…",
"backward BODIES… [complete]" for each page paged backwards, "all COUNT" (without the PEER
filter), then "done"; exits 0, or 1 when something failed.
"""
import asyncio
import ssl
import sys

import slixmpp
from slixmpp import JID

port, jid, password, peer = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]


def say(*words):
    print(*words, flush=True)


def bodies(results):
    return [m["mam_result"]["forwarded"]["stanza"]["body"] for m in results]


class Archive(slixmpp.ClientXMPP):
    def __init__(self):
        super().__init__(jid, password)
        # The test server's certificate is self-signed.
        self.ssl_context.check_hostname = False
        self.ssl_context.verify_mode = ssl.CERT_NONE
        for plugin in ("xep_0030", "xep_0059", "xep_0297", "xep_0313"):
            self.register_plugin(plugin)
        self.result = asyncio.get_event_loop().create_future()
        self.add_event_handler("session_start", self.on_session_start)
        self.add_event_handler("disconnected", lambda _: self.finish(1))
        self.add_event_handler("connection_failed", lambda _: self.finish(1))

    def finish(self, code):
        if not self.result.done():
            self.result.set_result(code)

    async def on_session_start(self, _event):
        try:
            await self.walk()
            say("done")
            self.finish(0)
        except Exception as e:  # noqa: BLE001 (reported, then the exit code says it)
            say("error", type(e).__name__, e)
            self.finish(1)

    async def walk(self):
        mam = self["xep_0313"]
        me = JID(self.boundjid.bare)
        fields = await mam.get_fields(jid=me)
        say("fields", *sorted(fields.get_fields().keys()))
        meta = (await mam.get_archive_metadata(jid=me))["mam_metadata"]
        say("metadata", *[n for n in ("start", "end") if meta[n]["id"]])
        # Forwards: slixmpp's RSM iterator (XEP-0059), asking after the last id each time.
        got = []
        pages = mam.retrieve(jid=me, with_jid=JID(peer), iterator=True, rsm={"max": 10})
        async for page in pages:
            rsm = page["mam_fin"]["rsm"]
            say("page", len(page["mam"]["results"]), rsm["first_index"], rsm["count"])
            got += bodies(page["mam"]["results"])
        say("forward", *got)
        # Backwards with the same iterator (reverse=True: an empty <before/>, then before the
        # first id of each page) until it stops by itself on an empty page.
        pages = mam.retrieve(jid=me, with_jid=JID(peer), iterator=True, reverse=True,
                             rsm={"max": 10})
        async for page in pages:
            complete = page["mam_fin"].xml.get("complete") == "true"
            say("backward", *bodies(page["mam"]["results"]), *(["complete"] if complete else []))
        everything = await mam.retrieve(jid=me, rsm={"max": 100})
        say("all", len(everything["mam"]["results"]))


async def main():
    xmpp = Archive()
    xmpp.connect(("127.0.0.1", port))
    try:
        code = await asyncio.wait_for(xmpp.result, 50)
    except asyncio.TimeoutError:
        say("timeout")
        code = 2
    xmpp.disconnect(wait=1)
    await asyncio.sleep(0.2)
    return code


sys.exit(asyncio.get_event_loop().run_until_complete(main()))

"""Uploads a file with Debian's slixmpp and its XEP-0363 plugin (aiohttp for the PUT): the
plugin finds the service through disco#items and disco#info of the domain (identity store/file),
reads max-file-size from the XEP-0128 form, asks for a slot and PUTs the file. Driven by
http_upload_test.ts.

Usage: /usr/bin/python3 _slixmpp_upload.py PORT JID PASSWORD SIZE

Prints one line per event ("session_start", "max_file_size N", "uploaded URL", "too_big" or
"refused CONDITION" for a file one byte over the limit) and exits 0 when both went as expected,
1 on a failure, 2 on its own timeout.
"""
import asyncio
import io
import ssl
import sys

import slixmpp
from slixmpp.exceptions import IqError
from slixmpp.plugins.xep_0363.http_upload import FileTooBig

port, jid, password, size = int(sys.argv[1]), sys.argv[2], sys.argv[3], int(sys.argv[4])


def say(*words):
    print(*words, flush=True)


class Uploader(slixmpp.ClientXMPP):
    def __init__(self):
        super().__init__(jid, password)
        # The test server's certificate is self-signed: do not verify it.
        self.ssl_context.check_hostname = False
        self.ssl_context.verify_mode = ssl.CERT_NONE
        self.register_plugin("xep_0030")
        self.register_plugin("xep_0128")
        self.register_plugin("xep_0363")
        self.result = asyncio.get_event_loop().create_future()
        self.add_event_handler("session_start", self.on_session_start)
        self.add_event_handler("failed_all_auth", lambda _: self.finish(1))
        self.add_event_handler("connection_failed", lambda _: self.finish(1))

    def finish(self, code):
        if not self.result.done():
            self.result.set_result(code)

    async def on_session_start(self, _event):
        say("session_start")
        try:
            # slixmpp 1.8.3's get_info_from_domain passes coroutines to asyncio.wait, which
            # Python 3.11 refuses: make the same queries (disco#info of the domain, disco#items,
            # disco#info of each item) one by one and put them where it caches them.
            disco = self["xep_0030"]
            domain = self.boundjid.domain
            infos = [await disco.get_info(domain, timeout=10)]
            items = (await disco.get_items(domain, timeout=10))["disco_items"]["items"]
            infos += [await disco.get_info(item[0], timeout=10) for item in items]
            disco.domain_infos[domain] = infos
            data = bytes(i % 251 for i in range(size))
            url = await self["xep_0363"].upload_file(
                "slixmpp-test.txt", size=size, content_type="text/plain",
                input_file=io.BytesIO(data), timeout=10)
            say("max_file_size", self["xep_0363"].max_file_size)
            say("uploaded", url)
            try:
                # One byte over the advertised limit.
                over = self["xep_0363"].max_file_size + 1 if self["xep_0363"].max_file_size != float("inf") else 10 ** 12
                await self["xep_0363"].upload_file(
                    "big.bin", size=over, input_file=io.BytesIO(b""), timeout=10)
                say("accepted")
            except FileTooBig:
                say("too_big")
            except IqError as e:
                say("refused", e.iq["error"]["condition"])
            self.finish(0)
        except Exception as e:  # noqa: BLE001 (reported to the test)
            say("error", type(e).__name__, e)
            self.finish(1)


async def main():
    xmpp = Uploader()
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

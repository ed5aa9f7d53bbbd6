"""Debian's slixmpp with its XEP-0045 plugin in rooms of the server. Driven by muc_test.ts.

Usage: /usr/bin/python3 _slixmpp_muc.py PORT JID PASSWORD

Bob (this script) tries the nickname Alice holds in tea@conference.localhost, joins as Bob
with history, says hello, waits for Alice's welcome, sends her a private message, creates
and configures a room of his own with slixmpp's form handling, invites Alice there, makes her
a member, lists the members and kicks her, retracts a message as its moderator (XEP-0425
version 0), and leaves. Prints one line
per event ("join_error CONDITION", "joined CODES", "history BODY", "subject TEXT",
"groupchat NICK BODY", "configured FIELD=VALUE", "left") and exits 0 when all went well,
1 on a failure, 2 on its own timeout.
"""
import asyncio
import ssl
import sys

import slixmpp
from slixmpp.exceptions import IqError, PresenceError

port, jid, password = int(sys.argv[1]), sys.argv[2], sys.argv[3]
ROOM = slixmpp.JID("tea@conference.localhost")
OWN = slixmpp.JID("slix@conference.localhost")


def say(*words):
    print(*words, flush=True)


def codes(presence):
    return sorted(presence["muc"]["status_codes"])


class Bob(slixmpp.ClientXMPP):
    def __init__(self):
        super().__init__(jid, password)
        self.ssl_context.check_hostname = False
        self.ssl_context.verify_mode = ssl.CERT_NONE
        self.register_plugin("xep_0030")
        self.register_plugin("xep_0004")
        self.register_plugin("xep_0045")
        self.register_plugin("xep_0203")
        self.register_plugin("xep_0359")
        self.register_plugin("xep_0425")
        self.result = asyncio.get_event_loop().create_future()
        self.welcome = asyncio.get_event_loop().create_future()
        self.oops = asyncio.get_event_loop().create_future()
        self.moderated = asyncio.get_event_loop().create_future()
        self.add_event_handler("moderated_message", self.on_moderated)
        self.alice_in_own = asyncio.get_event_loop().create_future()
        self.add_event_handler(f"muc::{OWN}::got_online", self.on_own_online)
        self.add_event_handler("session_start", self.on_session_start)
        self.add_event_handler("groupchat_message", self.on_groupchat)
        self.add_event_handler("failed_all_auth", lambda _: self.finish(1, "failed_all_auth"))
        self.add_event_handler("disconnected", lambda _: self.finish(1, "disconnected"))

    def finish(self, code, what):
        if not self.result.done():
            say(what)
            self.result.set_result(code)

    def on_own_online(self, presence):
        if presence["from"].resource == "Alice" and not self.alice_in_own.done():
            self.alice_in_own.set_result(presence)

    def on_moderated(self, msg):
        if not self.moderated.done():
            self.moderated.set_result(msg)

    def on_groupchat(self, msg):
        if msg["body"] == "oops" and not self.oops.done():
            self.oops.set_result(msg)
        if msg["body"] == "welcome Bob" and not self.welcome.done():
            self.welcome.set_result(msg)

    async def on_session_start(self, _event):
        try:
            await self.scenario()
            self.finish(0, "done")
        except Exception as e:  # noqa: BLE001 (reported to the test)
            say("exception", type(e).__name__, e)
            self.finish(1, "failed")

    async def scenario(self):
        muc = self.plugin["xep_0045"]
        self.send_presence()
        try:
            await muc.join_muc_wait(ROOM, "Alice", timeout=10)
            say("joined_taken_nick")
        except PresenceError as e:
            say("join_error", e.condition)
        pres, subject, occupants, history = await muc.join_muc_wait(
            ROOM, "Bob", maxstanzas=10, timeout=10
        )
        say("joined", *codes(pres))
        say("occupants", *sorted(p["from"].resource for p in occupants))
        for msg in history:
            say("history", msg["body"])
        say("subject", subject["subject"])
        say("roster", *sorted(muc.get_roster(ROOM)))
        self.send_message(mto=ROOM, mbody="hello from slixmpp", mtype="groupchat")
        msg = await asyncio.wait_for(self.welcome, 10)
        say("groupchat", msg["from"].resource, msg["body"])
        self.send_message(mto=slixmpp.JID(f"{ROOM}/Alice"), mbody="psst", mtype="chat")
        # A room of his own: created locked (201), configured with slixmpp's form handling.
        pres, _subject, _occ, _hist = await muc.join_muc_wait(OWN, "Bob", timeout=10)
        say("created", *codes(pres))
        form = await muc.get_room_config(OWN)
        form.set_values({
            "muc#roomconfig_roomname": "Slix",
            "muc#roomconfig_persistentroom": True,
            "muc#roomconfig_whois": "anyone",
        })
        await muc.set_room_config(OWN, form)
        info = await self.plugin["xep_0030"].get_info(jid=OWN, timeout=10)
        features = info["disco_info"]["features"]
        say("configured", "muc_persistent" in features, "muc_nonanonymous" in features)
        # Bob invites Alice (xmpp.js), makes her a member, lists members and kicks her.
        muc.invite(OWN, slixmpp.JID("alice@localhost/owner"), reason="Come in")
        await asyncio.wait_for(self.alice_in_own, 15)
        await muc.set_affiliation(OWN, "member", jid=slixmpp.JID("alice@localhost"))
        members = await muc.get_affiliation_list(OWN, "member")
        say("members", *sorted(str(j) for j in members))
        await muc.set_role(OWN, "Alice", "none", reason="bye")
        say("kicked")
        try:
            await muc.set_affiliation(OWN, "admin", jid=slixmpp.JID("bob@localhost"))
            say("last_owner_removed")
        except IqError as e:
            say("last_owner", e.condition)
        # XEP-0425 (version 0 in slixmpp 1.8): Bob, owner and moderator, retracts a message.
        self.send_message(mto=OWN, mbody="oops", mtype="groupchat")
        oops = await asyncio.wait_for(self.oops, 10)
        sid = oops["stanza_id"]["id"]
        say("stanza_id", "by-room" if oops["stanza_id"]["by"] == OWN else oops["stanza_id"]["by"])
        await self.plugin["xep_0425"].moderate(OWN, sid, "typo")
        notice = await asyncio.wait_for(self.moderated, 10)
        say("moderated", notice["apply_to"]["id"] == sid, notice["apply_to"]["moderated"]["by"])
        try:
            await muc.get_room_config(ROOM)
            say("config_of_other_room")
        except IqError as e:
            say("config_error", e.condition)
        muc.leave_muc(ROOM, "Bob")
        muc.leave_muc(OWN, "Bob")
        await asyncio.sleep(0)
        say("left")


async def main():
    bob = Bob()
    bob.connect(("127.0.0.1", port))
    try:
        code = await asyncio.wait_for(bob.result, 40)
    except asyncio.TimeoutError:
        say("timeout")
        code = 2
    bob.disconnect()
    sys.exit(code)


asyncio.get_event_loop().run_until_complete(main())

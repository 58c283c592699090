"""A bot written with aiocqhttp (a Python OneBot 11 SDK), run against `napcat sim`.

It serves on a free loopback port and prints one JSON line per thing it did:
  {"step": "listening", "url": ...}     first, before anything connects
  {"step": "connected"}                  reverse WebSocket: the simulator dialed in
  {"step": "group-message", ...}         it answered a group message `ping`: replied, looked
                                         the sender up, banned them for 60 s, uploaded a
                                         group file and listed the group's files
  {"step": "friend-request", ...}        it approved a friend request
  {"step": "group-request", ...}         it approved a join request
  {"step": "notice", "event": ...}       a notice came
Each line carries the event as the library gave it and what each call returned.

--mode reverse-ws: the simulator dials /ws/ (OneBot's universal reverse WebSocket) and the
calls go back over it. --mode http-post: the simulator posts events to / (signed with
--secret) and the calls go to the simulator's HTTP API over HTTP; the friend request is
approved by the post's answer (a quick operation), as OneBot 11 bots do. The bot reads the
simulator's ready line (its URLs) from stdin once it has reported where it listens.
"""

import argparse
import asyncio
import base64
import json
import socket
import sys

from aiocqhttp import CQHttp
from hypercorn.asyncio import serve
from hypercorn.config import Config

UPLOAD = "interop report\n".encode()


def report(**fields):
    print(json.dumps(fields, ensure_ascii=False), flush=True)


def reporting_failures(handler):
    """A handler that reports a failed call (aiocqhttp raises ActionFailed) instead of only
    logging it, so the suite sees it at once."""
    async def run(event):
        try:
            return await handler(event)
        except Exception as e:  # noqa: BLE001 - anything that went wrong is the report
            report(step="error", where=handler.__name__, error=repr(e))
    run.__name__ = handler.__name__
    return run


def text_of(message):
    if isinstance(message, str):
        return message
    return "".join(s["data"].get("text", "") for s in message if s.get("type") == "text")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--mode", choices=["reverse-ws", "http-post"], required=True)
    parser.add_argument("--token")
    parser.add_argument("--secret")
    args = parser.parse_args()

    # Port 0: the system picks a free port, which is reported for the simulator to dial or
    # post to; the simulator's own URLs come back as one JSON line on stdin (its ready line).
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    sock.listen(64)
    sock.set_inheritable(True)
    port = sock.getsockname()[1]
    if args.mode == "reverse-ws":
        report(step="listening", url=f"ws://127.0.0.1:{port}/ws/")
    else:
        report(step="listening", url=f"http://127.0.0.1:{port}/")
    ready = json.loads(sys.stdin.readline())
    api_root = ready["http"] if args.mode == "http-post" else None

    bot = CQHttp(api_root=api_root, access_token=args.token, secret=args.secret)

    @bot.on_meta_event("lifecycle.connect")
    async def connected(event):
        report(step="connected", event=dict(event))

    @bot.on_message("group")
    @reporting_failures
    async def on_group(event):
        if text_of(event["message"]) != "ping":
            return
        group, user = event["group_id"], event["user_id"]
        sent = await bot.send_group_msg(
            group_id=group,
            message=[
                {"type": "reply", "data": {"id": str(event["message_id"])}},
                {"type": "text", "data": {"text": "pong"}},
            ],
        )
        member = await bot.get_group_member_info(group_id=group, user_id=user)
        ban = await bot.set_group_ban(group_id=group, user_id=user, duration=60)
        upload = await bot.upload_group_file(
            group_id=group,
            file="base64://" + base64.b64encode(UPLOAD).decode(),
            name="report.txt",
        )
        files = await bot.get_group_root_files(group_id=group)
        report(step="group-message", event=dict(event), sent=sent, member=member, ban=ban,
               upload=upload, files=files)

    @bot.on_request("friend")
    @reporting_failures
    async def on_friend(event):
        if args.mode == "http-post":
            report(step="friend-request", event=dict(event), approved="quick operation")
            return {"approve": True}
        # Over WebSocket aiocqhttp sends a returned quick operation as
        # `.handle_quick_operation_async`, whose schema check in NapCat drops the request's
        # flag: it would do nothing there. The bot answers by the flag instead.
        approved = await bot.set_friend_add_request(flag=event["flag"], approve=True)
        report(step="friend-request", event=dict(event), approved=approved)

    @bot.on_request("group")
    @reporting_failures
    async def on_group_request(event):
        approved = await bot.set_group_add_request(
            flag=event["flag"], sub_type=event["sub_type"], approve=True
        )
        report(step="group-request", event=dict(event), approved=approved)

    @bot.on_notice
    async def on_notice(event):
        report(step="notice", event=dict(event))

    config = Config()
    config.bind = [f"fd://{sock.fileno()}"]
    config.accesslog = None
    config.errorlog = "-"
    if args.mode == "http-post":
        # No lifecycle event comes over HTTP post: the bot is ready once it serves.
        async def serving():
            report(step="connected")

        bot.on_startup(serving)
    asyncio.run(serve(bot.asgi, config))


if __name__ == "__main__":
    sys.exit(main())

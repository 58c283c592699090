"""The interoperability suite: bots written with OneBot libraries from outside this project
run a whole flow against `napcat sim`, each in a process of its own, and what they got is
checked against NapCat's shapes (api-spec/napcat/events.json and actions.json).

Usage: python3 interop/suite.py NAPCAT_BIN PYTHON NODE_DIR
  NAPCAT_BIN  the built `napcat` binary
  PYTHON      a Python with aiocqhttp and hypercorn installed (interop/python/requirements.txt)
  NODE_DIR    a directory with node-napcat-ts installed and napcat_ts_bot.mjs beside it

Each flow: the simulator starts on free ports (`--port 0` …) and prints its URLs; the bot
connects (forward WebSocket), is dialed (reverse WebSocket) or is posted to (HTTP post);
then `napcat sim inject` makes a member say `ping` in a group, a stranger ask to be a friend
and someone ask to join the group. The bot replies, looks the member up, bans them, uploads a
group file and lists the group's files, and approves both requests. The suite reads the
bot's report lines, the simulator's recorded calls and the account afterwards, and prints
`N passed, N failed`.
"""

import json
import os
import queue
import subprocess
import sys
import threading
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import shapes  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
TOKEN = "interop-token"
SECRET = "interop-secret"
# A hang guard for a whole read, never a margin anything waits out: every wait below ends as
# soon as what it waits for arrives.
HANG = int(os.environ.get("INTEROP_HANG", "120"))


class Process:
    """A child process whose stdout lines are read as JSON, one by one, as they come."""

    def __init__(self, name, argv, cwd=None):
        self.name = name
        self.proc = subprocess.Popen(argv, cwd=cwd, stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                     text=True, encoding="utf-8")
        self.lines = queue.Queue()
        self.read = []
        self.stderr = []
        threading.Thread(target=self._read, daemon=True).start()
        threading.Thread(target=self._read_err, daemon=True).start()

    def _read(self):
        for line in self.proc.stdout:
            self.lines.put(line)
        self.lines.put(None)

    def _read_err(self):
        for line in self.proc.stderr:
            self.stderr.append(line)

    def tell(self, value):
        """Writes `value` as one JSON line to the process's stdin."""
        self.proc.stdin.write(json.dumps(value) + "\n")
        self.proc.stdin.flush()

    def next(self):
        """The next JSON line (non-JSON lines are skipped)."""
        while True:
            try:
                line = self.lines.get(timeout=HANG)
            except queue.Empty:
                raise Failure(f"{self.name} said nothing for {HANG} s")
            if line is None:
                raise Failure(f"{self.name} ended: {''.join(self.stderr[-20:])}")
            try:
                value = json.loads(line)
            except ValueError:
                continue
            self.read.append(value)
            return value

    def until(self, step):
        """Report lines up to and including the first with this step."""
        seen = []
        while True:
            line = self.next()
            if line.get("step") == "error":
                raise Failure(f"{self.name}: {line}")
            seen.append(line)
            if line.get("step") == step:
                return seen

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=HANG)
            except subprocess.TimeoutExpired:
                self.proc.kill()


class Failure(Exception):
    pass


def napcat(bin_, *args):
    """Runs `napcat …` and returns its JSON output."""
    out = subprocess.run([bin_, *args], capture_output=True, text=True, encoding="utf-8",
                         timeout=HANG)
    if out.returncode != 0:
        raise Failure(f"napcat {' '.join(args)}: {out.stderr.strip()}")
    return json.loads(out.stdout)


def call(ready, action, **params):
    """Calls an action on the simulator over HTTP (as any client would), for checking the
    account afterwards."""
    req = urllib.request.Request(
        f"{ready['http']}/{action}", data=json.dumps(params).encode(),
        headers={"content-type": "application/json", "authorization": f"Bearer {TOKEN}"})
    with urllib.request.urlopen(req, timeout=HANG) as r:
        reply = json.loads(r.read())
    if reply["status"] != "ok":
        raise Failure(f"{action}: {reply}")
    return reply.get("data")


class Checks:
    def __init__(self, flow):
        self.flow = flow
        self.passed = 0
        self.failed = []

    def check(self, what, problems):
        if isinstance(problems, bool):
            problems = [] if problems else ["it does not hold"]
        if problems:
            self.failed.append(f"{self.flow}: {what}: " + "; ".join(problems))
        else:
            self.passed += 1

    def event(self, what, event, kind):
        got = shapes.event_id(event)
        self.check(f"{what} is NapCat's {kind}", [] if got == kind else [f"it is {got}"])
        self.check(f"{what} has NapCat's keys and types", shapes.event_problems(event))


def run_flow(flow, napcat_bin, start_bot, transport):
    """One library's whole flow; returns its Checks."""
    checks = Checks(flow)
    sim = bot = None
    try:
        sim_args = [napcat_bin, "sim", "--port", "0", "--ws-port", "0", "--control-port",
                    "0", "--access-token", TOKEN]
        if transport == "forward-ws":
            sim = Process("napcat sim", sim_args)
            ready = sim.next()
            bot = start_bot(ready)
            bot.until("connected")
        else:
            # The bot listens first; its URL is where the simulator dials or posts.
            bot = start_bot(None)
            listening = bot.until("listening")[-1]["url"]
            extra = (["--reverse", listening, "--reconnect-interval", "100"]
                     if transport == "reverse-ws"
                     else ["--http-post", listening, "--secret", SECRET])
            sim = Process("napcat sim", sim_args + extra)
            ready = sim.next()
            # The bot learns where the simulator's HTTP API is (for its calls over HTTP).
            bot.tell(ready)
            bot.until("connected")
        control = ["--control", ready["control"]]
        checks.check("the ready line names the token", ready["access_token"] == TOKEN)
        # The bot's connection is subscribed to events before anything is injected.
        napcat(napcat_bin, "sim", "wait", *control, "--event-clients", "1")

        said = napcat(napcat_bin, "sim", "inject", *control, "group-message",
                      "group_id=100200", "user_id=234567", "message=ping")
        lines = bot.until("group-message")
        done = lines[-1]
        checks.event("the group message", done["event"], "message.group.normal")
        checks.check("the message id is the injected one",
                     done["event"]["message_id"] == said["message_id"])
        checks.check("send_group_msg returned a message id",
                     shapes.result_problems("send_group_msg", done["sent"]))
        checks.check("get_group_member_info returned NapCat's member",
                     shapes.result_problems("get_group_member_info", done["member"]))
        checks.check("the member looked up is the sender",
                     done["member"]["user_id"] == 234567 and done["member"]["role"] == "member")
        checks.check("set_group_ban returned null", shapes.result_problems("set_group_ban", done["ban"]))
        checks.check("upload_group_file returned a file id",
                     shapes.result_problems("upload_group_file", done["upload"]))
        names = [f.get("file_name") for f in done["files"]["files"]]
        checks.check("the uploaded file is listed", "report.txt" in names)

        flag = napcat(napcat_bin, "sim", "inject", *control, "friend-request",
                      "user_id=567890", "nickname=孙七", "comment=我是孙七")["flag"]
        lines = bot.until("friend-request")
        checks.event("the friend request", lines[-1]["event"], "request.friend")
        checks.check("the friend request's flag is the injected one",
                     lines[-1]["event"]["flag"] == flag)

        napcat(napcat_bin, "sim", "inject", *control, "group-request", "group_id=100200",
               "user_id=678901", "nickname=周八", "comment=芝麻开门")
        lines = bot.until("group-request")
        checks.event("the join request", lines[-1]["event"], "request.group")

        # The notices the bot's own calls and answers brought, as the bot received them
        # (each whenever it came: events are not ordered with replies).
        def notices():
            return {shapes.event_id(line["event"]): line["event"]
                    for line in bot.read if line.get("step") == "notice"}
        for kind in ("notice.group_ban", "notice.friend_add", "notice.group_increase"):
            while kind not in notices():
                bot.next()
            checks.event(f"the {kind} notice", notices()[kind], kind)
        notices = notices()
        checks.check("the ban notice is for 60 s by the bot",
                     notices["notice.group_ban"]["duration"] == 60
                     and notices["notice.group_ban"]["operator_id"] == ready["self_id"])

        # What the bot asked for, as the simulator recorded it.
        calls = napcat(napcat_bin, "sim", "calls", *control)
        by_action = {}
        for c in calls:
            by_action.setdefault(c["action"].removesuffix("_async"), []).append(c)
        for action in ("send_group_msg", "get_group_member_info", "set_group_ban",
                       "upload_group_file", "get_group_root_files", "set_group_add_request"):
            ok = [c for c in by_action.get(action, []) if (c["reply"] or {}).get("status") == "ok"]
            checks.check(f"the bot called {action} and it succeeded", bool(ok))
        sent = by_action["send_group_msg"][0]["params"]
        checks.check("the reply quotes the message",
                     sent["message"][0] == {"type": "reply", "data": {"id": str(said["message_id"])}})
        checks.check("the ban is 60 s", by_action["set_group_ban"][0]["params"]["duration"] == 60)

        # The account afterwards.
        member = call(ready, "get_group_member_info", group_id=100200, user_id=234567)
        checks.check("the member is banned", member["shut_up_timestamp"] > 0)
        friends = [f["user_id"] for f in call(ready, "get_friend_list")]
        checks.check("the friend request was approved", 567890 in friends)
        members = [m["user_id"] for m in call(ready, "get_group_member_list", group_id=100200)]
        checks.check("the join request was approved", 678901 in members)
    except Failure as e:
        checks.failed.append(f"{flow}: {e}")
    except (KeyError, TypeError, IndexError) as e:
        checks.failed.append(f"{flow}: a report was not as expected: {e!r}")
    finally:
        for p in (bot, sim):
            if p:
                p.stop()
        if (checks.failed or os.environ.get("INTEROP_VERBOSE")) and bot:
            for line in bot.read:
                print(f"{flow} | {json.dumps(line, ensure_ascii=False)}", file=sys.stderr)
    return checks


def main():
    napcat_bin, python, node_dir = sys.argv[1:4]
    bot_py = os.path.join(HERE, "python", "aiocqhttp_bot.py")

    def node_bot(ready):
        return Process("node-napcat-ts bot",
                       ["node", os.path.join(node_dir, "napcat_ts_bot.mjs"), ready["ws"], TOKEN],
                       cwd=node_dir)

    def reverse_bot(_):
        return Process("aiocqhttp bot", [python, bot_py, "--mode", "reverse-ws", "--token", TOKEN])

    def post_bot(_):
        return Process("aiocqhttp bot", [python, bot_py, "--mode", "http-post", "--token", TOKEN,
                                         "--secret", SECRET])

    flows = [
        ("node-napcat-ts over forward WebSocket", node_bot, "forward-ws"),
        ("aiocqhttp over reverse WebSocket", reverse_bot, "reverse-ws"),
        ("aiocqhttp over HTTP post", post_bot, "http-post"),
    ]
    results = [run_flow(name, napcat_bin, start, transport)
               for name, start, transport in flows]
    passed = sum(r.passed for r in results)
    failed = [f for r in results for f in r.failed]
    for r in results:
        print(f"{r.flow}: {r.passed} passed, {len(r.failed)} failed")
    for f in failed:
        print("FAILED", f)
    print(f"{passed} passed, {len(failed)} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

"""NapCat's shapes, read from the project's copy of NapCat's own lists
(api-spec/napcat/events.json and actions.json), and a check that a value has one.

Type notation (as in those files): number, string, boolean, object, "lit"|"lit", T[],
A|B, {key: T, optional?: T}, and named schemas (message segments: objects).
"""

import json
import os

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
NAPCAT = os.path.join(ROOT, "api-spec", "napcat")


def _load(name):
    with open(os.path.join(NAPCAT, name), encoding="utf-8") as f:
        return json.load(f)


EVENTS = {e["id"]: e for e in _load("events.json")["events"]}
ACTIONS = {a["action"]: a for a in _load("actions.json")}


def _top_level(text, sep):
    """`text` split at `sep` outside braces and brackets."""
    depth, start, parts = 0, 0, []
    for i, c in enumerate(text):
        if c in "{[":
            depth += 1
        elif c in "}]":
            depth -= 1
        elif c == sep and depth == 0:
            parts.append(text[start:i])
            start = i + 1
    parts.append(text[start:])
    return parts


def _is_number(v):
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def fits(ty, v):
    """Whether the JSON value `v` fits the type notation `ty`."""
    ty = ty.strip()
    if ty.endswith("[]") and (ty.startswith("{") or "|" not in ty):
        return isinstance(v, list) and all(fits(ty[:-2], i) for i in v)
    if ty.startswith("{") and ty.endswith("}"):
        fields = {}
        for part in _top_level(ty[1:-1], ","):
            key, t = part.split(":", 1)
            fields[key.strip()] = t.strip()
        return isinstance(v, dict) and not problems(v, fields)
    alternatives = _top_level(ty, "|")
    if len(alternatives) > 1:
        return any(fits(a, v) for a in alternatives)
    if ty.startswith('"'):
        return v == ty.strip('"')
    if ty == "number":
        return _is_number(v)
    if ty == "string":
        return isinstance(v, str)
    if ty == "boolean":
        return isinstance(v, bool)
    if ty in ("object", "any"):
        return ty == "any" or isinstance(v, dict)
    if ty == "null":
        return v is None
    if ty[:1].isupper():  # a named schema: a message segment
        return isinstance(v, dict)
    raise ValueError(f"unknown notation {ty!r}")


def problems(obj, fields, extra_keys_allowed=False):
    """What keeps `obj` from the shape `fields` ({key: type}, `key?` optional)."""
    found = []
    for key, ty in fields.items():
        name, optional = (key[:-1], True) if key.endswith("?") else (key, False)
        if name in obj:
            if not fits(ty, obj[name]):
                found.append(f"`{name}`: {json.dumps(obj[name], ensure_ascii=False)} is not {ty}")
        elif not optional:
            found.append(f"`{name}` is missing")
    if not extra_keys_allowed:
        known = {k.rstrip("?") for k in fields}
        found += [f"`{k}` is not a key NapCat sends" for k in obj if k not in known]
    return found


def event_id(e):
    """events.json's id for an event's kind, e.g. `notice.notify.poke.group`."""
    post = e["post_type"]
    if post == "message":
        return f"message.{e['message_type']}.{e['sub_type']}"
    if post == "message_sent":
        return f"message_sent.{e['message_type']}"
    if post == "notice" and e["notice_type"] == "notify":
        if e["sub_type"] == "poke":
            return "notice.notify.poke." + ("group" if "group_id" in e else "friend")
        return f"notice.notify.{e['sub_type']}"
    if post == "notice":
        return f"notice.{e['notice_type']}"
    if post == "request":
        return f"request.{e['request_type']}"
    return f"meta_event.{e['meta_event_type']}"


def event_problems(e):
    """What keeps an event from NapCat's shape for its kind."""
    kind = event_id(e)
    if kind not in EVENTS:
        return [f"NapCat pushes no event {kind}"]
    return problems(e, EVENTS[kind]["fields"])


def result_problems(action, data):
    """What keeps an action's `data` from the shape NapCat declares for it (keys it does not
    declare are allowed: NapCat passes QQ's objects through)."""
    returns = ACTIONS[action]["returns"]
    if returns == "null":
        return [] if data is None else [f"{action}: expected null, got {data!r}"]
    if isinstance(returns, dict):
        if not isinstance(data, dict):
            return [f"{action}: expected an object, got {data!r}"]
        return [f"{action}: {p}" for p in problems(data, returns, extra_keys_allowed=True)]
    raise ValueError(f"{action}: returns {returns!r} is not checked here")

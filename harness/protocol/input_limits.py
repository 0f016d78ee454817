"""The decoder's input limits (docs/limits.md): told before anything is validated or applied, so a request over
one is refused whole, or an event over one is one bad event named by its index while its neighbours apply.

Each check costs little on the usual small request: counts of brackets and commas in the text decide whether the
parsed body needs a walk at all.
"""

from __future__ import annotations

from typing import Any

import orjson
from braze_harness.protocol.problems import Problem
from braze_harness.protocol.wire import Limits


class OverLimit:
    """An event or attributes object refused by a limit before validation: its problem, not its (huge) value."""

    __slots__ = ("message",)

    def __init__(self, message: str) -> None:
        self.message = message

    def __repr__(self) -> str:
        return f"<refused: {self.message}>"


_CONTAINERS = (dict, list)
_ENVELOPE_IDS = ("user_id", "device_id")


def within_limits(
    envelope: dict[str, Any], items: dict[str, list[Any]], problems: list[Problem], limits: Limits, text: str
) -> bool:
    """Whether the request is within the limits (docs/limits.md); else False with the problems, nothing validated.
    An event or attributes object over one is replaced in `items` by an `OverLimit` (rejected by its index).

    Depth is measured only when the text holds more `{`/`[` than the limit: a document cannot nest deeper than
    its brackets (those in strings only add to the count), so the usual small request costs two `str.count`s."""
    count = sum(map(len, items.values()))
    if count > limits.max_events_per_request:
        message = (
            f"{count} events and attributes objects in one request, over the limit of {limits.max_events_per_request} "
            "(max_events_per_request): nothing applied"
        )
        problems.append(Problem(where="events", message=message))
        return False
    max_depth, id_limit = limits.max_json_depth, limits.max_identifier_bytes
    deep = text.count("{") + text.count("[") > max_depth
    quarter = id_limit // 4  # a str of at most this many characters is within `id_limit` UTF-8 bytes
    ok = True
    if deep:
        for key, value in envelope.items():
            if type(value) in _CONTAINERS and deeper_than(value, max_depth - 1):
                problems.append(Problem(where=f"body.{key}", message=depth_message(max_depth)))
                ok = False
    for key in _ENVELOPE_IDS:
        value = envelope.get(key)
        message = _long_id(value, id_limit) if type(value) is str and len(value) > quarter else None
        if message:
            problems.append(Problem(where=f"body.{key}", message=message))
            ok = False
    for key in ("alias", "respond_with"):
        if envelope.get(key) is not None:
            where, message = _long_nested_id(envelope[key], id_limit)
            if message:
                problems.append(Problem(where=f"body.{key}{where}", message=message))
                ok = False
    if not ok:
        return False
    for key, raw_items in items.items():
        # the items worth a closer look, in one comprehension (it runs per request, per item): all when deep;
        # else those with an alias or a long user_id
        suspects = (
            range(len(raw_items))
            if deep
            else [
                i
                for i, raw in enumerate(raw_items)
                if type(raw) is dict
                and (raw.get("alias") is not None or (type(u := raw.get("user_id")) is str and len(u) > quarter))
            ]
        )
        refused: list[Any] | None = None
        for index in suspects:
            raw = raw_items[index]
            if type(raw) is not dict:
                continue
            message = None
            if deep and deeper_than(raw, max_depth - 2):
                message = depth_message(max_depth)
            else:
                where, message = _long_nested_id(raw, id_limit)
                message = message and f"{where[1:]}: {message}"
            if message:
                if refused is None:
                    refused = items[key] = list(raw_items)
                refused[index] = OverLimit(message)
    return True


def rest_depth_problem(text: str, limit: int) -> Problem | None:
    """The problem of a REST body nested beyond `limit` (the pipeline answers it 400 before the REST handlers
    parse it), else None. A body that is not JSON is left to the handlers."""
    try:
        payload = orjson.loads(text)
    except orjson.JSONDecodeError:
        return None
    if type(payload) in _CONTAINERS and deeper_than(payload, limit):
        return Problem(where="body", message=depth_message(limit))
    return None


def is_depth_problem(problem: Problem) -> bool:
    return problem.where == "body" and problem.message.endswith(_DEPTH_TAIL)


_DEPTH_TAIL = "objects/arrays deep (max_json_depth): not applied"


def too_many_values(payload: Any, text: str, limits: Limits) -> bool:
    """Whether the body holds more than `max_json_values` values (each needs a character, so only a longer text
    can). A cheap overestimate first (every value but a container's first follows a comma), then the exact
    count, walking the parsed body: validating a list of 500,000 bad items costs pydantic ~200 MB of errors."""
    limit = limits.max_json_values
    if text.count(",") + text.count("{") + text.count("[") + 1 <= limit:
        return False
    count = 0
    stack = [payload]
    pop, push = stack.pop, stack.append
    while stack:
        node = pop()
        children = node.values() if type(node) is dict else node
        count += len(children)
        if count > limit:
            return True
        for child in children:
            if type(child) in _CONTAINERS:
                push(child)
    return False


def depth_message(limit: int) -> str:
    return f"nested more than {limit} {_DEPTH_TAIL}"


def deeper_than(value: Any, levels: int) -> bool:
    """Whether `value` (a dict or list) holds containers more than `levels` deep, itself counted as 1. Iterative:
    the parser allows 1024 levels, Python's recursion fewer."""
    stack = [(value, 1)]
    pop, push = stack.pop, stack.append
    while stack:
        node, depth = pop()
        if depth > levels:
            return True
        for child in node.values() if type(node) is dict else node:
            if type(child) in _CONTAINERS:
                push((child, depth + 1))
    return False


def _long_id(value: Any, limit: int) -> str | None:
    # characters first: a str of at most limit/4 characters is at most `limit` UTF-8 bytes
    if type(value) is not str or len(value) * 4 <= limit:
        return None
    size = len(value.encode("utf-8", "surrogatepass"))
    if size <= limit:
        return None
    return f"{size} bytes, over the limit of {limit} (max_identifier_bytes): not applied"


def _long_nested_id(raw: Any, limit: int) -> tuple[str, str | None]:
    """(where, message) for an over-long `user_id`, `alias.name` or `alias.label` of an object (an event,
    an attributes object, `respond_with`); ("", None) when there is none."""
    if type(raw) is not dict:
        return "", None
    message = _long_id(raw.get("user_id"), limit)
    if message:
        return ".user_id", message
    alias = raw.get("alias")
    if type(alias) is dict:
        for name in ("name", "label"):
            message = _long_id(alias.get(name), limit)
            if message:
                return f".alias.{name}", message
    return "", None

"""Waiting assertions on a backend's REST calls, from the same journal as the SDK's traffic:

expect.rest("/users/track", body={"attributes": [...]}).within(5)          # the backend made the call
expect.rest("/campaigns/trigger/send", status=201, answer={"message": "success"}).exactly(1).within(5)
expect.rest("/users/track", status=429).never(within=2)                     # it never hit the rate limit

`body` and `answer` match as in every expectation (dicts as subsets, callables as predicates); a list matches a
list of the same length element by element (each element as a subset). REST calls are never counted by the SDK
expectations (their endpoint is `rest`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import orjson
from braze_harness.expect.patterns import ANY, Diff, value_diffs
from braze_harness.expect.report import ExpectationFailed, failure
from braze_harness.expect.source import Source
from braze_harness.expect.waiting import DEFAULT_TIMEOUT, _Counted
from braze_harness.journal import JournalEntry


@dataclass(frozen=True, slots=True)
class RestMatch:
    entry: JournalEntry
    body: Any  # the request's JSON (None for a GET or a body that is not JSON)
    status: int | None
    answer: Any  # the emulator's JSON answer


@dataclass(frozen=True)
class RestPattern:
    path: str
    method: str | None = None
    body: Any = ANY
    status: Any = ANY
    answer: Any = ANY
    where: Callable[[RestMatch], bool] | None = None

    def describe(self) -> str:
        parts = [f"{self.method or 'a'} REST call to {self.path}"]
        for name in ("body", "status", "answer"):
            value = getattr(self, name)
            if value is not ANY:
                parts.append(f"{name}={value!r}")
        if self.where is not None:
            parts.append("where=<predicate>")
        return " ".join(parts)


def rest_call(entry: JournalEntry) -> RestMatch | None:
    """The REST call an entry is (None for SDK traffic)."""
    if entry.endpoint != "rest":
        return None
    ex = entry.exchange
    try:
        body = orjson.loads(ex.body) if ex.body else None
    except orjson.JSONDecodeError:
        body = None
    return RestMatch(entry, body, ex.status, ex.response)


def _path(entry: JournalEntry) -> str:
    return urlsplit(entry.exchange.url).path.rstrip("/") or "/"


def _json_diffs(actual: Any, expected: Any, where: str) -> list[Diff]:
    """`value_diffs`, with lists matched element by element (each element as a subset) instead of by equality."""
    if isinstance(expected, list):
        if not isinstance(actual, list) or len(actual) != len(expected):
            return [Diff(where, actual, expected)]
        return [d for i, (a, e) in enumerate(zip(actual, expected, strict=True)) for d in _json_diffs(a, e, f"{where}[{i}]")]
    if isinstance(expected, dict) and isinstance(actual, dict):
        return [d for k, e in expected.items() for d in _json_diffs(actual.get(k, _ABSENT), e, f"{where}.{k}")]
    if actual is _ABSENT:
        return [Diff(where, "<absent>", expected)]
    return value_diffs(actual, expected, where)


_ABSENT = object()


def diffs(pattern: RestPattern, call: RestMatch) -> list[Diff] | None:
    """None when the call is not to the pattern's path (and method); else what differs (empty: a match)."""
    if _path(call.entry) != pattern.path.rstrip("/") or (pattern.method and call.entry.exchange.method != pattern.method):
        return None
    found = _json_diffs(call.body, pattern.body, "body") + value_diffs(call.status, pattern.status, "status")
    found += _json_diffs(call.answer, pattern.answer, "answer")
    if pattern.where is not None and not found and not pattern.where(call):
        found.append(Diff("where", "False", "True"))
    return found


class RestExpectation(_Counted):
    def __init__(self, source: Source, pattern: RestPattern, default_timeout: float = DEFAULT_TIMEOUT) -> None:
        super().__init__()
        self.source = source
        self.pattern = pattern
        self.default_timeout = default_timeout

    def matches(self, entries: list[JournalEntry] | None = None) -> list[RestMatch]:
        entries = self.source.entries() if entries is None else entries
        out = []
        for entry in entries:
            if entry.seq <= self._after:
                continue
            call = rest_call(entry)
            if call is not None and diffs(self.pattern, call) == []:
                out.append(call)
        return out

    def within(self, timeout: float | None = None) -> list[RestMatch]:
        timeout = self.default_timeout if timeout is None else timeout
        if self._min == 0:  # "at most n": only a full window can prove it (as for events)
            return self._hold(timeout, f"Expected within {timeout:g} s:")

        def enough(entries: list[JournalEntry]) -> list[RestMatch] | None:
            found = self.matches(entries)
            return found if len(found) >= self._min else None  # more than `_max` fails fast (_too_many)

        result, entries, waited, reason = self._wait(self.source, timeout, enough, self._too_many)
        if result is not None:
            return result
        raise self._failure(f"Expected within {timeout:g} s:", entries, waited, reason)

    def never(self, within: float | None = None) -> None:
        """No such call arrives within the window (waits it out)."""
        window = self.default_timeout if within is None else within
        self._min, self._max = 0, 0
        self._hold(window, f"Expected no call within {window:g} s:")

    def _hold(self, window: float, head: str) -> list[RestMatch]:
        _, entries, waited, reason = self._wait(self.source, window, lambda _e: None, self._too_many)
        if reason:
            raise self._failure(head, entries, waited, reason)
        return self.matches(entries)

    def _too_many(self, entries: list[JournalEntry]) -> str | None:
        if self._max is None:
            return None
        found = self.matches(entries)
        if len(found) <= self._max:
            return None
        if self._max == 0:
            return f"{len(found)} matching call(s) arrived (#{found[0].entry.seq})"
        return f"{len(found)} calls, more than {self._max}"

    def _failure(self, head: str, entries: list[JournalEntry], waited: float, reason: str | None) -> ExpectationFailed:
        misses = []
        for entry in reversed(entries):
            call = rest_call(entry)
            found = diffs(self.pattern, call) if call is not None else None
            if found:
                misses.append(f"#{entry.seq} {entry.exchange.method} {_path(entry)} {call.status}: " + "; ".join(map(str, found)))
        headline = f"{head} {self.pattern.describe()}{self._count_text()}" + (f" — {reason}." if reason else ".")
        return failure(headline, waited=waited, entries=entries, misses=misses, scope=self.source.scope)

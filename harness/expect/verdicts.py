"""Each expectation's verdict, for a test's report: what was expected, when the wait began, how long it waited, and
whether it held.

A source that carries a `verdicts` log (`VerdictLog`; the pytest plugin gives one to each test's handle) gets a
verdict per wait: `wait_until` (the one wait) opens one, and `failure` (the one way a wait fails) marks it failed
with its headline. A wait on a source without a log records nothing.
"""

from __future__ import annotations

import threading
import time
from dataclasses import asdict, dataclass
from typing import Any


@dataclass(slots=True)
class Verdict:
    what: str  # the expectation, described ("ce 'song_played' props={...} exactly 1×")
    started: float  # unix seconds, when the wait began
    waited: float = 0.0  # seconds
    passed: bool = True  # until `failure` says otherwise
    finished: bool = False  # False: the wait was interrupted (an exception other than its failure)
    message: str = ""  # the failure's headline
    # a table the expectation attaches (e.g. cdp_mapping: each CDP call, what Braze should get, what it got)
    table: dict[str, list[Any]] | None = None  # {"columns": [str, ...], "rows": [[str, ...], ...]}

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


class VerdictLog:
    """A scope's verdicts, in the order the waits began."""

    def __init__(self) -> None:
        self._verdicts: list[Verdict] = []
        self._lock = threading.Lock()

    def add(self, verdict: Verdict) -> None:
        with self._lock:
            self._verdicts.append(verdict)

    def all(self) -> list[Verdict]:
        with self._lock:
            return list(self._verdicts)


_last = threading.local()  # the verdict of this thread's latest wait (None when that wait recorded none)


def begin(source: Any, what: str | None, *, continues: bool = False) -> Verdict | None:
    """The verdict of a wait starting now on `source` (None when the source keeps no log); `continues`: the wait goes
    on with the previous one (a settle window after a count was met) and adds to its verdict."""
    if continues:
        return getattr(_last, "verdict", None)
    log = getattr(source, "verdicts", None)
    verdict = Verdict(what or "a wait on the journal", time.time()) if isinstance(log, VerdictLog) else None
    if verdict is not None and log is not None:
        log.add(verdict)
    _last.verdict = verdict
    return verdict


def end(verdict: Verdict | None) -> None:
    if verdict is not None:
        verdict.waited = time.time() - verdict.started
        verdict.finished = True


def attach_table(columns: list[str], rows: list[list[str]]) -> None:
    """Give this thread's latest verdict a table (before its failure is raised: `failure` ends the link)."""
    verdict = getattr(_last, "verdict", None)
    if verdict is not None:
        verdict.table = {"columns": list(columns), "rows": [list(r) for r in rows]}


def failed(headline: str) -> None:
    """The latest wait of this thread did not hold: its verdict says so (once)."""
    verdict = getattr(_last, "verdict", None)
    if verdict is not None:
        verdict.passed = False
        verdict.message = headline
        _last.verdict = None

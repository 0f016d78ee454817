"""Each expectation's verdict, for a test's report: what was expected, when the wait began, how long it waited, and
whether it held.

A source that carries a `verdicts` log (`VerdictLog`; the pytest plugin gives one to each test's handle) gets a
verdict per wait: `wait_until` (the one wait) opens one and notes the journal entries its check matched, and
`failure` (the one way a wait fails) marks it failed with its headline and its whole message (the near misses). A wait
on a source without a log records nothing. The run report and the Allure steps (plugin/allure_steps.py) read them.
"""

from __future__ import annotations

import threading
import time
from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(slots=True)
class Verdict:
    what: str  # the expectation, described ("ce 'song_played' props={...} exactly 1×")
    started: float  # unix seconds, when the wait began
    waited: float = 0.0  # seconds
    passed: bool = True  # until `failure` says otherwise
    finished: bool = False  # False: the wait was interrupted (an exception other than its failure)
    message: str = ""  # the failure's headline
    detail: str = ""  # the failure's whole message: headline, near misses, recent traffic
    matched: list[int] = field(default_factory=list)  # seq of each journal entry the expectation matched
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


def latest() -> Verdict | None:
    """This thread's latest verdict, while it may still change (until its failure)."""
    return getattr(_last, "verdict", None)


def matched(verdict: Verdict | None, found: Any) -> None:
    """Note the journal entries a wait's result holds (its matches, e.g. `EventMatch.entry`), in order, once each."""
    if verdict is None:
        return
    seen = set(verdict.matched)
    for seq in _seqs(found, depth=3):
        if seq not in seen:
            seen.add(seq)
            verdict.matched.append(seq)


def _seqs(found: Any, depth: int) -> list[int]:
    """The seq of each journal entry in a wait's result: an entry (has `seq` and `exchange`), a match (has `entry`), or
    a list or tuple of them (a few levels deep); anything else (a profile, a screen) holds none."""
    entry = getattr(found, "entry", found)
    if hasattr(entry, "exchange") and isinstance(getattr(entry, "seq", None), int):
        return [entry.seq]
    if depth and isinstance(found, list | tuple):
        return [seq for item in found for seq in _seqs(item, depth - 1)]
    return []


def attach_table(columns: list[str], rows: list[list[str]]) -> None:
    """Give this thread's latest verdict a table (before its failure is raised: `failure` ends the link)."""
    verdict = getattr(_last, "verdict", None)
    if verdict is not None:
        verdict.table = {"columns": list(columns), "rows": [list(r) for r in rows]}


def failed(headline: str, detail: str = "") -> None:
    """The latest wait of this thread did not hold: its verdict says so (once), with the failure's whole message."""
    verdict = getattr(_last, "verdict", None)
    if verdict is not None:
        verdict.passed = False
        verdict.message = headline
        verdict.detail = detail or headline
        _last.verdict = None
